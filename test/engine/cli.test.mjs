// CLI flags: --dry-run, --force, --no-cache, --explain, --list, --graph, --version, --help, --json,
// and the plain output format (CI=true, GitHub Actions groups).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, rmSync, existsSync } from 'node:fs'
import { project, tasks, tasksJson, dump, count, snapshot, REPO } from '../rig.mjs'

const config = `{
    gen: { description: 'generate the header', run: 'cat gen.txt > gen.out && echo ran >> runs-gen && echo GEN-LOG', inputs: ['gen.txt'], outputs: ['gen.out'] },
    build: { description: 'build the app', run: 'cat gen.out src.txt > app.out && echo ran >> runs-build', deps: ['gen'], inputs: ['gen.out', 'src.txt'], outputs: ['app.out'] },
    lint: { run: 'echo ran >> runs-lint', inputs: ['src.txt'] },
    all: { description: 'everything', deps: ['build', 'lint'] },
  }`
const files = { 'gen.txt': 'G\n', 'src.txt': 'S\n' }

test('--dry-run writes nothing (.tasks/ and outputs untouched) and says what would run and why', async () => {
  const p = project(config, files)
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    p.write('src.txt', 'S2\n')
    rmSync(p.path('gen.out'))
    const before = snapshot(p.dir)
    const r = await tasksJson(p.dir, ['all', '--dry-run'])
    assert.is(r.code, 0, dump(r))
    assert.equal(snapshot(p.dir), before, 'dry run changed files')
    assert.is(count(p.path('runs-build')), 1)
    assert.is(count(p.path('runs-lint')), 1)
    assert.not.ok(existsSync(p.path('gen.out')), 'dry run restored an output')
    // gen would be restored from the cache, build and lint would run because src.txt changed
    assert.is(r.status.gen, 'cache-hit', dump(r))
    assert.match(r.task('build').reason, /would run/)
    assert.match(r.task('lint').reason, /src\.txt/)
    assert.match(r.stderr, /\[lint\] would run: input changed: src\.txt/, dump(r))
  } finally {
    p.cleanup()
  }
})

test('--dry-run predicts the real run: a deleted dependency output that would be restored does not make dependents run', async () => {
  const p = project(config, files)
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    rmSync(p.path('gen.out'))
    const dry = await tasksJson(p.dir, ['all', '--dry-run'])
    const real = await tasksJson(p.dir, ['all'])
    assert.equal(
      real.status,
      { gen: 'cache-hit', build: 'up-to-date', lint: 'up-to-date', all: 'up-to-date' },
      dump(real),
    )
    assert.equal(dry.status, real.status, `dry run predicted differently from the real run:\n${dump(dry)}`)
  } finally {
    p.cleanup()
  }
})

test('--dry-run on a fresh project creates no .tasks/ and no outputs', async () => {
  const p = project(config, files)
  try {
    const before = snapshot(p.dir)
    const r = await tasksJson(p.dir, ['all', '--dry-run'])
    assert.is(r.code, 0, dump(r))
    assert.equal(snapshot(p.dir), before)
    assert.not.ok(existsSync(p.path('.tasks')), '.tasks/ created by a dry run')
    assert.match(r.task('gen').reason, /no previous run/)
  } finally {
    p.cleanup()
  }
})

test('--force reruns everything, even up-to-date tasks', async () => {
  const p = project(config, files)
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    const r = await tasksJson(p.dir, ['all', '--force'])
    assert.is(r.code, 0, dump(r))
    for (const t of ['gen', 'build', 'lint']) assert.is(r.status[t], 'ran', `${t}: ${dump(r)}`)
    assert.match(r.task('gen').reason, /forced/)
    assert.is(count(p.path('runs-gen')), 2)
    assert.is(count(p.path('runs-build')), 2)
  } finally {
    p.cleanup()
  }
})

test('--no-cache: a deleted output is not restored from the cache, the task runs', async () => {
  const p = project(config, files)
  try {
    assert.is((await tasksJson(p.dir, ['gen'])).code, 0)
    rmSync(p.path('gen.out'))
    const r = await tasksJson(p.dir, ['gen', '--no-cache'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.gen, 'ran', dump(r))
    assert.is(count(p.path('runs-gen')), 2)
    assert.is(p.read('gen.out'), 'G\n')
    // and up-to-date checks still apply with --no-cache
    const again = await tasksJson(p.dir, ['gen', '--no-cache'])
    assert.is(again.status.gen, 'up-to-date', dump(again))
  } finally {
    p.cleanup()
  }
})

test('--no-cache stores nothing in the cache', async () => {
  const p = project(config, files)
  try {
    assert.is((await tasksJson(p.dir, ['gen', '--no-cache'])).code, 0)
    rmSync(p.path('gen.out'))
    const r = await tasksJson(p.dir, ['gen'])
    assert.is(r.status.gen, 'ran', `nothing should have been cached: ${dump(r)}`)
  } finally {
    p.cleanup()
  }
})

test('--explain names the changed input file, and the dependency chain', async () => {
  const p = project(config, files)
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    p.write('gen.txt', 'G2\n')
    const before = snapshot(p.dir)
    const r = await tasks(p.dir, ['--explain', 'build'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stdout, /build: dependency changed: gen/)
    assert.match(r.stdout, /input changed: gen\.txt/, dump(r))
    assert.equal(snapshot(p.dir), before, '--explain wrote files')
    const up = await tasks(p.dir, ['--explain', 'lint'])
    assert.match(up.stdout, /lint: up to date/, dump(up))
  } finally {
    p.cleanup()
  }
})

test('--explain --json gives the changes as data', async () => {
  const p = project(config, files)
  try {
    assert.is((await tasksJson(p.dir, ['lint'])).code, 0)
    p.write('src.txt', 'S3\n')
    const r = await tasks(p.dir, ['--explain', 'lint', '--json'])
    const e = JSON.parse(r.stdout)
    assert.is(e.task, 'lint')
    assert.is(e.upToDate, false)
    assert.ok(
      e.changes.some((c) => c.kind === 'input-changed' && c.what === 'src.txt'),
      r.stdout,
    )
  } finally {
    p.cleanup()
  }
})

test('--list shows every task with its description', async () => {
  const p = project(config, files)
  try {
    const r = await tasks(p.dir, ['--list'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stdout, /gen\s+generate the header/)
    assert.match(r.stdout, /build\s+build the app/)
    assert.match(r.stdout, /all\s+everything/)
    assert.match(r.stdout, /^\s+lint\s*$/m)
  } finally {
    p.cleanup()
  }
})

test('no task named and no `default`: prints the list, exit 0', async () => {
  const p = project(config, files)
  try {
    const r = await tasks(p.dir, [])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stdout, /build\s+build the app/)
    assert.not.ok(existsSync(p.path('runs-gen')))
  } finally {
    p.cleanup()
  }
})

test('no task named with a `default` task: runs it', async () => {
  const p = project(`{ default: { run: 'echo ran >> runs' } }`)
  try {
    const r = await tasksJson(p.dir, [])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.default, 'ran')
  } finally {
    p.cleanup()
  }
})

test('--graph prints DOT with every edge; --graph mermaid a flowchart', async () => {
  const p = project(config, files)
  try {
    const dot = await tasks(p.dir, ['--graph'])
    assert.is(dot.code, 0, dump(dot))
    assert.match(dot.stdout, /^digraph/)
    assert.match(dot.stdout, /"build" -> "gen"/)
    assert.match(dot.stdout, /"all" -> "lint"/)
    const mer = await tasks(p.dir, ['--graph', 'mermaid', 'build'])
    assert.is(mer.code, 0, dump(mer))
    assert.match(mer.stdout, /^flowchart/)
    assert.match(mer.stdout, /"build"/)
    assert.match(mer.stdout, /"gen"/)
    assert.match(mer.stdout, /-->/)
    assert.not.match(mer.stdout, /lint/, 'graph of `build` should not include lint')
    const bad = await tasks(p.dir, ['--graph', 'svg'])
    assert.is(bad.code, 2, dump(bad))
  } finally {
    p.cleanup()
  }
})

test('--version prints the package.json version; --help exits 0', async () => {
  const p = project(config, files)
  try {
    const pkg = JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8'))
    const v = await tasks(p.dir, ['--version'])
    assert.is(v.code, 0)
    assert.is(v.stdout.trim(), pkg.version)
    const h = await tasks(p.dir, ['--help'])
    assert.is(h.code, 0, dump(h))
    assert.match(h.stdout + h.stderr, /--dry-run/)
    assert.match(h.stdout + h.stderr, /--explain/)
  } finally {
    p.cleanup()
  }
})

test('--json: stdout is only the RunResult JSON, with the documented shape', async () => {
  const p = project(config, files)
  try {
    const r = await tasksJson(p.dir, ['all'])
    assert.is(r.code, 0, dump(r))
    const j = r.json
    assert.is(j.ok, true)
    assert.is(j.interrupted, false)
    assert.equal(j.tasks.map((t) => t.name).sort(), ['all', 'build', 'gen', 'lint'])
    for (const t of j.tasks) {
      assert.type(t.durationMs, 'number')
      assert.type(t.savedMs, 'number')
      assert.type(t.reason, 'string')
      assert.ok(['ran', 'cache-hit', 'up-to-date', 'failed', 'skipped'].includes(t.status))
    }
    // dependencies come before their dependents
    const order = j.tasks.map((t) => t.name)
    assert.ok(order.indexOf('gen') < order.indexOf('build'))
    assert.ok(order.indexOf('build') < order.indexOf('all'))
    for (const k of ['tasks', 'ran', 'cacheHits', 'upToDate', 'failed', 'skipped', 'wallMs', 'savedMs'])
      assert.type(j.summary[k], 'number', k)
    assert.is(j.summary.tasks, 4)
    assert.not.match(r.stdout, /GEN-LOG/, 'task output leaked to stdout')
    assert.match(r.stderr, /GEN-LOG/)
  } finally {
    p.cleanup()
  }
})

test('plain output with CI=true: [task] prefixes and the summary line', async () => {
  const p = project(config, files)
  try {
    const r = await tasks(p.dir, ['all'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.stdout, '')
    assert.match(r.stderr, /^\[gen\] run: no previous run$/m)
    assert.match(r.stderr, /^\[gen\] GEN-LOG$/m)
    assert.match(r.stderr, /^\[gen\] ran in (\d+ ms|\d+(\.\d+)? s)$/m)
    assert.match(
      r.stderr,
      /^tasks: 4 \| ran: 4 \| cache hits: 0 \| up to date: 0 \| failed: 0 \| skipped: 0 \| wall: .+ \| saved: .+$/m,
      dump(r),
    )
    const again = await tasks(p.dir, ['all'])
    assert.match(again.stderr, /^\[gen\] up to date$/m)
    assert.match(
      again.stderr,
      /^tasks: 4 \| ran: 0 \| cache hits: 0 \| up to date: 4 \| failed: 0 \| skipped: 0 \|/m,
      dump(again),
    )
    // every non-summary line is prefixed
    for (const line of again.stderr.split('\n').filter(Boolean))
      assert.ok(/^\[\w+\] |^tasks: /.test(line), `unprefixed line: ${line}`)
  } finally {
    p.cleanup()
  }
})

test('GITHUB_ACTIONS=true: each task in a ::group:: block', async () => {
  const p = project(config, files)
  try {
    const r = await tasks(p.dir, ['gen'], { env: { GITHUB_ACTIONS: 'true' } })
    assert.is(r.code, 0, dump(r))
    assert.match(r.stderr, /^::group::.*gen/m, dump(r))
    assert.match(r.stderr, /^::endgroup::$/m)
    const start = r.stderr.indexOf('::group::'),
      end = r.stderr.indexOf('::endgroup::')
    assert.ok(start < r.stderr.indexOf('GEN-LOG') && r.stderr.indexOf('GEN-LOG') < end, 'log not inside the group')
  } finally {
    p.cleanup()
  }
})

test('--cwd and --config find the project from elsewhere', async () => {
  const p = project(config, files)
  try {
    const r = await tasksJson(p.path('..'), ['gen', '--cwd', p.dir])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.gen, 'ran')
    const r2 = await tasksJson('/', ['gen', '--config', p.path('tasks.config.mjs')])
    assert.is(r2.status.gen, 'up-to-date', dump(r2))
  } finally {
    p.cleanup()
  }
})

test('a subfolder finds the config in a parent folder', async () => {
  const p = project(config, { ...files, 'sub/deeper/x.txt': '' })
  try {
    const r = await tasksJson(p.path('sub/deeper'), ['gen'])
    assert.is(r.code, 0, dump(r))
    assert.is(p.read('gen.out'), 'G\n')
    assert.ok(existsSync(p.path('.tasks')), 'cache not at the project root')
  } finally {
    p.cleanup()
  }
})

test.run()
