/**
 * The look of the `--report` page ({@link renderHtml} in `html.ts`): its inline stylesheet, the
 * colour of each task status, and the small text helpers every part of the page uses (escaping,
 * durations, the status chip).
 */
import type { ModelStatus, TaskModel } from './model.js'
import { formatMs } from './format.js'

/** A task status as the page words it. */
export const STATUS_LABEL: Record<ModelStatus, string> = {
  ran: 'ran',
  'cache-hit': 'cache hit',
  'up-to-date': 'up to date',
  failed: 'failed',
  skipped: 'skipped',
  interrupted: 'interrupted',
  'not-run': 'not run',
}

/** `s` escaped for HTML text and double- or single-quoted attribute values. */
export const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
/** A duration in ms, as the page shows it (see {@link formatMs}). */
export const ms = (x: number) => formatMs(x)
/** A ratio (0.25) as a rounded percentage (`25 %`). */
export const pct = (x: number) => `${Math.round(x * 100)} %`

/** The page's whole stylesheet (light and dark schemes), inlined in its `<style>`. */
export const CSS = `
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

/** The fill colour (a CSS variable of {@link CSS}) of each status, plus `remote` for remote cache hits. */
export const FILL = {
  ran: 'var(--ran)',
  'cache-hit': 'var(--hit)',
  remote: 'var(--remote)',
  'up-to-date': 'var(--utd)',
  failed: 'var(--fail)',
  skipped: 'var(--skip)',
  interrupted: 'var(--intr)',
  'not-run': 'var(--utd)',
} satisfies Record<string, string>
/** The fill colour of a task's status (remote cache hits get their own). */
export const fillOf = (t: TaskModel) =>
  t.status === 'cache-hit' && t.cacheSource === 'remote' ? FILL.remote : FILL[t.status]
/** A task's status as a coloured chip (`<span class="st …">`), with the cache tier of a hit. */
export const statusChip = (t: TaskModel) =>
  `<span class="st s-${t.status === 'cache-hit' && t.cacheSource === 'remote' ? 'remote' : t.status}">${STATUS_LABEL[t.status]}${t.status === 'cache-hit' ? ` (${t.cacheSource ?? 'local'})` : ''}</span>`
