/** Text helpers shared by the reporters: durations, the one summary line, and reasons in prose ({@link formatReason}). */
import type { RunSummary, TaskReason } from '../model/events.js'

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

/** Options of {@link formatReason}. */
export interface FormatReasonOptions {
  /** Word the reason as a `--dry-run` prediction (`would run: ...`, `would restore from the cache`). @default false */
  dryRun?: boolean
}

const MUST_RUN: ReadonlySet<TaskReason['code']> = new Set([
  'no-previous-run',
  'forced',
  'not-cacheable',
  'input-changed',
  'env-changed',
  'args-changed',
  'dependency-changed',
  'definition-changed',
  'output-changed',
  'check-failed',
  'cache-entry-unusable',
])

/** `first (+N more)` for a list. */
function firstAndMore(items: readonly string[]): string {
  return `${items[0] ?? '?'}${items.length > 1 ? ` (+${items.length - 1} more)` : ''}`
}

const FILE_LABEL = { added: 'input added', removed: 'input removed', modified: 'input changed' } as const

/**
 * A {@link TaskReason} in one line of prose, e.g. `no previous run`, `input changed: src/a.c (+2 more)`,
 * `dependency \`bad\` failed`, `restored 2 outputs, replayed log`. The words are the ones the CLI has
 * always printed; reporters and the JSON output use this, and nothing parses it back.
 */
export function formatReason(reason: TaskReason, options: FormatReasonOptions = {}): string {
  const text = baseText(reason)
  if (!options.dryRun) return text
  if (reason.code === 'restored') return 'would restore from the cache'
  if (reason.code === 'dependencies-ran') return 'would run: dependencies would run'
  return MUST_RUN.has(reason.code) ? `would run: ${text}` : text
}

function baseText(r: TaskReason): string {
  switch (r.code) {
    case 'no-previous-run':
      return 'no previous run'
    case 'forced':
      return 'forced (--force)'
    case 'not-cacheable':
      return r.why === 'service'
        ? 'service: never cached'
        : r.why === 'no-inputs'
          ? 'no `inputs` declared: always runs'
          : r.why === 'interactive'
            ? '`interactive: true`: always runs'
            : '`fingerprint: false`: always runs'
    case 'input-changed': {
      const first = r.files[0]
      return first ? `${FILE_LABEL[first.change]}: ${firstAndMore(r.files.map((f) => f.path))}` : 'input changed'
    }
    case 'env-changed':
      return `env changed: ${firstAndMore(r.variables)}`
    case 'args-changed':
      return `arguments changed: ${r.args.join(' ') || '(none)'}`
    case 'dependency-changed':
      return `dependency changed: ${firstAndMore(r.dependencies)}`
    case 'definition-changed':
      if (r.fields[0] === 'command')
        return `command changed${r.fields.length > 1 ? ` (+${r.fields.length - 1} more)` : ''}`
      if (r.fields[0] === 'tools')
        return r.tools?.length ? `tool version changed: ${firstAndMore(r.tools)}` : 'tool version changed'
      return `setting changed: ${r.fields.join(', ')}`
    case 'output-changed':
      return `output missing or changed: ${r.path}`
    case 'check-failed':
      return 'check reported the stored result invalid'
    case 'cache-entry-unusable':
      return `cache entry unusable: ${r.detail}`
    case 'dependencies-ran':
      return 'dependencies ran'
    case 'fingerprint-unchanged':
      return 'fingerprint unchanged'
    case 'dependencies-up-to-date':
      return 'all dependencies up to date'
    case 'restored':
      return `restored ${r.outputs} output${r.outputs === 1 ? '' : 's'}${r.replayedLog ? ', replayed log' : ''}${r.source === 'remote' ? ' (remote)' : ''}`
    case 'dependency-failed':
      return `dependency \`${r.dependency}\` failed`
    case 'dependency-skipped':
      return `dependency \`${r.dependency}\` was skipped`
    case 'stopped-after-failure':
      return 'run stopped after a failure (use --continue to keep going)'
    case 'run-interrupted':
      return 'run interrupted'
    case 'exit-code':
      return `failed (exit code ${r.exitCode})`
    case 'error':
      return `failed: ${r.message.split('\n')[0]}`
    case 'timed-out':
      return `timed out after ${r.timeoutMs} ms`
    case 'not-affected':
      return `not affected since ${r.base.slice(0, 12)}`
    case 'interrupted':
      return r.signal ? `interrupted (${r.signal})` : 'interrupted'
  }
}
