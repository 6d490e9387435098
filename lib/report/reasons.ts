/**
 * The report's view of a task's reason: the typed `TaskReason` of engine v2 (docs/design/engine-v2.md),
 * or, from an engine that still emits one line of prose, that line. Everything the report, the
 * history and the GitHub output need from a reason goes through here: its code (for history and
 * comparisons), its one-line text and its details (the explain diff: files, env, dependencies).
 *
 * Prose reasons (engine v1, or history lines written by it) map onto the same codes by
 * {@link reasonCode}.
 */
import type { TaskReason } from '../model/events.js'
import { formatReason } from './format.js'

/** Engine v2's `TaskReason` (docs/design/engine-v2.md): why a task ended as it did, as data. */
export type ContractReason = TaskReason

/** Every reason code of the contract, plus `'other'` for prose this module does not recognise. */
export type ReasonCode = ContractReason['code'] | 'other'

/** A reason as an event carries it: typed (engine v2) or one line of prose (engine v1). */
export type ReasonLike = ContractReason | { code: string; [key: string]: unknown } | string

/** One labelled list of the explain diff, e.g. `{ label: 'files', items: ['M src/a.c'] }`. */
export interface ReasonDetail {
  label: string
  items: string[]
}

/** Prose (engine v1) -> code, first match wins. */
const PROSE: [RegExp, ReasonCode][] = [
  [/^(would run: )?no previous (successful )?run/, 'no-previous-run'],
  [/forced/, 'forced'],
  [/no `inputs` declared|always runs/, 'not-cacheable'],
  [/^(would run: )?(input|inputs?) (changed|added|removed)|^(would run: )?input file/, 'input-changed'],
  [/^(would run: )?env/, 'env-changed'],
  [/^(would run: )?arg/, 'args-changed'],
  [/^(would run: )?dependenc(y|ies) (changed|fingerprint)/, 'dependency-changed'],
  [/^(would run: )?(command|cwd|definition|output glob|mode|platform|tool)/, 'definition-changed'],
  [/output missing or changed/, 'output-changed'],
  [/check reported/, 'check-failed'],
  [/cache entry unusable/, 'cache-entry-unusable'],
  [/dependencies (would )?ran|dependencies would run/, 'dependencies-ran'],
  [/all dependencies up to date/, 'dependencies-up-to-date'],
  [/fingerprint unchanged|^up to date/, 'fingerprint-unchanged'],
  [/^restored|would restore/, 'restored'],
  [/dependency `.*` failed/, 'dependency-failed'],
  [/dependency `.*` was skipped/, 'dependency-skipped'],
  [/stopped after a failure/, 'stopped-after-failure'],
  [/run interrupted/, 'run-interrupted'],
  [/^not affected since/, 'not-affected'],
  [/^timed out after/, 'timed-out'],
  [/^interrupted/, 'interrupted'],
  [/exit code/, 'exit-code'],
  [/internal error|could not fingerprint/, 'error'],
  [/fingerprint changed/, 'definition-changed'],
]

/** The reason's code: the typed reason's `code`, or the code a prose reason maps to (`'other'` when none). */
export function reasonCode(r: ReasonLike | undefined): string {
  if (r === undefined) return 'other'
  if (typeof r !== 'string') return typeof r.code === 'string' ? r.code : 'other'
  for (const [re, code] of PROSE) if (re.test(r)) return code
  return 'other'
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
 * One line for a reason, e.g. `input changed: src/a.c (+2 more)`: engine v2's `formatReason` for a
 * typed reason, the text itself for prose, the bare code for a code this version does not know.
 */
export function reasonText(r: ReasonLike | undefined): string {
  if (r === undefined) return ''
  if (typeof r === 'string') return r
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
 * variables, dependencies, arguments, definition fields, the changed output. Prose reasons and
 * codes without details give `[]`.
 */
export function reasonDetails(r: ReasonLike | undefined): ReasonDetail[] {
  if (r === undefined || typeof r === 'string') return []
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
