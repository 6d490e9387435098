// Flag order and the CLI's closing lines: a boolean flag before a task name acts on that task,
// --explain explains the named tasks, a failed run names its failed tasks, --help has no
// "(default: true)" for the --no-* options.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, tasks, tasksJson, dump, count } from '../rig.mjs'

const CONFIG = `{
  default: { run: 'echo default >> runs-default' },
  build: { run: 'echo build >> runs-build', inputs: ['a.txt'] },
  other: { run: 'echo other >> runs-other', inputs: ['a.txt'] },
}`

test('`tasks --dry-run build` acts on build (not the default task) and runs nothing', async () => {
  const p = project(CONFIG, { 'a.txt': 'a' })
  try {
    const r = await tasks(p.dir, ['--dry-run', 'build'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stderr, /\[build\] would run/, dump(r))
    assert.not.match(r.stderr, /\[default\]/)
    assert.is(count(p.path('runs-build')) + count(p.path('runs-default')), 0)
    const j = await tasksJson(p.dir, ['--dry-run', 'build'])
    assert.equal(
      j.json.tasks.map((t) => t.name),
      ['build'],
    )
    assert.is(j.json.summary.dryRun, true)
  } finally {
    p.cleanup()
  }
})

test('`tasks --force build` and `tasks build --dry-run` keep working', async () => {
  const p = project(CONFIG, { 'a.txt': 'a' })
  try {
    let r = await tasksJson(p.dir, ['--force', 'build'])
    assert.equal(Object.keys(r.status), ['build'])
    r = await tasksJson(p.dir, ['build', '--dry-run'])
    assert.equal(Object.keys(r.status), ['build'])
    assert.is(count(p.path('runs-build')), 1)
  } finally {
    p.cleanup()
  }
})

test('`tasks --explain build` and `tasks --explain build other` explain the named tasks', async () => {
  const p = project(CONFIG, { 'a.txt': 'a' })
  try {
    await tasks(p.dir, ['build', 'other'])
    p.write('a.txt', 'b')
    let r = await tasks(p.dir, ['--explain', 'build'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stdout, /^build: input changed: a\.txt/m, dump(r))
    assert.not.match(r.stdout, /other|default/)
    r = await tasks(p.dir, ['--explain', 'build', 'other'])
    assert.match(r.stdout, /^build: input changed/m, dump(r))
    assert.match(r.stdout, /^other: input changed/m, dump(r))
    r = await tasks(p.dir, ['build', '--explain'])
    assert.match(r.stdout, /^build: input changed/m, dump(r))
    r = await tasks(p.dir, ['--explain=build'])
    assert.match(r.stdout, /^build: input changed/m, dump(r))
    // explaining runs nothing
    assert.is(count(p.path('runs-build')), 1)
    assert.is(count(p.path('runs-default')), 0)
  } finally {
    p.cleanup()
  }
})

test('`tasks --graph build` draws build (the task name is not taken as the format)', async () => {
  const p = project(`{ lib: { run: 'true' }, build: { run: 'true', deps: ['lib'] }, other: { run: 'true' } }`)
  try {
    let r = await tasks(p.dir, ['--graph', 'build'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stdout, /^digraph tasks/)
    assert.match(r.stdout, /"build" -> "lib"/)
    assert.not.match(r.stdout, /"other"/)
    r = await tasks(p.dir, ['--graph', 'mermaid', 'build'])
    assert.match(r.stdout, /^flowchart LR/)
    r = await tasks(p.dir, ['--graph', 'svg'])
    assert.is(r.code, 2, dump(r))
  } finally {
    p.cleanup()
  }
})

test('a failed run ends with a line naming the failed tasks', async () => {
  const p = project(`{
    a: { run: 'exit 3' },
    b: { run: 'exit 4' },
    c: { run: 'true' },
  }`)
  try {
    const r = await tasks(p.dir, ['a', 'b', 'c', '--continue'])
    assert.is(r.code, 1, dump(r))
    const lines = r.stderr.trimEnd().split('\n')
    assert.is(lines.at(-1), 'failed: a, b', dump(r))
    assert.match(lines.at(-2), /^tasks: 3 \| ran: 1 .*failed: 2/, dump(r))
    const ok = await tasks(p.dir, ['c'])
    assert.not.match(ok.stderr, /^failed:/m)
  } finally {
    p.cleanup()
  }
})

test('--help prints no "(default: true)" for --no-cache and --no-git', async () => {
  const p = project(`{ a: { run: 'true' } }`)
  try {
    const r = await tasks(p.dir, ['--help'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stdout, /--no-cache/)
    assert.match(r.stdout, /--no-git/)
    assert.not.match(r.stdout, /default: true/, r.stdout)
    assert.match(r.stdout, /--explain {2,}/)
  } finally {
    p.cleanup()
  }
})

test.run()
