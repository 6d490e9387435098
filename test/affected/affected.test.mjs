// `--affected[=REF]` on a real git history: a branch with commits, then staged, unstaged and
// untracked changes, a lockfile, a definition change in the config, a shallow clone, a bad ref.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { project, tasksJson, tasks, dump, fixture } from '../rig.mjs'

const TASKS = `{
  lint: { run: 'echo lint', inputs: ['src/a/**'] },
  build: { run: 'echo build > out-build.txt', inputs: ['src/b/**'], outputs: ['out-build.txt'] },
  test: { run: 'echo test', inputs: ['test/**'], deps: ['build'] },
  deps: { run: 'echo deps', inputs: ['package-lock.json', 'src/c/**'] },
  docs: { run: 'echo docs', inputs: ['docs/**'] },
  all: { deps: ['lint', 'test', 'deps', 'docs'] },
}`

function git(dir, ...args) {
  const r = spawnSync(
    'git',
    [
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@example.invalid',
      '-c',
      'init.defaultBranch=main',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd: dir, encoding: 'utf8' },
  )
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

function repo() {
  const p = project(TASKS, {
    '.gitignore': '.tasks/\nignored.txt\n',
    'src/a/a.txt': 'a',
    'src/b/b.txt': 'b',
    'src/c/c.txt': 'c',
    'test/t.txt': 't',
    'docs/d.md': 'd',
    'package-lock.json': '{}\n',
  })
  git(p.dir, 'init', '-q')
  git(p.dir, 'add', '-A')
  git(p.dir, 'commit', '-qm', 'base')
  git(p.dir, 'checkout', '-qb', 'feature')
  return p
}

/** Status by task, and the affected report, of `--affected --dry-run --json`. */
async function affected(dir, extra = [], opts = {}) {
  const r = await tasksJson(dir, ['all', '--dry-run', ...extra], opts)
  assert.is(r.code, 0, dump(r))
  const skipped = r.json.tasks
    .filter((t) => t.reasonData.code === 'not-affected')
    .map((t) => t.name)
    .sort()
  const run = r.json.tasks
    .filter((t) => t.reasonData.code !== 'not-affected')
    .map((t) => t.name)
    .sort()
  return { r, skipped, run, because: Object.fromEntries(r.json.affected.tasks.map((t) => [t.task, t.because])) }
}

test('affected: nothing changed on the branch: every task is skipped as not affected, exit 0', async () => {
  const p = repo()
  try {
    const a = await affected(p.dir, ['--affected'])
    assert.equal(a.run, [], dump(a.r))
    assert.equal(a.skipped, ['all', 'build', 'deps', 'docs', 'lint', 'test'])
    assert.is(a.r.task('lint').reason, `not affected since ${a.r.json.affected.base.slice(0, 12)}`)
    assert.is(a.r.json.ok, true)
  } finally {
    p.cleanup()
  }
})

test('affected: a commit on the branch affects the task whose inputs it touches and its dependents; it runs, others are skipped', async () => {
  const p = repo()
  try {
    p.write('src/b/b.txt', 'b2')
    git(p.dir, 'commit', '-qam', 'change b')
    const a = await affected(p.dir, ['--affected=main'])
    assert.equal(a.run, ['all', 'build', 'test'], dump(a.r))
    assert.equal(a.because.build, { kind: 'file', file: 'src/b/b.txt' })
    assert.equal(a.because.test, { kind: 'dependency', dependency: 'build' })
    assert.equal(a.r.json.affected.files, ['src/b/b.txt'])
    // A real run: build and test run, the rest is skipped, and the run succeeds.
    const real = await tasksJson(p.dir, ['all', '--affected'])
    assert.is(real.code, 0, dump(real))
    assert.is(real.status.build, 'ran')
    assert.is(real.status.test, 'ran')
    assert.is(real.status.lint, 'skipped')
    assert.is(real.task('lint').reasonData.code, 'not-affected')
    assert.is(real.json.summary.skipped, 3)
    // The engine's decision still applies: affected but unchanged since the last run is up to date.
    const again = await tasksJson(p.dir, ['all', '--affected'])
    assert.is(again.status.build, 'up-to-date', dump(again))
  } finally {
    p.cleanup()
  }
})

test('affected: staged, unstaged and untracked (not ignored) changes count; ignored files do not', async () => {
  const p = repo()
  try {
    p.write('ignored.txt', 'x')
    assert.equal((await affected(p.dir, ['--affected'])).run, [])
    p.write('test/t.txt', 't2')
    git(p.dir, 'add', 'test/t.txt')
    let a = await affected(p.dir, ['--affected'])
    assert.equal(a.run, ['all', 'build', 'test'], 'staged: test, and build because test needs it')
    assert.equal(a.because.test, { kind: 'file', file: 'test/t.txt' })
    assert.equal(a.because.build, { kind: 'needed-by', task: 'test' })
    p.write('src/a/a.txt', 'a2')
    a = await affected(p.dir, ['--affected'])
    assert.ok(a.run.includes('lint'), 'unstaged')
    p.write('src/c/new.txt', 'new')
    a = await affected(p.dir, ['--affected'])
    assert.equal(a.because.deps, { kind: 'file', file: 'src/c/new.txt' }, 'untracked')
    assert.equal(a.skipped, ['docs'])
    // A deleted input counts too.
    git(p.dir, 'rm', '-q', 'docs/d.md')
    a = await affected(p.dir, ['--affected'])
    assert.equal(a.because.docs, { kind: 'file', file: 'docs/d.md' })
  } finally {
    p.cleanup()
  }
})

test('affected: a lockfile change affects only the tasks whose inputs include it', async () => {
  const p = repo()
  try {
    p.write('package-lock.json', '{"lockfileVersion":3}\n')
    const a = await affected(p.dir, ['--affected'])
    assert.equal(a.run, ['all', 'deps'], dump(a.r))
    assert.equal(a.because.deps, { kind: 'file', file: 'package-lock.json' })
  } finally {
    p.cleanup()
  }
})

test('affected: a task whose definition changed in the config is affected; --explain names the file', async () => {
  const p = repo()
  try {
    p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace("run: 'echo docs'", "run: 'echo docs v2'"))
    git(p.dir, 'commit', '-qam', 'docs command')
    const a = await affected(p.dir, ['--affected'])
    assert.equal(a.run, ['all', 'docs'], dump(a.r))
    assert.equal(a.because.docs, { kind: 'definition', file: 'tasks.config.mjs' })
    const x = await tasks(p.dir, ['all', '--affected', '--explain'])
    assert.is(x.code, 0, dump(x))
    assert.match(x.stdout, /docs: affected: its definition in tasks\.config\.mjs changed/)
    assert.match(x.stdout, /lint: not affected/)
    // No temporary copy of the base config is left beside the config.
    assert.is(git(p.dir, 'status', '--porcelain', '--untracked-files=all'), '')
    // An unstaged change of a file input is named by --explain.
    p.write('src/b/b.txt', 'b3')
    const y = await tasks(p.dir, ['all', '--affected', '--explain'])
    assert.match(y.stdout, /build: affected: src\/b\/b\.txt changed/)
    assert.match(y.stdout, /test: affected: dependency `build` is affected/)
  } finally {
    p.cleanup()
  }
})

test('affected: a --var value is not a definition change; a changed variable default is', async () => {
  const p = project(
    `{
    deploy: { run: 'echo deploy', inputs: ['deploy/**'], vars: { env: { default: 'dev', choices: ['dev', 'prod'] } } },
    docs: { run: 'echo docs', inputs: ['docs/**'] },
    all: { deps: ['deploy', 'docs'] },
  }`,
    { '.gitignore': '.tasks/\n', 'deploy/d.txt': 'd', 'docs/d.md': 'd' },
  )
  try {
    git(p.dir, 'init', '-q')
    git(p.dir, 'add', '-A')
    git(p.dir, 'commit', '-qm', 'base')
    git(p.dir, 'checkout', '-qb', 'feature')
    // The config changed (another task's command), so definitions are compared task by task.
    p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace("run: 'echo docs'", "run: 'echo docs v2'"))
    const a = await affected(p.dir, ['--affected', '--var', 'env=prod'])
    assert.equal(a.run, ['all', 'docs'], dump(a.r))
    assert.equal(a.skipped, ['deploy'])
    p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace("default: 'dev'", "default: 'prod'"))
    const b = await affected(p.dir, ['--affected'])
    assert.equal(b.because.deploy, { kind: 'definition', file: 'tasks.config.mjs' }, dump(b.r))
  } finally {
    p.cleanup()
  }
})

test('affected: TASKS_AFFECTED_BASE sets the default ref; an unknown ref is a usage error', async () => {
  const p = repo()
  try {
    git(p.dir, 'branch', 'old')
    p.write('src/a/a.txt', 'a2')
    git(p.dir, 'commit', '-qam', 'a')
    git(p.dir, 'branch', '-f', 'main', 'HEAD')
    // main now contains the change; `old` does not.
    assert.equal((await affected(p.dir, ['--affected'])).run, [])
    assert.equal((await affected(p.dir, ['--affected'], { env: { TASKS_AFFECTED_BASE: 'old' } })).run, ['all', 'lint'])
    const bad = await tasks(p.dir, ['all', '--affected=no-such-branch'])
    assert.is(bad.code, 2, dump(bad))
    assert.match(bad.stderr, /no-such-branch/)
  } finally {
    p.cleanup()
  }
})

test('affected: a shallow clone without the merge base runs everything, with a warning', async () => {
  const p = repo()
  const clone = mkdtempSync(join(tmpdir(), 'tasks-shallow-'))
  try {
    p.write('src/a/a.txt', 'a2')
    git(p.dir, 'commit', '-qam', 'a')
    git(p.dir, 'commit', '-q', '--allow-empty', '-m', 'b')
    git(clone, 'clone', '-q', '--depth', '1', '--branch', 'feature', '--single-branch', `file://${p.dir}`, 'c')
    const dir = join(clone, 'c')
    const r = await tasksJson(dir, ['all', '--affected=main', '--dry-run'])
    assert.is(r.code, 0, dump(r))
    assert.ok(
      r.json.tasks.every((t) => t.reasonData.code !== 'not-affected'),
      dump(r),
    )
    assert.match(r.stderr, /shallow clone/)
    assert.is(r.json.affected.tasks[0].because.kind, 'everything')
  } finally {
    p.cleanup()
    rmSync(clone, { recursive: true, force: true })
  }
})

test('affected: in a monorepo, a workspace config change affects its tasks; root defaults changes are compared task by task', async () => {
  const p = fixture({
    '.gitignore': '.tasks/\n',
    'tasks.config.mjs': `export default { workspaces: ['packages/*'], defaults: { build: { inputs: ['src/**'] } }, tasks: { all: { deps: ['^build'] } } }\n`,
    'packages/a/package.json': '{"name":"a"}',
    'packages/a/src/x.txt': 'a',
    'packages/a/tasks.config.mjs': "export default { tasks: { build: { run: 'echo a' } } }\n",
    'packages/b/package.json': '{"name":"b"}',
    'packages/b/src/x.txt': 'b',
    'packages/b/tasks.config.mjs': "export default { tasks: { build: { run: 'echo b' } } }\n",
  })
  try {
    git(p.dir, 'init', '-q')
    git(p.dir, 'add', '-A')
    git(p.dir, 'commit', '-qm', 'base')
    git(p.dir, 'checkout', '-qb', 'feature')
    const run = async () => {
      const r = await tasksJson(p.dir, ['all', '--affected', '--dry-run'])
      assert.is(r.code, 0, dump(r))
      return Object.fromEntries(r.json.affected.tasks.map((t) => [t.task, t.because]))
    }
    assert.equal(await run(), {})
    p.write('packages/b/src/x.txt', 'b2')
    assert.equal(await run(), {
      'b#build': { kind: 'file', file: 'packages/b/src/x.txt' },
      all: { kind: 'dependency', dependency: 'b#build' },
    })
    git(p.dir, 'checkout', '-q', '--', '.')
    p.write('packages/a/tasks.config.mjs', "export default { tasks: { build: { run: 'echo a2' } } }\n")
    assert.equal((await run())['a#build'], { kind: 'definition', file: 'packages/a/tasks.config.mjs' })
    git(p.dir, 'checkout', '-q', '--', '.')
    // The root's defaults changed: every workspace's build differs from the base's.
    p.write(
      'tasks.config.mjs',
      p.read('tasks.config.mjs').replace("inputs: ['src/**']", "inputs: ['src/**', 'extra.txt']"),
    )
    const both = await run()
    assert.equal(both['a#build'], { kind: 'definition', file: 'tasks.config.mjs' })
    assert.equal(both['b#build'], { kind: 'definition', file: 'tasks.config.mjs' })
  } finally {
    p.cleanup()
  }
})

test('affected: outside a git work tree it is a usage error', async () => {
  const p = project(TASKS)
  try {
    const r = await tasks(p.dir, ['all', '--affected'])
    if (process.env.TASKS_TEST_GIT === '1') return
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /git work tree/)
  } finally {
    p.cleanup()
  }
})

test.run()
