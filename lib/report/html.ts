/**
 * `--report`: one self-contained HTML page of a {@link RunModel}, inline CSS and server-rendered
 * SVG (no script, no network: it reads from `file://` as it is). From the top: pass/fail and the
 * first failure with its error lines; wall, CPU, parallelism, critical path and the counts; why the
 * tasks ran (grouped by reason) and where the time went (slowest tasks); the comparison with the
 * previous run of the same command; the timeline (a Gantt row per task, coloured by outcome, the
 * critical path outlined); every task with why it ran (the explain diff), its duration, outputs and
 * log (collapsed); the graph.
 *
 * Size: logs are cut to a per-task budget (the model's), and the page is rendered again with
 * smaller log budgets until it fits {@link HtmlOptions.maxBytes} (2 MB by default), so 1,000 tasks
 * stay readable and small.
 */
import { relative, sep } from 'node:path'
import type { ModelStatus, RunModel, TaskModel } from './model.js'
import { excerptLog } from './excerpt.js'
import { formatMs } from './format.js'

/** Options of {@link renderHtml}. */
export interface HtmlOptions {
  /** Upper bound of the page size, bytes. @default 1,900,000 */
  maxBytes?: number
  /** Graphs with more tasks than this are drawn as dots with tooltips instead of labelled boxes. @default 200 */
  labelledGraphMax?: number
  /** The folder the page is written to: full-log links are made relative to it (so the folder can move). */
  baseDir?: string
}

const STATUS_LABEL: Record<ModelStatus, string> = {
  ran: 'ran',
  'cache-hit': 'cache hit',
  'up-to-date': 'up to date',
  failed: 'failed',
  skipped: 'skipped',
  interrupted: 'interrupted',
  'not-run': 'not run',
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
const ms = (x: number) => formatMs(x)
const pct = (x: number) => `${Math.round(x * 100)} %`

const CSS = `
:root{--ok:#1a7f37;--ran:#2da44e;--hit:#0969da;--remote:#8250df;--utd:#8c959f;--fail:#cf222e;--skip:#d4a72c;--intr:#bc4c00;--fg:#1f2328;--mute:#59636e;--bg:#fff;--panel:#f6f8fa;--line:#d1d9e0;--crit:#1f2328}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--mute:#9198a1;--bg:#0d1117;--panel:#151b23;--line:#3d444d;--crit:#f0f6fc}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--hit);text-decoration:none}a:hover{text-decoration:underline}
main{max-width:1280px;margin:0 auto;padding:0 20px 40px}
header.banner{padding:14px 20px;color:#fff}
header.banner.ok{background:var(--ok)}header.banner.fail{background:var(--fail)}header.banner.intr{background:var(--intr)}
header.banner h1{margin:0;font-size:22px}header.banner p{margin:2px 0 0;opacity:.9;font-size:13px}
h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;max-height:420px;margin:6px 0;white-space:pre-wrap;word-break:break-word}
.failure{border:2px solid var(--fail);border-radius:8px;padding:10px 14px;margin-top:16px;background:color-mix(in srgb,var(--fail) 6%,var(--bg))}
.failure h2{border:0;margin:0 0 4px;color:var(--fail)}
.failure p{margin:2px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(100px,1fr));gap:8px;margin-top:16px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px 10px}
.card b{display:block;font-size:19px;font-variant-numeric:tabular-nums}.card span{color:var(--mute);font-size:12px}
.card.bad b{color:var(--fail)}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:20px}
@media (max-width:900px){.cols{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 6px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--mute);font-size:12px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{display:inline-block;height:9px;border-radius:2px;vertical-align:middle;margin-right:6px}
.st{display:inline-block;padding:0 6px;border-radius:10px;font-size:11px;font-weight:600;color:#fff;white-space:nowrap}
.s-ran{background:var(--ran)}.s-cache-hit{background:var(--hit)}.s-remote{background:var(--remote)}.s-up-to-date{background:var(--utd)}.s-failed{background:var(--fail)}.s-skipped{background:var(--skip);color:#1f2328}.s-interrupted{background:var(--intr)}.s-not-run{background:var(--utd)}
.crit{font-weight:700}
.crit::after{content:" ◆";color:var(--crit);font-size:10px}
.why li{margin:2px 0}
.mute{color:var(--mute)}
.scroll{max-height:520px;overflow:auto;border:1px solid var(--line);border-radius:6px;background:var(--bg)}
.legend span{margin-right:12px;white-space:nowrap}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
details.task{border-bottom:1px solid var(--line);content-visibility:auto;contain-intrinsic-size:auto 26px}
#graph,#timeline{content-visibility:auto;contain-intrinsic-size:auto 600px}
details.task>summary{cursor:pointer;padding:3px 4px;display:grid;grid-template-columns:minmax(140px,2.2fr) 96px 80px 4fr;gap:8px;align-items:baseline;list-style-position:inside}
details.task>summary .n{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
details.task>summary .d{text-align:right;font-variant-numeric:tabular-nums}
details.task>summary .w{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:var(--mute)}
details.task.failed>summary{background:color-mix(in srgb,var(--fail) 8%,var(--bg))}
details.task .body{padding:4px 8px 10px 24px}
details.task .body dl{display:grid;grid-template-columns:110px 1fr;margin:4px 0;gap:2px 10px}
details.task .body dt{color:var(--mute)}details.task .body dd{margin:0}
.taskhead{display:grid;grid-template-columns:minmax(140px,2.2fr) 96px 80px 4fr;gap:8px;padding:3px 4px 3px 22px;font-size:12px;color:var(--mute);font-weight:600;border-bottom:1px solid var(--line)}
svg text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;fill:var(--fg)}
svg .axis{stroke:var(--line)}svg .tick{fill:var(--mute);font-size:10px}
svg .c{stroke:var(--crit);stroke-width:2}
footer{margin-top:30px;color:var(--mute);font-size:12px}
`

const FILL = {
  ran: 'var(--ran)',
  'cache-hit': 'var(--hit)',
  remote: 'var(--remote)',
  'up-to-date': 'var(--utd)',
  failed: 'var(--fail)',
  skipped: 'var(--skip)',
  interrupted: 'var(--intr)',
  'not-run': 'var(--utd)',
} satisfies Record<string, string>
const fillOf = (t: TaskModel) => (t.status === 'cache-hit' && t.cacheSource === 'remote' ? FILL.remote : FILL[t.status])
const statusChip = (t: TaskModel) =>
  `<span class="st s-${t.status === 'cache-hit' && t.cacheSource === 'remote' ? 'remote' : t.status}">${STATUS_LABEL[t.status]}${t.status === 'cache-hit' ? ` (${t.cacheSource ?? 'local'})` : ''}</span>`

/**
 * Render the report page. Deterministic for a given model (no clock reads).
 * @returns the HTML text (UTF-8), at most `maxBytes` unless the model's non-log content alone is larger
 */
export function renderHtml(m: RunModel, options: HtmlOptions = {}): string {
  const max = options.maxBytes ?? 1_900_000
  let budget = Infinity
  for (let i = 0; i < 8; i++) {
    const html = renderOnce(m, budget, options)
    if (Buffer.byteLength(html) <= max) return html
    const logs = m.tasks.reduce((a, t) => a + (t.log?.text.length ?? 0), 0)
    budget = Math.max(80, Math.floor((budget === Infinity ? logs / Math.max(1, m.tasks.length) : budget) / 2))
  }
  return renderOnce(m, 0, options)
}

function renderOnce(m: RunModel, logBudget: number, o: HtmlOptions): string {
  const idx = new Map(m.tasks.map((t, i) => [t.name, i]))
  const anchor = (name: string) => `#t${idx.get(name)}`
  const link = (name: string) =>
    idx.has(name) ? `<a href="${anchor(name)}" class="mono">${esc(name)}</a>` : `<span class="mono">${esc(name)}</span>`
  const c = m.counts
  const state = m.ok ? 'ok' : m.interrupted ? 'intr' : 'fail'
  const verb = m.ok ? 'passed' : m.interrupted ? 'was interrupted' : 'failed'
  const parts: string[] = []
  parts.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
  )
  parts.push(`<title>${esc(m.command)} ${verb}: run report</title><style>${CSS}</style></head><body>`)
  const git = m.git?.head ? ` · git ${esc(m.git.head.slice(0, 10))}${m.git.dirty ? ' (dirty)' : ''}` : ''
  parts.push(
    `<header class="banner ${state}" id="result" data-ok="${m.ok}"><h1>${m.ok ? '✓' : '✗'} <code>${esc(m.command)}</code> ${verb} in ${ms(m.wallMs)}</h1>`,
  )
  parts.push(
    `<p>run ${esc(m.runId)} · started ${esc(m.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}${git} · ${esc(m.root)}${m.dryRun ? ' · dry run: nothing ran' : ''}</p></header><main>`,
  )

  // The first failure, with its error lines: the one thing a failing run's reader needs first.
  const ff = m.firstFailure
  if (ff) {
    const t = m.tasks[idx.get(ff.task)!]
    const others = c.failed - 1
    parts.push(
      `<section class="failure" id="first-failure"><h2>First failure: <a href="${anchor(ff.task)}">${esc(ff.task)}</a></h2>`,
    )
    parts.push(
      `<p>${esc(ff.reason)}${ff.location ? ` at <code>${esc(ff.location.file)}:${ff.location.line}${ff.location.col ? `:${ff.location.col}` : ''}</code>` : ''}${t?.why ? ` · it ran because: ${esc(t.why)}` : ''}${others > 0 ? ` · ${others} more failed task${others === 1 ? '' : 's'} below` : ''}</p>`,
    )
    parts.push(`<pre class="excerpt">${esc(ff.lines.join('\n'))}</pre></section>`)
  }

  // The numbers.
  const card = (id: string, value: string, label: string, bad = false) =>
    `<div class="card${bad ? ' bad' : ''}" id="c-${id}"><b>${value}</b><span>${label}</span></div>`
  parts.push(`<section class="cards" id="counts">`)
  parts.push(card('wall', ms(m.wallMs), 'wall time'))
  parts.push(
    card(
      'cpu',
      ms(m.cpu.totalMs),
      m.cpu.childrenMs !== undefined
        ? `CPU time (${ms(m.cpu.childrenMs)} in child processes)`
        : 'CPU time (this process only)',
    ),
  )
  parts.push(
    card(
      'parallelism',
      `${m.parallelism.average.toFixed(2)}×`,
      `parallelism (peak ${m.parallelism.peak}${m.concurrency ? ` of ${m.concurrency}` : ''})`,
    ),
  )
  parts.push(
    card(
      'critical',
      ms(m.criticalPath.durationMs),
      `critical path (${m.criticalPath.tasks.length} task${m.criticalPath.tasks.length === 1 ? '' : 's'})`,
    ),
  )
  parts.push(card('tasks', String(c.tasks), 'tasks'))
  parts.push(card('ran', String(c.ran), 'ran'))
  parts.push(card('hits', String(c.cacheHits), `cache hits (local / remote: ${c.localHits} / ${c.remoteHits})`))
  parts.push(card('up-to-date', String(c.upToDate), 'up to date'))
  parts.push(card('failed', String(c.failed), 'failed', c.failed > 0))
  parts.push(
    card(
      'skipped',
      String(c.skipped + c.interrupted + c.notRun),
      `skipped${c.interrupted ? ` (${c.interrupted} interrupted)` : ''}`,
      c.skipped + c.interrupted + c.notRun > 0,
    ),
  )
  parts.push(card('saved', ms(c.savedMs), 'time saved by the cache'))
  parts.push(`</section>`)
  if (m.cpu.note) parts.push(`<p class="mute">${esc(m.cpu.note)}</p>`)

  // Why the tasks ran, grouped, and where the time went.
  parts.push(`<div class="cols"><section id="why-summary"><h2>Why tasks ran</h2>${whySummary(m, link)}</section>`)
  parts.push(`<section id="slowest"><h2>Where the time went</h2>${slowest(m, link)}`)
  if (m.criticalPath.tasks.length) {
    const cp = m.criticalPath.tasks
    const shown = cp.length > 12 ? [...cp.slice(0, 5), '…', ...cp.slice(-6)] : cp
    parts.push(
      `<p id="critical-path"><b>Critical path</b> (${ms(m.criticalPath.durationMs)} of ${ms(m.wallMs)} wall): ${shown.map((n) => (n === '…' ? `… ${cp.length - 11} more …` : link(n))).join(' → ')}</p>`,
    )
  }
  parts.push(`</section></div>`)

  if (m.comparison) parts.push(comparison(m, link))

  parts.push(`<section id="timeline"><h2>Timeline</h2>${legend()}<div class="scroll">${timeline(m)}</div></section>`)

  // Every task: why it ran, duration, outputs, log.
  parts.push(
    `<section id="tasks"><h2>Tasks</h2><div class="taskhead"><span>task</span><span>status</span><span style="text-align:right">duration</span><span>why</span></div>`,
  )
  const logLink = (p: string) => {
    const href = (o.baseDir ? relative(o.baseDir, p) : p).split(sep).map(encodeURIComponent).join('/')
    return `<a href="${esc(href)}">${esc(relative(m.root, p) || p)}</a>`
  }
  for (let i = 0; i < m.tasks.length; i++) parts.push(taskDetails(m.tasks[i]!, i, logBudget, link, logLink))
  parts.push(`</section>`)

  parts.push(
    `<section id="graph"><h2>Graph</h2><p class="mute">Dependencies point left to right; the critical path is drawn thick.</p><div class="scroll">${graphSvg(m, o.labelledGraphMax ?? 200)}</div></section>`,
  )
  if (m.warnings.length) {
    parts.push(
      `<section id="warnings"><h2>Warnings (${m.warnings.length})</h2><ul>${m.warnings
        .slice(0, 200)
        .map((w) => `<li>${w.task ? `${link(w.task)}: ` : ''}${esc(w.message)}</li>`)
        .join('')}</ul></section>`,
    )
  }
  parts.push(
    `<footer>typed-tasks run report · schema ${m.schema} · the same data as <code>--summarize</code></footer></main></body></html>\n`,
  )
  return parts.join('\n')
}

function legend(): string {
  const items: [string, string][] = [
    ['ran', FILL.ran],
    ['cache hit (local)', FILL['cache-hit']],
    ['cache hit (remote)', FILL.remote],
    ['up to date', FILL['up-to-date']],
    ['failed', FILL.failed],
    ['skipped', FILL.skipped],
    ['interrupted', FILL.interrupted],
  ]
  return `<p class="legend">${items.map(([l, f]) => `<span><i style="background:${f}"></i>${l}</span>`).join('')}<span><i style="border:2px solid var(--crit)"></i>critical path</span></p>`
}

function whySummary(m: RunModel, link: (n: string) => string): string {
  const groups = new Map<string, TaskModel[]>()
  for (const t of m.tasks) {
    const key =
      t.status === 'ran' || t.status === 'failed' || t.status === 'interrupted'
        ? `ran: ${t.whyCode ?? 'other'}`
        : `${t.status}: ${t.status === 'cache-hit' ? (t.cacheSource ?? 'local') : t.reasonCode}`
    let g = groups.get(key)
    if (!g) groups.set(key, (g = []))
    g.push(t)
  }
  const label = (k: string, ts: TaskModel[]) => {
    const [kind] = k.split(': ')
    const sample = ts[0]! // a group has one task at least
    return kind === 'ran'
      ? (sample.why ?? 'ran')
      : sample.status === 'skipped'
        ? ts.length > 1
          ? codeLabel(sample.reasonCode)
          : sample.reason
        : sample.status === 'cache-hit'
          ? `restored from the ${sample.cacheSource ?? 'local'} cache`
          : sample.reason
  }
  const rows = [...groups.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([k, ts]) => {
      const code = k.split(': ')[1]! // keys are `kind: code`
      const names =
        ts
          .slice(0, 8)
          .map((t) => link(t.name))
          .join(', ') + (ts.length > 8 ? `, … ${ts.length - 8} more` : '')
      const head = ts.length > 1 && k.startsWith('ran') ? codeLabel(code) : label(k, ts)
      return `<tr data-code="${esc(code)}"><td class="num">${ts.length}</td><td>${statusChip(ts[0]!)} ${esc(head)}<br><span class="mute">${names}</span></td></tr>`
    })
  return `<table><tbody>${rows.join('')}</tbody></table>`
}

const CODE_LABEL: Record<string, string> = {
  'no-previous-run': 'no previous run',
  forced: 'forced (--force)',
  'not-cacheable': 'not cacheable (no inputs): always runs',
  'input-changed': 'input files changed',
  'env-changed': 'env changed',
  'args-changed': 'arguments changed',
  'dependency-changed': 'a dependency changed',
  'definition-changed': 'the task definition changed',
  'output-changed': 'an output was missing or changed',
  'check-failed': 'check said the result was invalid',
  'cache-entry-unusable': 'the cache entry was unusable',
  'dependencies-ran': 'aggregate: dependencies ran',
  other: 'other reasons',
  'dependency-failed': 'a dependency failed',
  'dependency-skipped': 'a dependency was skipped',
  'stopped-after-failure': 'stopped after a failure',
  'run-interrupted': 'the run was interrupted',
  'not-affected': 'not affected (--affected)',
  'timed-out': 'timed out',
}
const codeLabel = (code: string) => CODE_LABEL[code] ?? code

function slowest(m: RunModel, link: (n: string) => string): string {
  if (!m.slowest.length) return `<p class="mute">Nothing took any time.</p>`
  const top = m.slowest[0]!.durationMs || 1
  const byName = new Map(m.tasks.map((t) => [t.name, t]))
  const rows = m.slowest.map((s) => {
    const t = byName.get(s.task)!
    return `<tr><td class="${t.critical ? 'crit' : ''}">${link(s.task)}</td><td>${statusChip(t)}</td><td class="num"><span class="bar" style="width:${Math.max(2, Math.round((s.durationMs / top) * 120))}px;background:${fillOf(t)}"></span>${ms(s.durationMs)}</td></tr>`
  })
  return `<table><thead><tr><th>task</th><th>status</th><th class="num">duration</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function comparison(m: RunModel, link: (n: string) => string): string {
  const cmp = m.comparison!
  const th = `&gt; ${Math.round(cmp.threshold.ratio * 100)} % and &gt; ${cmp.threshold.ms} ms`
  const out = [`<section id="comparison"><h2>Compared with ${esc(cmp.against)}</h2>`]
  if (cmp.previousWallMs !== undefined)
    out.push(
      `<p>Wall time ${ms(cmp.previousWallMs)} → ${ms(m.wallMs)} (${m.wallMs >= cmp.previousWallMs ? '+' : '−'}${ms(Math.abs(m.wallMs - cmp.previousWallMs))}). Tasks are flagged when they moved by ${th}.</p>`,
    )
  const rows = (xs: typeof cmp.slower, cls: string) =>
    xs
      .slice(0, 50)
      .map(
        (s) =>
          `<tr class="${cls}"><td>${link(s.task)}</td><td class="num">${ms(s.baselineMs)}</td><td class="num">${ms(s.currentMs)}</td><td class="num">${s.deltaMs >= 0 ? '+' : '−'}${ms(Math.abs(s.deltaMs))} (${s.ratio >= 0 ? '+' : ''}${Number.isFinite(s.ratio) ? pct(s.ratio) : '∞'})</td></tr>`,
      )
      .join('')
  if (cmp.slower.length || cmp.faster.length) {
    out.push(
      `<table id="compare-table"><thead><tr><th>task</th><th class="num">baseline</th><th class="num">now</th><th class="num">change</th></tr></thead><tbody>`,
    )
    if (cmp.slower.length)
      out.push(`<tr><th colspan="4">slower (${cmp.slower.length})</th></tr>${rows(cmp.slower, 'slower')}`)
    if (cmp.faster.length)
      out.push(`<tr><th colspan="4">faster (${cmp.faster.length})</th></tr>${rows(cmp.faster, 'faster')}`)
    out.push(`</tbody></table>`)
  } else out.push(`<p class="mute">No task got slower or faster beyond the noise band.</p>`)
  if (cmp.statusChanges.length) {
    out.push(
      `<p><b>Status changes:</b> ${cmp.statusChanges
        .slice(0, 30)
        .map(
          (s) =>
            `${link(s.task)} ${esc(STATUS_LABEL[s.from as ModelStatus] ?? s.from)} → ${esc(STATUS_LABEL[s.to as ModelStatus] ?? s.to)}`,
        )
        .join(', ')}${cmp.statusChanges.length > 30 ? ` … ${cmp.statusChanges.length - 30} more` : ''}</p>`,
    )
  }
  out.push(`</section>`)
  return out.join('')
}

/** A round step for an axis of `span` ms with about `n` ticks. */
function niceStep(span: number, n: number): number {
  const raw = Math.max(1, span / n)
  const p = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw)!
}

function timeline(m: RunModel): string {
  const rows = m.tasks
    .filter((t) => t.startMs !== undefined)
    .sort((a, b) => a.startMs! - b.startMs! || b.durationMs - a.durationMs)
  const span = Math.max(1, m.wallMs, ...rows.map((t) => (t.startMs ?? 0) + t.durationMs))
  const labelW = 260,
    chartW = 900,
    rowH = 16,
    top = 22
  const width = labelW + chartW + 70
  const height = top + rows.length * rowH + 8
  const x = (t: number) => labelW + (t / span) * chartW
  const out = [
    `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="timeline of ${rows.length} tasks">`,
  ]
  const step = niceStep(span, 8)
  for (let t = 0; t <= span; t += step) {
    out.push(
      `<line class="axis" x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${height}"/><text class="tick" x="${x(t).toFixed(1)}" y="12" text-anchor="middle">${ms(t)}</text>`,
    )
  }
  rows.forEach((t, i) => {
    const y = top + i * rowH
    const name = t.name.length > 36 ? '…' + t.name.slice(-35) : t.name
    const w = Math.max(2, (t.durationMs / span) * chartW)
    out.push(
      `<g data-task="${esc(t.name)}" data-status="${t.status}"${t.critical ? ' data-critical="1"' : ''}><title>${esc(`${t.name}: ${STATUS_LABEL[t.status]} in ${ms(t.durationMs)}${t.why ? ` (${t.why})` : ''}`)}</title>`,
    )
    out.push(
      `<text x="${labelW - 6}" y="${y + 11}" text-anchor="end"${t.critical ? ' font-weight="700"' : ''}>${esc(name)}</text>`,
    )
    out.push(
      `<rect x="${x(t.startMs!).toFixed(1)}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" rx="2" fill="${fillOf(t)}"${t.critical ? ' class="c"' : ''}/>`,
    )
    if (t.durationMs > 0)
      out.push(`<text class="tick" x="${(x(t.startMs!) + w + 4).toFixed(1)}" y="${y + 11}">${ms(t.durationMs)}</text>`)
    out.push(`</g>`)
  })
  out.push(`</svg>`)
  return out.join('')
}

function taskDetails(
  t: TaskModel,
  i: number,
  logBudget: number,
  link: (n: string) => string,
  logLink: (p: string) => string,
): string {
  const why = t.why ?? t.reason
  const out = [
    `<details class="task ${t.status}" id="t${i}" data-task="${esc(t.name)}" data-status="${t.status}" data-why="${esc(t.whyCode ?? t.reasonCode)}">`,
  ]
  out.push(
    `<summary><span class="n${t.critical ? ' crit' : ''}">${esc(t.name)}</span><span>${statusChip(t)}</span><span class="d">${t.durationMs || t.status === 'ran' ? ms(t.durationMs) : '–'}</span><span class="w">${esc(why)}</span></summary><div class="body"><dl>`,
  )
  if (t.why)
    out.push(
      `<dt>why it ran</dt><dd class="why">${esc(t.why)}${t.whyDetails
        .map(
          (d) =>
            `<ul data-label="${esc(d.label)}">${d.items
              .slice(0, 50)
              .map((x) => `<li><span class="mute">${esc(d.label)}</span> <code>${esc(x)}</code></li>`)
              .join('')}${d.items.length > 50 ? `<li class="mute">… ${d.items.length - 50} more</li>` : ''}</ul>`,
        )
        .join('')}</dd>`,
    )
  if (t.why !== t.reason || !t.why)
    out.push(
      `<dt>outcome</dt><dd>${esc(t.reason)}${t.exitCode !== undefined && t.reasonCode !== 'exit-code' ? ` (exit code ${t.exitCode})` : ''}</dd>`,
    )
  out.push(
    `<dt>duration</dt><dd>${ms(t.durationMs)}${t.savedMs ? ` · saved ${ms(t.savedMs)}` : ''}${t.startMs !== undefined ? ` · started at +${ms(t.startMs)}` : ''}${t.critical ? ' · on the critical path' : ''}</dd>`,
  )
  if (t.deps.length) out.push(`<dt>depends on</dt><dd>${t.deps.map(link).join(', ')}</dd>`)
  if (t.outputs?.length)
    out.push(
      `<dt>outputs</dt><dd>${t.outputs
        .slice(0, 30)
        .map((p) => `<code>${esc(p)}</code>`)
        .join(', ')}${t.outputs.length > 30 ? ` … ${t.outputs.length - 30} more` : ''}</dd>`,
    )
  if (t.failure?.location)
    out.push(
      `<dt>error at</dt><dd><code>${esc(t.failure.location.file)}:${t.failure.location.line}${t.failure.location.col ? `:${t.failure.location.col}` : ''}</code></dd>`,
    )
  if (t.error && t.exitCode === undefined)
    out.push(`<dt>error</dt><dd><code>${esc(t.error.split('\n')[0]!)}</code></dd>`)
  out.push(`</dl>`)
  if (t.log) {
    const l = t.log.text.length > logBudget ? excerptLog(t.log.text, logBudget) : { text: t.log.text, truncated: false }
    const cut = t.log.truncated || l.truncated
    const where = t.log.path ? `; full log: ${logLink(t.log.path)}` : ''
    out.push(
      `<details${t.status === 'failed' ? ' open' : ''}><summary>log (${t.log.lines} line${t.log.lines === 1 ? '' : 's'}, ${fmtBytes(t.log.bytes)}${cut ? ', truncated' : ''}${where})</summary><pre>${esc(l.text)}</pre></details>`,
    )
  }
  out.push(`</div></details>`)
  return out.join('')
}

const fmtBytes = (b: number) =>
  b < 1024 ? `${b} B` : b < 1024 * 1024 ? `${(b / 1024).toFixed(1)} KB` : `${(b / 1024 / 1024).toFixed(1)} MB`

/** Depth of each task: 0 for tasks without dependencies in the run, else 1 + the deepest dependency. */
function depths(m: RunModel): Map<string, number> {
  const byName = new Map(m.tasks.map((t) => [t.name, t]))
  const d = new Map<string, number>()
  const visit = (n: string, guard: Set<string>): number => {
    const k = d.get(n)
    if (k !== undefined) return k
    if (guard.has(n)) return 0
    guard.add(n)
    const deps = (byName.get(n)?.deps ?? []).filter((x) => byName.has(x))
    const v = deps.length ? 1 + Math.max(...deps.map((x) => visit(x, guard))) : 0
    guard.delete(n)
    d.set(n, v)
    return v
  }
  for (const t of m.tasks) visit(t.name, new Set())
  return d
}

function graphSvg(m: RunModel, labelledMax: number): string {
  if (!m.tasks.length) return ''
  const labelled = m.tasks.length <= labelledMax
  const d = depths(m)
  const layers: string[][] = []
  for (const t of m.tasks) (layers[d.get(t.name)!] ??= []).push(t.name)
  const pos = new Map<string, { x: number; y: number }>()
  const byName = new Map(m.tasks.map((t) => [t.name, t]))
  const colW = labelled ? 210 : 60,
    rowH = labelled ? 30 : 9,
    nodeW = labelled ? 180 : 7,
    nodeH = labelled ? 20 : 7,
    pad = 10
  layers.forEach((layer, li) => {
    // Barycentre ordering: each task near the mean row of its dependencies (fewer crossings).
    if (li > 0) {
      const key = (n: string) => {
        const ys = (byName.get(n)?.deps ?? []).map((x) => pos.get(x)?.y).filter((y): y is number => y !== undefined)
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0
      }
      const keys = new Map(layer.map((n) => [n, key(n)]))
      layer.sort((a, b) => keys.get(a)! - keys.get(b)!)
    }
    layer.forEach((n, i) => pos.set(n, { x: pad + li * colW, y: pad + i * rowH }))
  })
  const width = pad * 2 + (layers.length - 1) * colW + nodeW
  const height = pad * 2 + Math.max(...layers.map((l) => l.length)) * rowH
  const crit = new Set(m.criticalPath.tasks)
  let edges = '',
    critEdges = ''
  for (const t of m.tasks) {
    const b = pos.get(t.name)!
    for (const dep of t.deps) {
      const a = pos.get(dep)
      if (!a) continue
      const x1 = a.x + nodeW,
        y1 = a.y + nodeH / 2,
        x2 = b.x,
        y2 = b.y + nodeH / 2,
        mx = (x1 + x2) / 2
      const seg = `M${x1} ${y1}C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}`
      if (
        crit.has(t.name) &&
        crit.has(dep) &&
        m.criticalPath.tasks.indexOf(dep) === m.criticalPath.tasks.indexOf(t.name) - 1
      )
        critEdges += seg
      else edges += seg
    }
  }
  const out = [
    `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="task graph">`,
  ]
  out.push(
    `<path d="${edges}" fill="none" stroke="var(--line)" stroke-width="1"/><path d="${critEdges}" fill="none" stroke="var(--crit)" stroke-width="2.5"/>`,
  )
  for (const t of m.tasks) {
    const p = pos.get(t.name)!
    const c = crit.has(t.name)
    if (labelled) {
      const label = t.name.length > 24 ? t.name.slice(0, 23) + '…' : t.name
      out.push(
        `<g data-node="${esc(t.name)}"><title>${esc(`${t.name}: ${STATUS_LABEL[t.status]}`)}</title><rect x="${p.x}" y="${p.y}" width="${nodeW}" height="${nodeH}" rx="4" fill="${fillOf(t)}"${c ? ' class="c"' : ''}/><text x="${p.x + 6}" y="${p.y + 14}" style="fill:#fff">${esc(label)}</text></g>`,
      )
    } else {
      out.push(
        `<rect x="${p.x}" y="${p.y}" width="${nodeW}" height="${nodeH}" fill="${fillOf(t)}"${c ? ' class="c"' : ''}><title>${esc(t.name)}</title></rect>`,
      )
    }
  }
  out.push(`</svg>`)
  return out.join('')
}
