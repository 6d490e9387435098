/**
 * The report's view of a task's reason: the typed `TaskReason` of engine v2 (docs/ENGINE-V2.md),
 * or, from an engine that still emits one line of prose, that line. Everything the report, the
 * history and the GitHub output need from a reason goes through here: its code (for history and
 * comparisons), its one-line text and its details (the explain diff: files, env, dependencies).
 *
 * Until engine v2 lands in `lib/types.ts`, the contract's union is spelled out here
 * ({@link ContractReason}); prose reasons map onto the same codes by {@link reasonCode}.
 */

/** A changed input file (content or mtime digest differs, added or removed). Same shape as engine v2's `InputChange`. */
export interface InputChange { path: string; change: 'added' | 'removed' | 'modified' }

/** Engine v2's `TaskReason` (docs/ENGINE-V2.md): why a task ended as it did, as data. */
export type ContractReason =
  | { code: 'no-previous-run' }
  | { code: 'forced' }
  | { code: 'not-cacheable'; why: 'no-inputs' | 'fingerprint-false' }
  | { code: 'input-changed'; files: InputChange[] }
  | { code: 'env-changed'; variables: string[] }
  | { code: 'args-changed'; args: string[] }
  | { code: 'dependency-changed'; dependencies: string[] }
  | { code: 'definition-changed'; fields: string[] }
  | { code: 'output-changed'; path: string }
  | { code: 'check-failed' }
  | { code: 'cache-entry-unusable'; detail: string }
  | { code: 'dependencies-ran' }
  | { code: 'fingerprint-unchanged' }
  | { code: 'dependencies-up-to-date' }
  | { code: 'restored'; source: 'local' | 'remote'; outputs: number; replayedLog: boolean }
  | { code: 'dependency-failed'; dependency: string }
  | { code: 'dependency-skipped'; dependency: string }
  | { code: 'stopped-after-failure' }
  | { code: 'run-interrupted' }
  | { code: 'exit-code'; exitCode: number }
  | { code: 'error'; message: string }
  | { code: 'timed-out'; timeoutMs: number }
  | { code: 'interrupted'; signal?: string }

/** Every reason code of the contract, plus `'other'` for prose this module does not recognise. */
export type ReasonCode = ContractReason['code'] | 'other'

/** A reason as an event carries it: typed (engine v2) or one line of prose (engine v1). */
export type ReasonLike = ContractReason | { code: string; [key: string]: unknown } | string

/** One labelled list of the explain diff, e.g. `{ label: 'files', items: ['M src/a.c'] }`. */
export interface ReasonDetail { label: string; items: string[] }

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

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
const firstMore = (items: readonly string[]) => items.length === 0 ? '' : `${items[0]}${items.length > 1 ? ` (+${items.length - 1} more)` : ''}`

/**
 * One line for a reason, e.g. `input changed: src/a.c (+2 more)`. Prose is returned as it is.
 * Same wording as engine v2's `formatReason`; the report keeps its own copy so it also reads
 * history written by other versions.
 */
export function reasonText(r: ReasonLike | undefined): string {
  if (r === undefined) return ''
  if (typeof r === 'string') return r
  const x = r as ContractReason
  switch (x.code) {
    case 'no-previous-run': return 'no previous run'
    case 'forced': return 'forced (--force)'
    case 'not-cacheable': return x.why === 'fingerprint-false' ? 'fingerprint: false: always runs' : 'no `inputs` declared: always runs'
    case 'input-changed': return `input changed: ${firstMore((x.files ?? []).map((f) => f.path))}`
    case 'env-changed': return `env changed: ${firstMore(x.variables ?? [])}`
    case 'args-changed': return `arguments changed: ${(x.args ?? []).join(' ') || '(none)'}`
    case 'dependency-changed': return `dependency changed: ${firstMore(x.dependencies ?? [])}`
    case 'definition-changed': return `definition changed: ${(x.fields ?? []).join(', ')}`
    case 'output-changed': return `output missing or changed: ${x.path}`
    case 'check-failed': return 'check reported the stored result invalid'
    case 'cache-entry-unusable': return `cache entry unusable: ${x.detail}`
    case 'dependencies-ran': return 'dependencies ran'
    case 'fingerprint-unchanged': return 'fingerprint unchanged'
    case 'dependencies-up-to-date': return 'all dependencies up to date'
    case 'restored': return `restored ${plural(x.outputs, 'output')} from the ${x.source} cache${x.replayedLog ? ', replayed log' : ''}`
    case 'dependency-failed': return `dependency \`${x.dependency}\` failed`
    case 'dependency-skipped': return `dependency \`${x.dependency}\` was skipped`
    case 'stopped-after-failure': return 'run stopped after a failure (use --continue to keep going)'
    case 'run-interrupted': return 'run interrupted'
    case 'exit-code': return `failed (exit code ${x.exitCode})`
    case 'error': return `error: ${String(x.message ?? '').split('\n')[0]}`
    case 'timed-out': return `timed out after ${x.timeoutMs} ms`
    case 'interrupted': return `interrupted${x.signal ? ` (${x.signal})` : ''}`
    default: return String((r as { code: string }).code)
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
    case 'input-changed': return [{ label: 'files', items: (x.files ?? []).map((f) => `${CHANGE_MARK[f.change] ?? '?'} ${f.path}`) }]
    case 'env-changed': return [{ label: 'env', items: [...(x.variables ?? [])] }]
    case 'args-changed': return [{ label: 'args', items: [...(x.args ?? [])] }]
    case 'dependency-changed': return [{ label: 'deps', items: [...(x.dependencies ?? [])] }]
    case 'definition-changed': return [{ label: 'definition', items: [...(x.fields ?? [])] }]
    case 'output-changed': return [{ label: 'output', items: [x.path] }]
    case 'cache-entry-unusable': return [{ label: 'cache', items: [x.detail] }]
    default: return []
  }
}
