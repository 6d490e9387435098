/** Text helpers shared by the reporters: durations, the one summary line, and reasons in prose (`lib/reason.ts`). */
import type { RunSummary } from '../model/events.js'

export { formatReason, type FormatReasonOptions } from '../reason.js'

/** `850 ms`, `1.20 s`, `2 m 05 s` for a duration in ms. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  const m = Math.floor(ms / 60_000)
  return `${m} m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`
}

/**
 * The one line every run ends with, e.g.
 * `tasks: 5 | ran: 2 | cache hits: 1 | up to date: 2 | failed: 0 | skipped: 0 | wall: 1.20 s | saved: 3.40 s`.
 */
export function summaryLine(s: RunSummary): string {
  if (s.dryRun) {
    return `dry run: tasks: ${s.tasks} | would run: ${s.ran} | would restore: ${s.cacheHits} | up to date: ${s.upToDate} | skipped: ${s.skipped} | nothing was run or written`
  }
  return (
    [
      `tasks: ${s.tasks}`,
      `ran: ${s.ran}`,
      `cache hits: ${s.cacheHits}`,
      `up to date: ${s.upToDate}`,
      `failed: ${s.failed}`,
      `skipped: ${s.skipped}`,
      `wall: ${formatMs(s.wallMs)}`,
      `saved: ${formatMs(s.savedMs)}`,
    ].join(' | ') +
    (s.remote ? ` | ${remoteLine(s.remote)}` : '') +
    (s.interrupted ? ' | interrupted' : '')
  )
}

/** `remote: 3 hits, 2 uploaded`, with why the remote or its uploads are off. */
export function remoteLine(r: NonNullable<RunSummary['remote']>): string {
  let line = `remote: ${r.hits} hit${r.hits === 1 ? '' : 's'}, ${r.uploaded} uploaded`
  if (r.off) line += ` (off: ${r.off})`
  else if (r.uploadsOff) line += r.uploadsOff === 'read-only' ? ' (read-only)' : ` (uploads off: ${r.uploadsOff})`
  return line
}
