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
import { CSS, STATUS_LABEL, esc, fillOf, ms, pct, statusChip } from './html-style.js'
import { graphSvg, legend, timeline } from './html-svg.js'

/** Options of {@link renderHtml}. */
export interface HtmlOptions {
  /** Upper bound of the page size, bytes. @default 1,900,000 */
  maxBytes?: number
  /** Graphs with more tasks than this are drawn as dots with tooltips instead of labelled boxes. @default 200 */
  labelledGraphMax?: number
  /** The folder the page is written to: full-log links are made relative to it (so the folder can move). */
  baseDir?: string
}

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

/** The page once, each task's log cut to `logBudget` characters (Infinity: whole); its parts are joined by newlines. */
function renderOnce(m: RunModel, logBudget: number, o: HtmlOptions): string {
  const idx = new Map(m.tasks.map((t, i) => [t.name, i]))
  const link = (name: string) =>
    idx.has(name)
      ? `<a href="#t${idx.get(name)}" class="mono">${esc(name)}</a>`
      : `<span class="mono">${esc(name)}</span>`
  const parts: string[] = [...pageHead(m)]
  // The first failure, with its error lines: the one thing a failing run's reader needs first.
  if (m.firstFailure) parts.push(...firstFailure(m, idx))
  parts.push(...countCards(m))
  parts.push(...whyAndTime(m, link))
  if (m.comparison) parts.push(comparison(m, link))
  parts.push(`<section id="timeline"><h2>Timeline</h2>${legend()}<div class="scroll">${timeline(m)}</div></section>`)
  parts.push(...taskList(m, logBudget, link, o.baseDir))
  parts.push(...pageTail(m, link, o.labelledGraphMax ?? 200))
  return parts.join('\n')
}

/** The parts from `<!doctype html>` to the banner (pass/fail, command, wall time, run id) and the opening `<main>`. */
function pageHead(m: RunModel): string[] {
  const state = m.ok ? 'ok' : m.interrupted ? 'intr' : 'fail'
  const verb = m.ok ? 'passed' : m.interrupted ? 'was interrupted' : 'failed'
  const git = m.git?.head ? ` · git ${esc(m.git.head.slice(0, 10))}${m.git.dirty ? ' (dirty)' : ''}` : ''
  return [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
    `<title>${esc(m.command)} ${verb}: run report</title><style>${CSS}</style></head><body>`,
    `<header class="banner ${state}" id="result" data-ok="${m.ok}"><h1>${m.ok ? '✓' : '✗'} <code>${esc(m.command)}</code> ${verb} in ${ms(m.wallMs)}</h1>`,
    `<p>run ${esc(m.runId)} · started ${esc(m.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}${git} · ${esc(m.root)}${m.dryRun ? ' · dry run: nothing ran' : ''}</p></header><main>`,
  ]
}

/** The parts of the first-failure section (`m.firstFailure` must be set); `idx`: task name -> index in `m.tasks`. */
function firstFailure(m: RunModel, idx: ReadonlyMap<string, number>): string[] {
  const ff = m.firstFailure!
  const t = m.tasks[idx.get(ff.task)!]
  const others = m.counts.failed - 1
  return [
    `<section class="failure" id="first-failure"><h2>First failure: <a href="#t${idx.get(ff.task)}">${esc(ff.task)}</a></h2>`,
    `<p>${esc(ff.reason)}${ff.location ? ` at <code>${esc(ff.location.file)}:${ff.location.line}${ff.location.col ? `:${ff.location.col}` : ''}</code>` : ''}${t?.why ? ` · it ran because: ${esc(t.why)}` : ''}${others > 0 ? ` · ${others} more failed task${others === 1 ? '' : 's'} below` : ''}</p>`,
    `<pre class="excerpt">${esc(ff.lines.join('\n'))}</pre></section>`,
  ]
}

/** The parts of the numbers: one card each for wall, CPU, parallelism, critical path and the counts, then the CPU note. */
function countCards(m: RunModel): string[] {
  const c = m.counts
  const card = (id: string, value: string, label: string, bad = false) =>
    `<div class="card${bad ? ' bad' : ''}" id="c-${id}"><b>${value}</b><span>${label}</span></div>`
  const cp = m.criticalPath.tasks.length
  const parts = [
    `<section class="cards" id="counts">`,
    card('wall', ms(m.wallMs), 'wall time'),
    card(
      'cpu',
      ms(m.cpu.totalMs),
      m.cpu.childrenMs !== undefined
        ? `CPU time (${ms(m.cpu.childrenMs)} in child processes)`
        : 'CPU time (this process only)',
    ),
    card(
      'parallelism',
      `${m.parallelism.average.toFixed(2)}×`,
      `parallelism (peak ${m.parallelism.peak}${m.concurrency ? ` of ${m.concurrency}` : ''})`,
    ),
    card('critical', ms(m.criticalPath.durationMs), `critical path (${cp} task${cp === 1 ? '' : 's'})`),
    card('tasks', String(c.tasks), 'tasks'),
    card('ran', String(c.ran), 'ran'),
    card('hits', String(c.cacheHits), `cache hits (local / remote: ${c.localHits} / ${c.remoteHits})`),
    card('up-to-date', String(c.upToDate), 'up to date'),
    card('failed', String(c.failed), 'failed', c.failed > 0),
    card(
      'skipped',
      String(c.skipped + c.interrupted + c.notRun),
      `skipped${c.interrupted ? ` (${c.interrupted} interrupted)` : ''}`,
      c.skipped + c.interrupted + c.notRun > 0,
    ),
    card('saved', ms(c.savedMs), 'time saved by the cache'),
    `</section>`,
  ]
  if (m.cpu.note) parts.push(`<p class="mute">${esc(m.cpu.note)}</p>`)
  return parts
}

/** The parts of the two columns: why the tasks ran (grouped), and where the time went (slowest, critical path). */
function whyAndTime(m: RunModel, link: (n: string) => string): string[] {
  const parts = [
    `<div class="cols"><section id="why-summary"><h2>Why tasks ran</h2>${whySummary(m, link)}</section>`,
    `<section id="slowest"><h2>Where the time went</h2>${slowest(m, link)}`,
  ]
  if (m.criticalPath.tasks.length) {
    const cp = m.criticalPath.tasks
    const shown = cp.length > 12 ? [...cp.slice(0, 5), '…', ...cp.slice(-6)] : cp
    parts.push(
      `<p id="critical-path"><b>Critical path</b> (${ms(m.criticalPath.durationMs)} of ${ms(m.wallMs)} wall): ${shown.map((n) => (n === '…' ? `… ${cp.length - 11} more …` : link(n))).join(' → ')}</p>`,
    )
  }
  parts.push(`</section></div>`)
  return parts
}

/** The parts of the task list: every task with why it ran, duration, outputs and log (cut to `logBudget` characters). */
function taskList(m: RunModel, logBudget: number, link: (n: string) => string, baseDir: string | undefined): string[] {
  const logLink = (p: string) => {
    const href = (baseDir ? relative(baseDir, p) : p).split(sep).map(encodeURIComponent).join('/')
    return `<a href="${esc(href)}">${esc(relative(m.root, p) || p)}</a>`
  }
  return [
    `<section id="tasks"><h2>Tasks</h2><div class="taskhead"><span>task</span><span>status</span><span style="text-align:right">duration</span><span>why</span></div>`,
    ...m.tasks.map((t, i) => taskDetails(t, i, logBudget, link, logLink)),
    `</section>`,
  ]
}

/** The parts from the graph to the end of the page: the graph, the warnings (up to 200) and the footer. */
function pageTail(m: RunModel, link: (n: string) => string, labelledGraphMax: number): string[] {
  const parts = [
    `<section id="graph"><h2>Graph</h2><p class="mute">Dependencies point left to right; the critical path is drawn thick.</p><div class="scroll">${graphSvg(m, labelledGraphMax)}</div></section>`,
  ]
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
  return parts
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
