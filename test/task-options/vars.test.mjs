// Task variables: `vars: { env: { default, choices } }` and `--var env=prod`: the command sees them
// as environment variables, they enter the fingerprint, and bad values are usage errors.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, tasksJson, tasks, dump, LIB_URL, fixture } from '../rig.mjs'

const DEPLOY = `{
  deploy: { run: 'echo "deploying to $env in $region" >> log', shell: 'sh', inputs: [], vars: { env: { default: 'dev', choices: ['dev', 'staging', 'prod'] }, region: { default: 'eu' } } },
  release: { run: 'echo release', deps: ['deploy'] },
}`

test('vars: the default, then a given value; the command sees them; the fingerprint changes with the value', async () => {
  const p = project(DEPLOY)
  try {
    const r1 = await tasksJson(p.dir, ['deploy'])
    assert.is(r1.status.deploy, 'ran', dump(r1))
    assert.is((await tasksJson(p.dir, ['deploy'])).status.deploy, 'up-to-date')
    const r2 = await tasksJson(p.dir, ['deploy', '--var', 'env=prod'])
    assert.is(r2.status.deploy, 'ran', dump(r2))
    assert.equal(r2.task('deploy').reasonData, { code: 'env-changed', variables: ['env'] })
    assert.is((await tasksJson(p.dir, ['deploy', '--var', 'env=prod'])).status.deploy, 'up-to-date')
    const r3 = await tasksJson(p.dir, ['deploy', '--var', 'env=staging', '--var', 'region=us'])
    assert.is(r3.status.deploy, 'ran', dump(r3))
    assert.is(p.read('log'), 'deploying to dev in eu\ndeploying to prod in eu\ndeploying to staging in us\n')
    // A dependency's variable is set from the command line of the task that needs it.
    const r4 = await tasksJson(p.dir, ['release', '--var', 'env=staging'])
    assert.is(r4.status.deploy, 'ran', dump(r4))
    assert.match(p.read('log'), /deploying to staging in eu\n$/)
    // Back to a value seen before: its result is in the cache.
    assert.is((await tasksJson(p.dir, ['deploy'])).status.deploy, 'cache-hit')
  } finally {
    p.cleanup()
  }
})

test('vars: a value outside the choices is a usage error naming the task and the choices', async () => {
  const p = project(DEPLOY)
  try {
    const r = await tasks(p.dir, ['deploy', '--var', 'env=moon'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /task `deploy`/)
    assert.match(r.stderr, /moon/)
    assert.match(r.stderr, /dev, staging, prod/)
    assert.not.ok(p.exists('log'), 'nothing ran')
  } finally {
    p.cleanup()
  }
})

test('vars: an unknown name or a malformed --var is a usage error; a required variable without a value too', async () => {
  const p = project(`{ ...${DEPLOY}, need: { run: 'echo $who', vars: { who: {} } } }`)
  try {
    const unknown = await tasks(p.dir, ['deploy', '--var', 'enf=prod'])
    assert.is(unknown.code, 2, dump(unknown))
    assert.match(unknown.stderr, /unknown variable `enf`/)
    assert.match(unknown.stderr, /did you mean `env`/)
    const malformed = await tasks(p.dir, ['deploy', '--var', 'prod'])
    assert.is(malformed.code, 2, dump(malformed))
    assert.match(malformed.stderr, /name=value/)
    const missing = await tasks(p.dir, ['need'])
    assert.is(missing.code, 2, dump(missing))
    assert.match(missing.stderr, /task `need` needs the variable `who`/)
    const given = await tasks(p.dir, ['need', '--var', 'who=ada'])
    assert.is(given.code, 0, dump(given))
    assert.match(given.stderr, /ada/)
  } finally {
    p.cleanup()
  }
})

test('vars: a default outside its choices, or a bad variable name, is a config error', async () => {
  for (const [vars, re] of [
    [`{ env: { default: 'x', choices: ['a'] } }`, /default "x", which is not one of its choices/],
    [`{ 'bad-name': {} }`, /vars/],
  ]) {
    const p = project(`{ t: { run: 'echo', vars: ${vars} } }`)
    try {
      const r = await tasks(p.dir, ['t'])
      assert.is(r.code, 2, dump(r))
      assert.match(r.stderr, re)
    } finally {
      p.cleanup()
    }
  }
})

test('vars: the library takes run({ vars }) and rejects a bad value with a TasksError', async () => {
  const p = project(DEPLOY)
  const script = fixture({
    'go.mjs': `import { loadConfig, run } from '${LIB_URL}'
const config = await loadConfig({ cwd: ${JSON.stringify(p.dir)} })
const r = await run({ config, tasks: ['deploy'], vars: { env: 'staging' }, cache: false })
let err
try { await run({ config, tasks: ['deploy'], vars: { env: 'nope' } }) } catch (e) { err = e }
console.log(JSON.stringify({ ok: r.ok, code: err?.code, message: err?.message }))
`,
  })
  try {
    const { spawnSync } = await import('node:child_process')
    const out = spawnSync(process.execPath, [script.path('go.mjs')], { encoding: 'utf8' })
    const res = JSON.parse(out.stdout.trim().split('\n').pop())
    assert.is(res.ok, true, out.stderr)
    assert.is(res.code, 'usage')
    assert.match(res.message, /deploy/)
    assert.is(p.read('log'), 'deploying to staging in eu\n')
  } finally {
    p.cleanup()
    script.cleanup()
  }
})

test.run()
