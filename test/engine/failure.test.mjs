// A failing command: exit code 1, its output shown, dependents skipped, --continue, never cached.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, tasksJson, tasks, dump, count, acEntries } from '../rig.mjs'

const config = `{
    bad: { run: 'echo ran >> runs-bad; echo BAD-OUTPUT-LINE; echo BAD-ERR-LINE >&2; exit 3', inputs: ['src.txt'] },
    after: { run: 'echo ran >> runs-after', deps: ['bad'], inputs: [] },
    slowgood: { run: 'sleep 1; echo ran >> runs-slowgood', inputs: [] },
    indep: { run: 'echo ran >> runs-indep', deps: ['slowgood'], inputs: [] },
    all: { deps: ['bad', 'after', 'indep'] },
  }`

test('a failing command: exit code 1, its output shown, dependents skipped', async () => {
  const p = project(config, { 'src.txt': 'x' })
  try {
    const r = await tasksJson(p.dir, ['after'])
    assert.is(r.code, 1, dump(r))
    assert.is(r.json.ok, false)
    assert.is(r.status.bad, 'failed')
    assert.is(r.task('bad').exitCode, 3)
    assert.is(r.status.after, 'skipped')
    assert.match(r.task('after').reason, /bad/)
    assert.match(r.stderr, /BAD-OUTPUT-LINE/)
    assert.match(r.stderr, /BAD-ERR-LINE/)
    assert.is(count(p.path('runs-after')), 0)
    assert.is(r.json.summary.failed, 1)
    assert.is(r.json.summary.skipped, 1)
  } finally {
    p.cleanup()
  }
})

test('plain output: failed line with exit code, skipped line naming the dependency', async () => {
  const p = project(config, { 'src.txt': 'x' })
  try {
    const r = await tasks(p.dir, ['after'])
    assert.is(r.code, 1, dump(r))
    assert.match(r.stderr, /\[bad\] BAD-OUTPUT-LINE/)
    assert.match(r.stderr, /\[bad\] failed \(exit code 3\)/)
    assert.match(r.stderr, /\[after\] skipped: dependency `bad` failed/)
    assert.match(r.stderr, /failed: 1/)
  } finally {
    p.cleanup()
  }
})

test('without --continue: running tasks finish, no new task starts after a failure', async () => {
  const p = project(config, { 'src.txt': 'x' })
  try {
    // bad and slowgood start together; bad fails while slowgood sleeps; indep (after slowgood) must not start
    const r = await tasksJson(p.dir, ['all', '--concurrency', '2'])
    assert.is(r.code, 1, dump(r))
    assert.is(r.status.bad, 'failed')
    assert.is(r.status.slowgood, 'ran', `a running task should finish: ${dump(r)}`)
    assert.is(r.status.indep, 'skipped', dump(r))
    assert.is(count(p.path('runs-indep')), 0)
  } finally {
    p.cleanup()
  }
})

test('--continue still runs the independent tasks; exit code stays 1', async () => {
  const p = project(config, { 'src.txt': 'x' })
  try {
    const r = await tasksJson(p.dir, ['all', '--continue', '--concurrency', '1'])
    assert.is(r.code, 1, dump(r))
    assert.is(r.status.bad, 'failed')
    assert.is(r.status.after, 'skipped')
    assert.is(r.status.slowgood, 'ran', dump(r))
    assert.is(r.status.indep, 'ran', dump(r))
    assert.is(count(p.path('runs-indep')), 1)
  } finally {
    p.cleanup()
  }
})

test('the failed task runs again next time (never up to date, never cached)', async () => {
  const p = project(config, { 'src.txt': 'x' })
  try {
    assert.is((await tasksJson(p.dir, ['bad'])).code, 1)
    assert.is(acEntries(p.dir).length, 0, 'a failed run left a cache entry')
    const r = await tasksJson(p.dir, ['bad'])
    assert.is(r.code, 1, dump(r))
    assert.is(r.status.bad, 'failed')
    assert.is(count(p.path('runs-bad')), 2)
  } finally {
    p.cleanup()
  }
})

test('success, then failure on the same inputs twice: the failure is never remembered as up to date', async () => {
  const p = project(`{ t: { run: 'echo ran >> runs; test "$(cat src.txt)" = good', inputs: ['src.txt'] } }`, {
    'src.txt': 'good',
  })
  try {
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'ran')
    p.write('src.txt', 'bad')
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'failed')
    p.write('src.txt', 'bad')
    const again = await tasksJson(p.dir, ['t'])
    assert.is(again.status.t, 'failed', 'a failure must not be remembered as up to date')
    p.write('src.txt', 'good')
    const back = await tasksJson(p.dir, ['t'])
    // the good result is in the cache: a hit is fine, up to date is not (the last run failed)
    assert.ok(back.status.t === 'cache-hit' || back.status.t === 'ran', dump(back))
    assert.is(back.code, 0)
  } finally {
    p.cleanup()
  }
})

test('a list of commands stops at the first failure', async () => {
  const p = project(`{ t: { run: ['echo one >> runs', 'exit 4', 'echo three >> runs'] } }`)
  try {
    const r = await tasksJson(p.dir, ['t'])
    assert.is(r.code, 1, dump(r))
    assert.is(r.task('t').exitCode, 4)
    assert.is(p.read('runs'), 'one\n')
  } finally {
    p.cleanup()
  }
})

test('a function task that throws fails with its message', async () => {
  const p = project(`{ t: { run: async () => { throw new Error('FN-BOOM-MESSAGE') } } }`)
  try {
    const r = await tasksJson(p.dir, ['t'])
    assert.is(r.code, 1, dump(r))
    assert.is(r.status.t, 'failed')
    assert.match(r.stderr, /FN-BOOM-MESSAGE/)
  } finally {
    p.cleanup()
  }
})

test.run()
