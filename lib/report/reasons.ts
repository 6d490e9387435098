/**
 * The report's view of a task's reason, the typed `TaskReason` (docs/design/engine-v2.md). Everything the
 * report, the history and the GitHub output need from a reason goes through here: its code (for
 * history and comparisons), its one-line text and its details (the explain diff: files, env,
 * dependencies). A code this version does not know (a newer engine's) is kept as it is.
 */
import type { TaskReason } from '../model/events.js'
import { formatReason } from './format.js'

/** Engine v2's `TaskReason` (docs/design/engine-v2.md): why a task ended as it did, as data. */
export type ContractReason = TaskReason

/** Every reason code of the contract, plus `'other'` for a reason without a code. */
export type ReasonCode = ContractReason['code'] | 'other'

/** A reason as an event carries it: a `TaskReason`, or a reason with a code this version does not know. */
export type ReasonLike = ContractReason | { code: string; [key: string]: unknown }

/** One labelled list of the explain diff, e.g. `{ label: 'files', items: ['M src/a.c'] }`. */
export interface ReasonDetail {
  label: string
  items: string[]
}

/** The reason's code: the typed reason's `code` (`'other'` when there is no reason or no code). */
export function reasonCode(r: ReasonLike | undefined): string {
  if (r === undefined) return 'other'
  return typeof r.code === 'string' ? r.code : 'other'
}

/** Codes {@link formatReason} knows (every code of the contract). */
const KNOWN = new Set<string>([
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
  'dependencies-ran',
  'fingerprint-unchanged',
  'dependencies-up-to-date',
  'restored',
  'dependency-failed',
  'dependency-skipped',
  'stopped-after-failure',
  'run-interrupted',
  'exit-code',
  'error',
  'timed-out',
  'interrupted',
  'not-affected',
])

/**
 * One line for a reason, e.g. `input changed: src/a.c (+2 more)`: `formatReason` for a typed
 * reason, the bare code for a code this version does not know.
 */
export function reasonText(r: ReasonLike | undefined): string {
  if (r === undefined) return ''
  if (!KNOWN.has(r.code)) return String(r.code)
  try {
    return formatReason(r as TaskReason)
  } catch {
    return String(r.code) // a typed reason with missing fields (e.g. from an older history line)
  }
}

const CHANGE_MARK = { added: 'A', removed: 'D', modified: 'M' } as const

/**
 * The explain diff a reason carries, as labelled lists: changed files (`M src/a.c`, `A`, `D`), env
 * variables, dependencies, arguments, definition fields, the changed output. Codes without details
 * give `[]`.
 */
export function reasonDetails(r: ReasonLike | undefined): ReasonDetail[] {
  if (r === undefined) return []
  const x = r as ContractReason
  switch (x.code) {
    case 'input-changed':
      return [{ label: 'files', items: (x.files ?? []).map((f) => `${CHANGE_MARK[f.change] ?? '?'} ${f.path}`) }]
    case 'env-changed':
      return [{ label: 'env', items: [...(x.variables ?? [])] }]
    case 'args-changed':
      return [{ label: 'args', items: [...(x.args ?? [])] }]
    case 'dependency-changed':
      return [{ label: 'deps', items: [...(x.dependencies ?? [])] }]
    case 'definition-changed':
      return [{ label: 'definition', items: [...(x.fields ?? [])] }]
    case 'output-changed':
      return [{ label: 'output', items: [x.path] }]
    case 'cache-entry-unusable':
      return [{ label: 'cache', items: [x.detail] }]
    default:
      return []
  }
}
