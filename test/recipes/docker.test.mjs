// docker recipe: real Docker daemon, real CLI, fixture projects in temp dirs. Images are built
// FROM scratch with a static busybox copied in (no registry is needed), labelled with this run's id
// and removed at the end.
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { copyFileSync, writeFileSync, rmSync } from 'node:fs'
import { fixture, runCli, needs, RECIPES_URL } from '../rig.mjs'
import { startRegistry } from './docker-registry.mjs'

// Every test here needs them (without: each is registered as skipped, the after hook is a no-op).
const test = needs(
  ['docker', ['info'], 'a Docker daemon'],
  ['/bin/busybox', ['true'], 'a static busybox (busybox-static)'],
)
// The docker recipe module itself, so a broken sibling recipe does not hide these results.
const DOCKER_URL = new URL('docker/index.js', RECIPES_URL).href
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`
const LABEL = `typed-tasks.test=${RUN_ID}`
const fixtures = []

const docker = (...args) => spawnSync('docker', args, { encoding: 'utf8' })
const task = (res, name) => {
  const r = JSON.parse(res.stdout).tasks.find((t) => t.name === name)
  assert.ok(r, `task ${name} in the result: ${res.stdout}`)
  return r
}
const json = (res) => {
  try {
    return JSON.parse(res.stdout)
  } catch {
    throw new Error(`not JSON on stdout (exit ${res.code}):\n${res.out}`)
  }
}

/** A fixture with busybox, a Dockerfile and a config whose `tasks` object is `tasksJs` (JS source). */
function project(dockerfile, tasksJs, extra = {}) {
  const f = fixture({
    'Dockerfile': dockerfile,
    'tasks.config.mjs': `import * as docker from '${DOCKER_URL}'\nexport default { tasks: ${tasksJs} }\n`,
    ...extra,
  })
  copyFileSync('/bin/busybox', f.path('busybox'))
  fixtures.push(f)
  return f
}

const SIMPLE = `FROM scratch
COPY busybox /bin/busybox
COPY app.txt /app.txt
ENTRYPOINT ["/bin/busybox"]
`
const tag = (t) => `typed-tasks-test-${RUN_ID}:${t}`

test.after(() => {
  const ids = docker('images', '-q', '--filter', `label=${LABEL}`).stdout.split('\n').filter(Boolean)
  if (ids.length) docker('rmi', '-f', ...new Set(ids))
  for (const f of fixtures) f.cleanup()
})

test('image: builds, is up to date, rebuilds after docker rmi, cache hit after reverting an input', async () => {
  const f = project(SIMPLE, `{ ...docker.image({ name: 'app', labels: { 'typed-tasks.test': '${RUN_ID}' } }) }`, {
    'app.txt': 'one\n',
    '.dockerignore': 'notes/\n*.md\n',
    'notes/todo.txt': 'ignored\n',
    'README.md': 'ignored\n',
  })
  let r = await runCli(f.dir, ['docker:app', '--json'])
  assert.is(r.code, 0, r.out)
  const first = task(r, 'docker:app')
  assert.is(first.status, 'ran')
  assert.match(first.value.imageId, /^sha256:[0-9a-f]{64}$/)
  assert.equal(first.value.tags, [])
  assert.match(r.stderr, /Step 1\/\d+ : FROM scratch/, r.stderr)

  r = await runCli(f.dir, ['docker:app', '--json'])
  assert.is(task(r, 'docker:app').status, 'up-to-date', r.out)

  // Files excluded by .dockerignore are not inputs.
  f.write('notes/todo.txt', 'still ignored\n')
  f.write('README.md', 'changed\n')
  r = await runCli(f.dir, ['docker:app', '--json'])
  assert.is(task(r, 'docker:app').status, 'up-to-date', r.out)

  // The image is gone: the stored result is no longer valid.
  assert.is(docker('rmi', '-f', first.value.imageId).status, 0)
  r = await runCli(f.dir, ['docker:app', '--json'])
  const rebuilt = task(r, 'docker:app')
  assert.is(rebuilt.status, 'ran', r.out)
  assert.is(docker('image', 'inspect', '-f', '{{.Id}}', rebuilt.value.imageId).status, 0)

  // A changed input rebuilds; reverting it is a cache hit with the earlier image.
  f.write('app.txt', 'two\n')
  r = await runCli(f.dir, ['docker:app', '--json'])
  const second = task(r, 'docker:app')
  assert.is(second.status, 'ran', r.out)
  assert.is.not(second.value.imageId, rebuilt.value.imageId)
  f.write('app.txt', 'one\n')
  r = await runCli(f.dir, ['docker:app', '--json'])
  const back = task(r, 'docker:app')
  assert.is(back.status, 'cache-hit', r.out)
  assert.is(back.value.imageId, rebuilt.value.imageId)

  // A cache hit whose image was removed is not a hit.
  f.write('app.txt', 'two\n')
  assert.is(docker('rmi', '-f', second.value.imageId).status, 0)
  r = await runCli(f.dir, ['docker:app', '--json'])
  assert.is(task(r, 'docker:app').status, 'ran', r.out)
})

test('image: a tag moved to another image invalidates the stored result', async () => {
  const f = project(
    SIMPLE,
    `{ ...docker.image({ name: 'app', tags: ['${tag('moved')}'], labels: { 'typed-tasks.test': '${RUN_ID}' } }) }`,
    { 'app.txt': 'x\n' },
  )
  let r = await runCli(f.dir, ['--json', 'docker:app'])
  const first = task(r, 'docker:app')
  assert.is(first.status, 'ran', r.out)
  const other = project(
    SIMPLE,
    `{ ...docker.image({ name: 'o', tags: ['${tag('moved')}'], labels: { 'typed-tasks.test': '${RUN_ID}' } }) }`,
    { 'app.txt': 'other\n' },
  )
  r = await runCli(other.dir, ['--json', 'docker:o'])
  assert.is(task(r, 'docker:o').status, 'ran', r.out)
  r = await runCli(f.dir, ['--json', 'docker:app'])
  const again = task(r, 'docker:app')
  assert.is(again.status, 'ran', r.out)
  assert.is(docker('image', 'inspect', '-f', '{{.Id}}', tag('moved')).stdout.trim(), again.value.imageId)
})

test('image: a failing RUN step fails the task, naming the step and showing its output', async () => {
  const f = project(
    `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "echo about-to-fail-marker; exit 3"]
`,
    `{ ...docker.image({ name: 'bad', labels: { 'typed-tasks.test': '${RUN_ID}' } }) }`,
  )
  // Containers of this failing step only (other tests and other runs share the daemon).
  const stepContainers = () =>
    docker('ps', '-a', '--no-trunc', '--format', '{{.Command}}')
      .stdout.split('\n')
      .filter((c) => c.includes('about-to-fail-marker')).length
  const containersBefore = stepContainers()
  const r = await runCli(f.dir, ['--json', 'docker:bad'])
  assert.is(r.code, 1, r.out)
  const t = task(r, 'docker:bad')
  assert.is(t.status, 'failed')
  assert.match(
    t.error,
    /docker build failed at step 3\/\d+ `RUN \["\/bin\/busybox", "sh", "-c", "echo about-to-fail-marker; exit 3"\]` \(Dockerfile:3\)/,
    t.error,
  )
  assert.match(t.error, /returned a non-zero code: 3/)
  assert.match(t.error, /output of that step ---\nabout-to-fail-marker/)
  assert.match(r.stderr, /about-to-fail-marker/, 'the step output is in the task log')
  assert.not.match(t.error, /\n\s+at /, 'no JavaScript stack trace')
  assert.is(stepContainers(), containersBefore, 'no container left behind (forcerm)')
})

test('image: a missing base image is reported as not pullable', async () => {
  const f = project('FROM typed-tasks-no-such-base-image:1.0\nRUN true\n', `{ ...docker.image({ name: 'nobase' }) }`)
  const r = await runCli(f.dir, ['--json', 'docker:nobase'])
  assert.is(r.code, 1, r.out)
  const t = task(r, 'docker:nobase')
  assert.match(
    t.error,
    /base image `typed-tasks-no-such-base-image:1.0` \(Dockerfile:1\) is not in the Docker daemon and could not be pulled/,
  )
})

test('image: daemon unreachable names DOCKER_HOST and the fix', async () => {
  const f = project(SIMPLE, `{ ...docker.image({ name: 'app' }) }`, { 'app.txt': 'x\n' })
  const r = await runCli(f.dir, ['--json', 'docker:app'], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } })
  assert.is(r.code, 1, r.out)
  const t = task(r, 'docker:app')
  assert.is(t.status, 'failed')
  assert.match(t.error, /cannot reach the Docker daemon at DOCKER_HOST=unix:\/\/\/nonexistent\.sock: ENOENT/)
  assert.match(t.error, /help: start the Docker daemon there, or fix or unset DOCKER_HOST/)
})

test('image: stages are separate chained tasks; a failing test stage skips the runtime image', async () => {
  const dockerfile = `FROM scratch AS build
COPY busybox /bin/busybox
COPY app.txt /app.txt
FROM build AS test
ARG FAIL=0
RUN ["/bin/busybox", "sh", "-c", "echo testing-stage; test \\"$FAIL\\" = 0"]
FROM scratch AS runtime
COPY --from=build /bin/busybox /bin/busybox
COPY --from=build /app.txt /app.txt
USER 65534
ENTRYPOINT ["/bin/busybox"]
`
  const cfg = (fail) =>
    `{ ...docker.image({ name: 'svc', stages: ['build', 'test', 'runtime'], tags: ['${tag('svc')}'], buildArgs: { FAIL: '${fail}' }, labels: { 'typed-tasks.test': '${RUN_ID}' } }) }`
  const f = project(dockerfile, cfg(0), { 'app.txt': 'svc\n' })
  let r = await runCli(f.dir, ['--json', 'docker:svc'])
  assert.is(r.code, 0, r.out)
  const names = json(r)
    .tasks.map((t) => t.name)
    .sort()
  assert.equal(names, ['docker:svc', 'docker:svc:build', 'docker:svc:runtime', 'docker:svc:test'])
  for (const s of ['build', 'test', 'runtime']) assert.is(task(r, `docker:svc:${s}`).status, 'ran')
  assert.is(task(r, 'docker:svc:runtime').value.target, 'runtime')
  assert.equal(task(r, 'docker:svc:runtime').value.tags, [tag('svc')])
  assert.equal(task(r, 'docker:svc:test').value.tags, [])
  assert.is(docker('image', 'inspect', '-f', '{{.Config.User}}', tag('svc')).stdout.trim(), '65534')

  r = await runCli(f.dir, ['--json', 'docker:svc:test'])
  assert.is(task(r, 'docker:svc:test').status, 'up-to-date', r.out)

  // A build arg is part of the fingerprint: FAIL=1 reruns the test stage, which fails.
  f.write('tasks.config.mjs', `import * as docker from '${DOCKER_URL}'\nexport default { tasks: ${cfg(1)} }\n`)
  r = await runCli(f.dir, ['--json', 'docker:svc'])
  assert.is(r.code, 1, r.out)
  assert.is(task(r, 'docker:svc:build').status, 'ran')
  assert.is(task(r, 'docker:svc:test').status, 'failed')
  assert.match(task(r, 'docker:svc:test').error, /step 6\/\d+ `RUN .*testing-stage/)
  assert.is(task(r, 'docker:svc:runtime').status, 'skipped')
})

test('run: exit code and logs; cached while the image is the same', async () => {
  const f = project(
    SIMPLE,
    `{
    ...docker.image({ name: 'app', tags: ['${tag('run')}'], labels: { 'typed-tasks.test': '${RUN_ID}' } }),
    ...docker.run({ name: 'hello', image: '${tag('run')}', cmd: ['sh', '-c', 'cat /app.txt; echo to-stderr >&2'], deps: ['docker:app'] }),
    ...docker.run({ name: 'exit3', image: '${tag('run')}', cmd: ['sh', '-c', 'echo failing-run-output; exit 3'], deps: ['docker:app'] }),
    ...docker.run({ name: 'env', image: '${tag('run')}', cmd: ['sh', '-c', 'echo "v=$V"'], containerEnv: { V: 'from-recipe' }, cache: false, deps: ['docker:app'] }),
  }`,
    { 'app.txt': 'hello-from-image\n' },
  )
  let r = await runCli(f.dir, ['--json', 'docker:hello', 'docker:env'])
  assert.is(r.code, 0, r.out)
  const hello = task(r, 'docker:hello')
  assert.is(hello.status, 'ran')
  assert.is(hello.value.exitCode, 0)
  assert.is(hello.value.stdout, 'hello-from-image\n')
  assert.is(hello.value.stderr, 'to-stderr\n')
  assert.match(r.stderr, /\[docker:hello\] hello-from-image/)
  assert.is(task(r, 'docker:env').value.stdout, 'v=from-recipe\n')

  r = await runCli(f.dir, ['--json', 'docker:hello', 'docker:env'])
  assert.is(task(r, 'docker:hello').status, 'up-to-date', r.out)
  assert.is(task(r, 'docker:env').status, 'ran', 'cache: false always runs')

  // The image changes: the run is done again.
  f.write('app.txt', 'changed\n')
  r = await runCli(f.dir, ['--json', 'docker:hello'])
  assert.is(task(r, 'docker:hello').status, 'ran', r.out)
  assert.is(task(r, 'docker:hello').value.stdout, 'changed\n')

  r = await runCli(f.dir, ['--json', 'docker:exit3'])
  assert.is(r.code, 1, r.out)
  const bad = task(r, 'docker:exit3')
  assert.is(bad.status, 'failed')
  assert.is(bad.exitCode, 3)
  assert.match(r.stderr, /failing-run-output/)
  assert.is(
    docker('ps', '-aq', '--filter', 'label=typed-tasks.task=docker:exit3').stdout.trim(),
    '',
    'container removed',
  )
})

test('push: to a local registry with credentials from the Docker config; cached while the registry has it', async () => {
  const registry = await startRegistry({ username: 'alice', password: 's3cret' })
  try {
    const ref = `${registry.host}/typed-tasks-test/app:${RUN_ID}`
    const cfgDir = fixture()
    fixtures.push(cfgDir)
    const auth = (user, pass) =>
      JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } } })
    cfgDir.write('config.json', auth('alice', 'wrong'))
    const f = project(
      SIMPLE,
      `{
      ...docker.image({ name: 'app', tags: ['${tag('push')}'], labels: { 'typed-tasks.test': '${RUN_ID}' } }),
      ...docker.push({ name: 'publish', image: '${ref}', source: '${tag('push')}', deps: ['docker:app'] }),
    }`,
      { 'app.txt': 'pushed\n' },
    )
    const env = { DOCKER_CONFIG: cfgDir.dir }

    let r = await runCli(f.dir, ['--json', 'docker:publish'], { env })
    assert.is(r.code, 1, r.out)
    assert.match(task(r, 'docker:publish').error, /docker push .* failed: .*(unauthorized|authentication required)/i)
    assert.match(task(r, 'docker:publish').error, /help: log in with `docker login/)

    cfgDir.write('config.json', auth('alice', 's3cret'))
    r = await runCli(f.dir, ['--json', 'docker:publish'], { env })
    assert.is(r.code, 0, r.out)
    const pushed = task(r, 'docker:publish')
    assert.is(pushed.status, 'ran')
    assert.match(pushed.value.digest, /^sha256:[0-9a-f]{64}$/)
    assert.ok(registry.manifests.has(`typed-tasks-test/app:${RUN_ID}`))

    r = await runCli(f.dir, ['--json', 'docker:publish'], { env })
    assert.is(task(r, 'docker:publish').status, 'up-to-date', r.out)

    // The registry lost it: push again.
    registry.manifests.clear()
    r = await runCli(f.dir, ['--json', 'docker:publish'], { env })
    assert.is(task(r, 'docker:publish').status, 'ran', r.out)
    docker('rmi', ref)
  } finally {
    await registry.close()
  }
})

test('no-op run with a docker task stays fast (no dockerode import)', async () => {
  const f = project(
    SIMPLE,
    `{ ...docker.image({ name: 'app', tags: ['${tag('fast')}'], labels: { 'typed-tasks.test': '${RUN_ID}' } }) }`,
    { 'app.txt': 'fast\n' },
  )
  let r = await runCli(f.dir, ['--json', 'docker:app'])
  assert.is(r.code, 0, r.out)
  const t0 = Date.now()
  r = await runCli(f.dir, ['--json', 'docker:app'], { env: { NODE_DEBUG: 'module' } })
  const ms = Date.now() - t0
  assert.is(task(r, 'docker:app').status, 'up-to-date')
  assert.not.match(r.stderr, /node_modules\/dockerode\//, 'dockerode was not loaded on the no-op path')
  console.log(`  no-op with one docker image task: ${ms} ms`)
})

test.run()
