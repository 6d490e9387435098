/**
 * A task's reason (why it ran, was restored or skipped) in one line of prose. Below both the engine
 * (`explain` reports it) and the reporters (which print it), so neither imports the other.
 */
import type { TaskReason } from './model/events.js'

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
