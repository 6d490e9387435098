// The run model from synthetic engine-v2 event streams: counts, why each task ran, critical path,
// parallelism, the first failure and its project file, log cuts, and engine-v1 prose reasons.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fixture } from '../rig.mjs'
import { syntheticRun } from './_synthetic.mjs'
import { createRunCollector, criticalPath, peakOverlap, RUN_MODEL_SCHEMA } from '../../dist/lib/report/model.js'
import { reasonText, reasonDetails } from '../../dist/lib/report/reasons.js'
import { excerptLog, firstErrorLines, findSourceLocation } from '../../dist/lib/report/excerpt.js'

const T0 = 1_790_000_000_000

/** A hand-made run: a -> b -> d, a -> c -> d, e alone; c is slow, so a-c-d is the critical path. */
function handRun({ fail = false } = {}) {
  const deps = new Map([
    ['a', []],
    ['b', ['a']],
    ['c', ['a']],
    ['d', ['b', 'c']],
    ['e', []],
  ])
  const ev = [
    { type: 'run:start', time: T0, tasks: ['a', 'b', 'c', 'd', 'e'], concurrency: 2, dryRun: false },
    {
      type: 'task:start',
      time: T0,
      task: 'a',
      reason: {
        code: 'input-changed',
        files: [
          { path: 'src/a.c', change: 'modified' },
          { path: 'src/new.c', change: 'added' },
        ],
      },
    },
    { type: 'task:output', time: T0 + 10, task: 'a', stream: 'stdout', text: 'compiling a\n', replay: false },
    {
      type: 'task:end',
      time: T0 + 100,
      task: 'a',
      status: 'ran',
      reason: {
        code: 'input-changed',
        files: [
          { path: 'src/a.c', change: 'modified' },
          { path: 'src/new.c', change: 'added' },
        ],
      },
      durationMs: 100,
      savedMs: 0,
      outputs: ['out/a.o'],
    },
    {
      type: 'task:end',
      time: T0 + 120,
      task: 'e',
      status: 'cache-hit',
      reason: { code: 'restored', source: 'remote', outputs: 2, replayedLog: true },
      cacheSource: 'remote',
      durationMs: 20,
      savedMs: 900,
    },
    { type: 'task:start', time: T0 + 100, task: 'b', reason: { code: 'env-changed', variables: ['CC'] } },
    { type: 'task:start', time: T0 + 100, task: 'c', reason: { code: 'dependency-changed', dependencies: ['a'] } },
    {
      type: 'task:end',
      time: T0 + 150,
      task: 'b',
      status: 'ran',
      reason: { code: 'env-changed', variables: ['CC'] },
      durationMs: 50,
      savedMs: 0,
    },
    fail
      ? {
          type: 'task:end',
          time: T0 + 400,
          task: 'c',
          status: 'failed',
          reason: { code: 'exit-code', exitCode: 1 },
          runReason: { code: 'dependency-changed', dependencies: ['a'] },
          durationMs: 300,
          savedMs: 0,
          exitCode: 1,
          log: 'cc -c src/a.c\nsrc/a.c:3:7: error: expected ;\n',
        }
      : {
          type: 'task:end',
          time: T0 + 400,
          task: 'c',
          status: 'ran',
          reason: { code: 'dependency-changed', dependencies: ['a'] },
          durationMs: 300,
          savedMs: 0,
        },
  ]
  if (fail)
    ev.push({
      type: 'task:end',
      time: T0 + 400,
      task: 'd',
      status: 'skipped',
      reason: { code: 'dependency-failed', dependency: 'c' },
      durationMs: 0,
      savedMs: 0,
    })
  else {
    ev.push({ type: 'task:start', time: T0 + 400, task: 'd', reason: { code: 'no-previous-run' } })
    ev.push({
      type: 'task:end',
      time: T0 + 450,
      task: 'd',
      status: 'ran',
      reason: { code: 'no-previous-run' },
      durationMs: 50,
      savedMs: 0,
    })
  }
  ev.push({ type: 'run:end', time: T0 + 460, summary: { tasks: 5, wallMs: 460, interrupted: false, dryRun: false } })
  return { deps, ev }
}

test('counts, why each task ran, times, cache source, outputs', () => {
  const p = fixture()
  try {
    const { deps, ev } = handRun()
    const c = createRunCollector({ root: p.dir, deps, command: 'tasks d e', requested: ['d', 'e'], runId: 'r1' })
    for (const e of ev) c.onEvent(e)
    const m = c.model()
    assert.is(m.schema, RUN_MODEL_SCHEMA)
    assert.is(m.runId, 'r1')
    assert.is(m.ok, true)
    assert.equal(
      { ...m.counts },
      {
        tasks: 5,
        ran: 4,
        cacheHits: 1,
        localHits: 0,
        remoteHits: 1,
        upToDate: 0,
        failed: 0,
        skipped: 0,
        interrupted: 0,
        notRun: 0,
        savedMs: 900,
      },
    )
    const a = m.tasks.find((t) => t.name === 'a')
    assert.is(a.whyCode, 'input-changed')
    assert.is(a.why, 'input changed: src/a.c (+1 more)')
    assert.equal(a.whyDetails, [{ label: 'files', items: ['M src/a.c', 'A src/new.c'] }])
    assert.equal(a.outputs, ['out/a.o'])
    assert.is(a.startMs, 0)
    assert.is(a.endMs, 100)
    assert.is(a.log.text, 'compiling a')
    const b = m.tasks.find((t) => t.name === 'b')
    assert.equal(b.whyDetails, [{ label: 'env', items: ['CC'] }])
    const e = m.tasks.find((t) => t.name === 'e')
    assert.is(e.cacheSource, 'remote')
    assert.is(e.startMs, 100, 'a cache hit without task:start starts at end - duration')
    assert.is(e.why, undefined, 'a cache hit did not run')
    assert.is(e.reason, 'restored 2 outputs, replayed log (remote)', 'formatReason words')
    assert.is(m.wallMs, 460)
  } finally {
    p.cleanup()
  }
})

test('critical path follows the heaviest chain of dependencies; parallelism = busy / wall', () => {
  const { deps, ev } = handRun()
  const c = createRunCollector({ root: '/nonexistent', deps })
  for (const e of ev) c.onEvent(e)
  const m = c.model()
  assert.equal(m.criticalPath.tasks, ['a', 'c', 'd'])
  assert.is(m.criticalPath.durationMs, 450)
  assert.equal(
    m.tasks.filter((t) => t.critical).map((t) => t.name),
    ['a', 'c', 'd'],
  )
  // busy: 100 + 20 + 50 + 300 + 50 = 520 ms over 460 ms wall
  assert.is(m.parallelism.average, 1.13)
  assert.is(m.parallelism.peak, 3, 'b, c and the cache hit e overlap at 100-120 ms')
  assert.equal(
    m.slowest.map((s) => s.task),
    ['c', 'a', 'b', 'd', 'e'],
  )
})

test('criticalPath and peakOverlap on their own', () => {
  const deps = { x: [], y: ['x'], z: ['x'], w: ['y', 'z'] }
  const w = { x: 1, y: 10, z: 2, w: 1 }
  assert.equal(
    criticalPath(
      Object.keys(deps),
      (t) => deps[t],
      (t) => w[t],
    ),
    { tasks: ['x', 'y', 'w'], durationMs: 12 },
  )
  assert.equal(
    criticalPath(
      ['a'],
      () => [],
      () => 0,
    ),
    { tasks: [], durationMs: 0 },
  )
  assert.is(
    peakOverlap([
      [0, 10],
      [5, 15],
      [10, 20],
      [12, 13],
    ]),
    3,
  )
  assert.is(peakOverlap([]), 0)
})

test('a failed run: status, first failure with its error lines and the project file they name', () => {
  const p = fixture({ 'src/a.c': 'int x\n' })
  try {
    const { deps, ev } = handRun({ fail: true })
    const c = createRunCollector({ root: p.dir, deps })
    for (const e of ev) c.onEvent(e)
    const m = c.model()
    assert.is(m.ok, false)
    assert.is(m.counts.failed, 1)
    assert.is(m.counts.skipped, 1)
    const t = m.tasks.find((x) => x.name === 'c')
    assert.is(t.status, 'failed')
    assert.is(t.whyCode, 'dependency-changed', 'why it ran comes from runReason')
    assert.is(t.reason, 'failed (exit code 1)')
    assert.equal(t.failure.lines, ['src/a.c:3:7: error: expected ;'])
    assert.equal(t.failure.location, { file: 'src/a.c', line: 3, col: 7 })
    assert.is(m.firstFailure.task, 'c')
    assert.equal(m.firstFailure.location, { file: 'src/a.c', line: 3, col: 7 })
    assert.is(m.tasks.find((x) => x.name === 'd').reason, 'dependency `c` failed')
  } finally {
    p.cleanup()
  }
})

test('a task without an end event is not-run; the run is not ok', () => {
  const c = createRunCollector({
    root: '/x',
    deps: new Map([
      ['a', []],
      ['b', []],
    ]),
  })
  c.onEvent({ type: 'run:start', time: T0, tasks: ['a', 'b'], concurrency: 1, dryRun: false })
  c.onEvent({
    type: 'task:end',
    time: T0 + 5,
    task: 'a',
    status: 'up-to-date',
    reason: { code: 'fingerprint-unchanged' },
    durationMs: 1,
    savedMs: 40,
  })
  c.onEvent({ type: 'run:end', time: T0 + 6, summary: { wallMs: 6, interrupted: false, dryRun: false } })
  const m = c.model()
  assert.is(m.tasks[1].status, 'not-run')
  assert.is(m.counts.notRun, 1)
  assert.is(m.ok, false)
})

test('reasonText and reasonDetails cover every code of the contract', () => {
  const all = [
    [{ code: 'no-previous-run' }, 'no previous run'],
    [{ code: 'forced' }, 'forced (--force)'],
    [{ code: 'not-cacheable', why: 'no-inputs' }, /always runs/],
    [{ code: 'args-changed', args: ['-v'] }, 'arguments changed: -v'],
    [{ code: 'definition-changed', fields: ['command', 'cwd'] }, 'command changed (+1 more)'],
    [{ code: 'output-changed', path: 'dist/a.js' }, /dist\/a.js/],
    [{ code: 'check-failed' }, /check/],
    [{ code: 'cache-entry-unusable', detail: 'bad hash' }, /bad hash/],
    [{ code: 'dependencies-ran' }, 'dependencies ran'],
    [{ code: 'dependencies-up-to-date' }, /up to date/],
    [{ code: 'dependency-skipped', dependency: 'x' }, /`x` was skipped/],
    [{ code: 'stopped-after-failure' }, /stopped/],
    [{ code: 'run-interrupted' }, 'run interrupted'],
    [{ code: 'error', message: 'boom\nstack' }, 'failed: boom'],
    [{ code: 'some-future-code' }, 'some-future-code'],
    [{ code: 'input-changed' }, 'input-changed'],
    [{ code: 'timed-out', timeoutMs: 5000 }, 'timed out after 5000 ms'],
    [{ code: 'not-affected', base: 'abcdef0123456789' }, 'not affected since abcdef012345'],
    [{ code: 'interrupted', signal: 'SIGINT' }, 'interrupted (SIGINT)'],
  ]
  for (const [r, want] of all) {
    if (want instanceof RegExp) assert.match(reasonText(r), want)
    else assert.is(reasonText(r), want)
  }
  assert.equal(reasonDetails({ code: 'dependency-changed', dependencies: ['x', 'y'] }), [
    { label: 'deps', items: ['x', 'y'] },
  ])
})

test('logs: excerpts keep head and tail within the budget; error lines; locations only of project files', () => {
  const log = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n'
  const x = excerptLog(log, 600)
  assert.ok(x.truncated)
  assert.ok(x.text.length <= 700, `${x.text.length}`)
  assert.match(x.text, /^line 0\n/)
  assert.match(x.text, /line 999$/)
  assert.match(x.text, /… \d+ lines cut …/)
  assert.is(x.lines, 1000)
  assert.not.ok(excerptLog('a\nb\n', 100).truncated)
  assert.is(excerptLog('\x1b[31mred\x1b[0m\n', 100).text, 'red')
  assert.equal(firstErrorLines('ok\nstill ok\nERROR: it broke\ndetail\n', undefined, 2), ['ERROR: it broke', 'detail'])
  assert.equal(firstErrorLines('a\nb\nc\n', undefined, 2), ['b', 'c'])
  assert.equal(firstErrorLines('', 'thrown\nstack'), ['thrown', 'stack'])
  const p = fixture({ 'pkg/src/x.ts': 'x', 'node_modules/dep/y.js': 'y' })
  try {
    assert.equal(
      findSourceLocation(
        ['/usr/include/stdio.h:1:1: note', 'node_modules/dep/y.js:1:1 err', 'src/x.ts(4,9): error TS1005'],
        p.dir,
        p.path('pkg'),
      ),
      {
        file: 'pkg/src/x.ts',
        line: 4,
        col: 9,
      },
    )
    assert.equal(findSourceLocation(['at pkg/src/x.ts:12'], p.dir), { file: 'pkg/src/x.ts', line: 12 })
    assert.is(findSourceLocation(['missing.ts:1:1: error'], p.dir), undefined)
  } finally {
    p.cleanup()
  }
})

test('a 1,000-task synthetic run: every task has a model row; logs stay within the budget', () => {
  const { deps, events } = syntheticRun({ n: 1000, failAt: [400], remoteEvery: 7 })
  const c = createRunCollector({ root: '/x', deps })
  for (const e of events) c.onEvent(e)
  const m = c.model()
  assert.is(m.tasks.length, 1000)
  assert.is(m.counts.failed, 1)
  assert.ok(m.counts.remoteHits > 0 && m.counts.localHits > 0)
  assert.ok(m.criticalPath.tasks.length > 3)
  const logChars = m.tasks.reduce((a, t) => a + (t.log?.text.length ?? 0), 0)
  assert.ok(logChars < 1_200_000, `${logChars}`)
  assert.ok(m.parallelism.peak <= 4 && m.parallelism.average > 1)
})

test.run()
