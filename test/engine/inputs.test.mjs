// What else enters the fingerprint: added/removed input files, `!` excludes, a task's `cwd`,
// `setEnv`, `toolVersions`; and what does not: files outside the globs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rmSync } from 'node:fs'
import { project, tasksJson, dump, count } from '../rig.mjs'

test('a new file matching the glob reruns; a removed one too; a non-matching one does not', async () => {
  const p = project(`{ t: { run: 'echo ran >> runs-t', inputs: ['src/**/*.c', '!src/skip/**'] } }`, {
    'src/a.c': 'a',
    'src/b.h': 'b',
  })
  try {
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'ran')
    p.write('src/new.c', 'n')
    const added = await tasksJson(p.dir, ['t'])
    assert.is(added.status.t, 'ran', dump(added))
    assert.match(added.task('t').reason, /src\/new\.c/)
    p.write('src/b.h', 'changed')
    p.write('src/skip/x.c', 'excluded')
    const ignored = await tasksJson(p.dir, ['t'])
    assert.is(ignored.status.t, 'up-to-date', dump(ignored))
    rmSync(p.path('src/a.c'))
    const removed = await tasksJson(p.dir, ['t'])
    assert.is(removed.status.t, 'ran', dump(removed))
    assert.match(removed.task('t').reason, /src\/a\.c/)
    // back to the very first set of inputs: that result is in the cache
    p.write('src/a.c', 'a')
    rmSync(p.path('src/new.c'))
    const first = await tasksJson(p.dir, ['t'])
    assert.is(first.status.t, 'cache-hit', dump(first))
    assert.is(count(p.path('runs-t')), 3)
  } finally {
    p.cleanup()
  }
})

test('a task with `cwd`: inputs and outputs are relative to it, the command runs there, restore works', async () => {
  const p = project(
    `{ sub: { cwd: 'pkg', run: 'cat in.txt > out.txt && pwd >> ../runs', inputs: ['in.txt'], outputs: ['out.txt'] } }`,
    { 'pkg/in.txt': 'IN\n' },
  )
  try {
    const r1 = await tasksJson(p.dir, ['sub'])
    assert.is(r1.code, 0, dump(r1))
    assert.is(p.read('pkg/out.txt'), 'IN\n')
    assert.match(p.read('runs'), /\/pkg\n$/)
    p.write('pkg/in.txt', 'IN2\n')
    assert.is((await tasksJson(p.dir, ['sub'])).status.sub, 'ran')
    p.write('pkg/in.txt', 'IN\n')
    const back = await tasksJson(p.dir, ['sub'])
    assert.is(back.status.sub, 'cache-hit', dump(back))
    assert.is(p.read('pkg/out.txt'), 'IN\n')
    assert.is(count(p.path('runs')), 2)
  } finally {
    p.cleanup()
  }
})

test('setEnv: the command sees the values; changing one reruns', async () => {
  const p = project(`{ t: { run: 'echo "$GREETING" >> runs', inputs: [], setEnv: { GREETING: 'hello' } } }`)
  try {
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'ran')
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'up-to-date')
    p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace("'hello'", "'bonjour'"))
    const r = await tasksJson(p.dir, ['t'])
    assert.is(r.status.t, 'ran', dump(r))
    assert.is(p.read('runs'), 'hello\nbonjour\n')
  } finally {
    p.cleanup()
  }
})

test('toolVersions: a changed tool output reruns the task', async () => {
  const p = project(`{ t: { run: 'echo ran >> runs', inputs: [], toolVersions: ['cat tool-version.txt'] } }`, {
    'tool-version.txt': '1.0\n',
  })
  try {
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'ran')
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'up-to-date')
    p.write('tool-version.txt', '2.0\n')
    const r = await tasksJson(p.dir, ['t'])
    assert.is(r.status.t, 'ran', dump(r))
  } finally {
    p.cleanup()
  }
})

test('dependents of a cache-hit dependency are up to date (the fingerprint is the same)', async () => {
  const p = project(`{
    gen: { run: 'echo G > gen.out', inputs: [], outputs: ['gen.out'] },
    use: { run: 'cat gen.out > use.out && echo ran >> runs', deps: ['gen'], inputs: ['gen.out'], outputs: ['use.out'] },
  }`)
  try {
    assert.is((await tasksJson(p.dir, ['use'])).code, 0)
    rmSync(p.path('gen.out'))
    const r = await tasksJson(p.dir, ['use'])
    assert.equal(r.status, { gen: 'cache-hit', use: 'up-to-date' }, dump(r))
    assert.is(count(p.path('runs')), 1)
  } finally {
    p.cleanup()
  }
})

test('--force still stores results: a later deleted output comes back from the cache', async () => {
  const p = project(`{ t: { run: 'echo T > t.out && echo ran >> runs', inputs: [], outputs: ['t.out'] } }`)
  try {
    assert.is((await tasksJson(p.dir, ['t', '--force'])).status.t, 'ran')
    rmSync(p.path('t.out'))
    const r = await tasksJson(p.dir, ['t'])
    assert.is(r.status.t, 'cache-hit', dump(r))
    assert.is(count(p.path('runs')), 1)
  } finally {
    p.cleanup()
  }
})

test('declared outputs that the command does not produce: a warning', async () => {
  const p = project(`{ t: { run: 'true', inputs: [], outputs: ['never.out'] } }`)
  try {
    const r = await tasksJson(p.dir, ['t'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stderr, /warning.*never\.out/, dump(r))
  } finally {
    p.cleanup()
  }
})

test.run()
