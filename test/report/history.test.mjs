// Run history: one line per run, bounded; `tasks history`; `--compare` flags a task made slower on
// purpose (a sleep) and `--fail-on-regression` exits non-zero; saved baselines.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixture, project, tasks, dump } from '../rig.mjs'
import {
  appendHistory,
  readHistory,
  compareRun,
  median,
  taskTrends,
  historyFile,
} from '../../dist/lib/report/history.js'

const entry = (id, command, durations, status = 'ran') => ({
  v: 1,
  id,
  time: new Date(1_790_000_000_000 + Number(id.replace(/\D/g, '') || 0) * 1000).toISOString(),
  command,
  ok: true,
  interrupted: false,
  wallMs: 1000,
  totals: {
    tasks: Object.keys(durations).length,
    ran: 0,
    cacheHits: 0,
    localHits: 0,
    remoteHits: 0,
    upToDate: 0,
    failed: 0,
    skipped: 0,
    interrupted: 0,
    notRun: 0,
    savedMs: 0,
  },
  tasks: Object.entries(durations).map(([name, durationMs]) => ({
    name,
    status: typeof status === 'function' ? status(name) : status,
    reason: 'no-previous-run',
    durationMs,
  })),
})

test('median; compare against the median of the last 5 runs of the same command, beyond 20 % and 100 ms', () => {
  assert.is(median([3, 1, 2]), 2)
  assert.is(median([4, 1, 3, 2]), 2.5)
  assert.ok(Number.isNaN(median([])))
  const past = [
    entry('r1', 'tasks build', { a: 9000, b: 100, c: 1000 }), // older than the last 5: ignored
    ...[1, 2, 3, 4, 5].map((i) => entry(`r${i + 1}`, 'tasks build', { a: 1000 + i * 10, b: 100, c: 1000 })),
    entry('r7', 'tasks test', { a: 1, b: 1, c: 1 }), // another command: ignored
  ]
  const cur = entry('r8', 'tasks build', { a: 1300, b: 190, c: 700 })
  const cmp = compareRun(cur, { kind: 'previous' }, [...past, cur], '/nonexistent')
  assert.equal(cmp.runs, ['r2', 'r3', 'r4', 'r5', 'r6'])
  assert.equal(
    cmp.slower.map((s) => [s.task, s.baselineMs, s.deltaMs]),
    [['a', 1030, 270]],
  )
  assert.equal(
    cmp.faster.map((s) => s.task),
    ['c'],
  )
  // b: +90 % but only +90 ms: within the noise band
  assert.not.ok(cmp.slower.some((s) => s.task === 'b'))
  assert.is(compareRun(entry('x', 'tasks other', { a: 1 }), { kind: 'previous' }, past, '/nonexistent'), undefined)
  // a task that was a cache hit now is not compared
  const hit = entry('r9', 'tasks build', { a: 5000 }, 'cache-hit')
  assert.equal(compareRun(hit, { kind: 'previous' }, [...past, hit], '/nonexistent').slower, [])
})

test('trends: median over the last N runs that ran the task, hit rate', () => {
  const runs = [
    entry('r1', 't', { a: 100 }),
    entry('r2', 't', { a: 300 }),
    entry('r3', 't', { a: 0 }, 'up-to-date'),
    entry('r4', 't', { a: 0 }, 'cache-hit'),
  ]
  const [a] = taskTrends(runs, 10)
  assert.equal({ ...a }, { task: 'a', runs: 4, ran: 2, medianMs: 200, hitRate: 0.5, last: 'cache-hit' })
})

test('the history is bounded: past maxBytes it keeps the newest runs; broken lines are skipped', () => {
  const p = fixture()
  try {
    for (let i = 0; i < 200; i++)
      appendHistory(p.dir, entry(`r${i}`, 'tasks build', { a: i, b: 2 * i }), { maxBytes: 20_000 })
    const size = statSync(historyFile(p.dir)).size
    assert.ok(size <= 20_000, `${size} bytes`)
    const { runs } = readHistory(p.dir)
    assert.ok(runs.length > 10 && runs.length < 200, `${runs.length}`)
    assert.is(runs[runs.length - 1].id, 'r199')
    writeFileSync(
      historyFile(p.dir),
      readFileSync(historyFile(p.dir), 'utf8') + '{"v":1,"id":"broken"\nnot json\n{"v":99}\n',
    )
    const again = readHistory(p.dir)
    assert.is(again.skipped, 3)
    assert.is(again.runs.length, runs.length)
  } finally {
    p.cleanup()
  }
})

const slowConfig = `{
    slow: { run: 'sleep \${SLOW:-0.05}; echo slow' },
    quick: { run: 'echo quick' },
    all: { deps: ['slow', 'quick'] },
  }`

test('CLI: every run appends a line; --compare flags a task made slower on purpose; --fail-on-regression exits 1', async () => {
  const p = project(slowConfig)
  try {
    for (let i = 0; i < 3; i++) {
      const r = await tasks(p.dir, ['all'])
      assert.is(r.code, 0, dump(r))
    }
    let h = readHistory(p.dir).runs
    assert.is(h.length, 3)
    assert.is(h[0].command, 'tasks all')
    assert.equal(
      h[0].tasks.map((t) => [t.name, t.status, t.reason]),
      [
        ['slow', 'ran', 'not-cacheable'],
        ['quick', 'ran', 'not-cacheable'],
        ['all', 'ran', 'dependencies-ran'],
      ],
    )
    assert.ok(h[0].tasks[0].durationMs >= 40)

    // Made slower on purpose: 1.5 s instead of 50 ms.
    const slow = await tasks(p.dir, ['all', '--compare'], { env: { SLOW: '1.5' } })
    assert.is(slow.code, 0, 'without --fail-on-regression a regression does not fail the run\n' + dump(slow))
    assert.match(slow.stderr, /compare: against the median of the last 5 runs of `tasks all`/)
    assert.match(slow.stderr, /slower\s+slow\s/, dump(slow))
    const regress = await tasks(p.dir, ['all', '--compare', '--fail-on-regression'], { env: { SLOW: '1.5' } })
    assert.is(regress.code, 1, dump(regress))
    // `slow` is the regression made on purpose; on a loaded machine `quick` may cross the threshold too.
    assert.match(regress.stderr, /regression: [1-9]\d* tasks? slower than the median of the last 5 runs/)
    assert.match(regress.stderr, /slower\s+slow\s/, dump(regress))
    assert.match(regress.stderr, /tasks: 3 \| ran: 3 .* failed: 0/, 'the tasks themselves passed')

    // back to normal (the baseline now holds two slow runs among the last 5: the median is still fast)
    const ok = await tasks(p.dir, ['all', '--compare', '--fail-on-regression'])
    assert.not.match(ok.stderr, /slower\s+slow\s/, dump(ok))

    h = readHistory(p.dir).runs
    assert.is(h.length, 6)
    assert.ok(
      h.every((r) => /^\d{8}T\d{6}Z-[0-9a-f]{6}$/.test(r.id)),
      h.map((r) => r.id).join(' '),
    )
  } finally {
    p.cleanup()
  }
})

test('CLI: tasks history lists runs and trends; --baseline save NAME pins a run; --compare NAME uses it', async () => {
  const p = project(slowConfig)
  try {
    assert.match((await tasks(p.dir, ['history'])).stdout, /no runs in .tasks\/history.jsonl yet/)
    assert.is((await tasks(p.dir, ['all'])).code, 0)
    const first = readHistory(p.dir).runs[0].id
    const saved = await tasks(p.dir, ['history', '--baseline', 'save', 'main'])
    assert.is(saved.code, 0, dump(saved))
    assert.match(saved.stdout, new RegExp(`saved run ${first} \\(\`tasks all\`\\) as baseline \`main\``))
    assert.ok(existsSync(join(p.dir, '.tasks', 'baselines', 'main.json')))
    assert.is((await tasks(p.dir, ['quick'])).code, 0)

    const list = await tasks(p.dir, ['history'])
    assert.is(list.code, 0, dump(list))
    assert.match(list.stdout, /last 2 of 2 runs/)
    assert.match(list.stdout, /ok\s+.*tasks quick/)
    assert.match(list.stdout, /quick\s+median\s+\d+ ms\s+ran\s+2\/2\s+hit rate\s+0 %/)
    assert.match(list.stdout, /baselines: main/)
    const one = await tasks(p.dir, ['history', 'slow', '--json'])
    const j = JSON.parse(one.stdout)
    assert.is(j.task, 'slow')
    assert.is(j.runs.length, 1)
    assert.is(j.trend.ran, 1)

    const cmp = await tasks(p.dir, ['all', '--compare', 'main', '--fail-on-regression'], { env: { SLOW: '1.2' } })
    assert.is(cmp.code, 1, dump(cmp))
    assert.match(cmp.stderr, new RegExp(`compare: against baseline \`main\` \\(run ${first}\\)`))
    const byId = await tasks(p.dir, ['all', '--compare', first])
    assert.match(byId.stderr, new RegExp(`against run \`${first}\``), dump(byId))
  } finally {
    p.cleanup()
  }
})

test('CLI: an unknown --compare value is a usage error before anything runs; dry runs write no history', async () => {
  const p = project(`{ mark: { run: 'echo ran > marker' } }`)
  try {
    const r = await tasks(p.dir, ['mark', '--compare', 'nope'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /`--compare nope` is neither a saved baseline nor a run id/)
    assert.not.ok(p.exists('marker'))
    const d = await tasks(p.dir, ['mark', '--dry-run'])
    assert.is(d.code, 0, dump(d))
    assert.not.ok(p.exists('.tasks/history.jsonl'))
    const bad = await tasks(p.dir, ['history', '--baseline', 'drop', 'x'])
    assert.is(bad.code, 2)
    assert.match(bad.stderr, /--baseline takes `save`/)
  } finally {
    p.cleanup()
  }
})

test.run()
