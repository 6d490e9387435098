// `--summarize` (the documented, versioned JSON of docs/reference/run-summary.md) from the real CLI, and the
// HTML page's own guarantees: self-contained, escaped, under 2 MB for 1,000 tasks with big logs,
// cut logs linked to their full copies.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { project, tasks, tasksJson, dump, startCli, waitFor } from '../rig.mjs'
import { readHistory } from '../../dist/lib/report/history.js'
import { syntheticRun } from './_synthetic.mjs'
import { createRunCollector, renderHtml } from '../../dist/lib/doors/report.js'

const TASK_KEYS = ['name', 'status', 'reasonCode', 'reason', 'whyDetails', 'deps', 'durationMs', 'savedMs', 'critical']

test('--summarize FILE: schema 1, the same counts as the run, per task status/why/times/log', async () => {
  const p = project(
    `{
    gen: { run: 'echo generated > gen.txt', inputs: ['src/**'], outputs: ['gen.txt'] },
    noisy: { run: 'for i in $(seq 1 3000); do echo "noisy line $i"; done', shell: 'sh', deps: ['gen'] },
    all: { deps: ['gen', 'noisy'] },
  }`,
    { 'src/a.txt': 'a\n' },
  )
  try {
    const r = await tasksJson(p.dir, ['all', '--summarize', 'out/summary.json', '--report', 'out/report.html'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stderr, /summary: out\/summary\.json/)
    const s = JSON.parse(p.read('out/summary.json'))
    assert.is(s.schema, 1)
    assert.match(s.runId, /^\d{8}T\d{6}Z-[0-9a-f]{6}$/)
    assert.is(s.command, 'tasks all')
    assert.equal(s.requested, ['all'])
    assert.is(s.root, p.dir)
    assert.is(s.ok, true)
    assert.is(s.counts.tasks, r.json.summary.tasks)
    assert.is(s.counts.ran, r.json.summary.ran)
    assert.is(s.wallMs, r.json.summary.wallMs)
    assert.ok(s.cpu.totalMs > 0)
    if (process.platform === 'linux')
      assert.ok(s.cpu.childrenMs >= 0 && s.cpu.note === undefined, JSON.stringify(s.cpu))
    assert.ok(s.parallelism.average > 0 && s.parallelism.peak >= 1)
    assert.equal(
      s.tasks.map((t) => t.name),
      ['gen', 'noisy', 'all'],
    )
    for (const t of s.tasks) for (const k of TASK_KEYS) assert.ok(k in t, `${t.name}.${k}`)
    const gen = s.tasks[0]
    assert.is(gen.status, 'ran')
    assert.is(gen.whyCode, 'no-previous-run')
    assert.ok(gen.startMs >= 0 && gen.endMs >= gen.startMs)
    const noisy = s.tasks[1]
    assert.ok(noisy.log.truncated, 'a 3,000-line log is cut')
    assert.is(noisy.log.lines, 3000)
    assert.match(noisy.log.text, /noisy line 1\n[\s\S]*… \d+ lines cut …[\s\S]*noisy line 3000$/)
    assert.ok(s.criticalPath.tasks.includes('noisy'))
    // the report wrote the whole log beside itself and links to it
    const html = p.read('out/report.html')
    const href = /full log: <a href="([^"]+)">/.exec(html)?.[1]
    assert.ok(href, 'a link to the full log')
    const full = resolve(p.path('out'), decodeURIComponent(href))
    assert.ok(existsSync(full), full)
    assert.is(readFileSync(full, 'utf8').split('\n').filter(Boolean).length, 3000)
  } finally {
    p.cleanup()
  }
})

test('--summarize with no file writes .tasks/runs/<run-id>.json; `-` writes stdout; with --json it is refused', async () => {
  const p = project(`{ a: { run: 'echo a' } }`)
  try {
    const r = await tasks(p.dir, ['a', '--summarize'])
    assert.is(r.code, 0, dump(r))
    const file = /summary: (\.tasks\/runs\/\S+\.json)/.exec(r.stderr)?.[1]
    assert.ok(file && existsSync(p.path(file)), dump(r))
    const out = await tasks(p.dir, ['a', '--summarize', '-'])
    assert.is(JSON.parse(out.stdout).tasks[0].name, 'a')
    const both = await tasks(p.dir, ['a', '--summarize', '-', '--json'])
    assert.is(both.code, 2)
  } finally {
    p.cleanup()
  }
})

test('the page escapes what tasks print and needs nothing outside itself', () => {
  const deps = new Map([['<img src=x onerror=alert(1)>', []]])
  const c = createRunCollector({ root: '/x', deps })
  const name = '<img src=x onerror=alert(1)>'
  c.onEvent({ type: 'run:start', time: 0, tasks: [name], concurrency: 1, dryRun: false })
  c.onEvent({ type: 'task:start', time: 1, task: name, reason: { code: 'no-previous-run' } })
  c.onEvent({
    type: 'task:output',
    time: 2,
    task: name,
    stream: 'stdout',
    text: '</pre><script>alert(2)</script>\n',
    replay: false,
  })
  c.onEvent({
    type: 'task:end',
    time: 3,
    task: name,
    status: 'failed',
    reason: { code: 'exit-code', exitCode: 1 },
    durationMs: 2,
    savedMs: 0,
    exitCode: 1,
  })
  c.onEvent({ type: 'run:end', time: 4, summary: { wallMs: 4, interrupted: false, dryRun: false } })
  const html = renderHtml(c.model())
  assert.not.match(html, /<script|<img /i)
  assert.ok(html.includes('&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;'))
  assert.not.match(html, /https?:\/\/|url\(|@import/)
})

test('1,000 tasks with 50 KB logs each: the page stays under 2 MB, logs cut further, counts intact', () => {
  const { deps, events } = syntheticRun({ n: 1000, failAt: [10] })
  const big = Array.from({ length: 1000 }, (_, i) => `verbose output line ${i} `.padEnd(50, '.')).join('\n') + '\n'
  const c = createRunCollector({ root: '/x', deps, logBudget: 8000 })
  for (const e of events)
    c.onEvent(e.type === 'task:output' && e.stream === 'stdout' && !e.replay ? { ...e, text: big } : e)
  const m = c.model()
  const html = renderHtml(m)
  const bytes = Buffer.byteLength(html)
  assert.ok(bytes < 2_000_000, `${bytes} bytes`)
  assert.ok(bytes > 1_000_000, 'logs were kept as far as the budget allows')
  assert.is((html.match(/<details class="task /g) ?? []).length, 1000)
  assert.ok(html.includes('Type &#39;string&#39; is not assignable'), 'the failure excerpt survives the cut')
})

test('an interrupted run (SIGINT) is still recorded: history line, report, summary', async () => {
  const p = project(`{
    quick: { run: 'echo quick' },
    hang: { run: 'touch started; sleep 30', deps: ['quick'] },
    after: { run: 'echo after', deps: ['hang'] },
  }`)
  try {
    const { child, done } = startCli(p.dir, ['after', '--report', 'r.html', '--summarize', 's.json'])
    await waitFor(() => p.exists('started'), 'hang to start')
    child.kill('SIGINT')
    const r = await done
    assert.is(r.code, 130, dump(r))
    const [h] = readHistory(p.dir).runs
    assert.is(h.interrupted, true)
    assert.is(h.ok, false)
    assert.equal(
      h.tasks.map((t) => [t.name, t.status]),
      [
        ['quick', 'ran'],
        ['hang', 'interrupted'],
        ['after', 'skipped'],
      ],
    )
    const s = JSON.parse(p.read('s.json'))
    assert.is(s.interrupted, true)
    assert.is(s.counts.interrupted, 1)
    assert.match(p.read('r.html'), /<header class="banner intr"[^>]*><h1>✗ <code>tasks after<\/code> was interrupted/)
  } finally {
    p.cleanup()
  }
})

test.run()
