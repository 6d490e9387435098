/**
 * The CLI side of `--affected[=REF]`, `--var name=value` and `--explain --affected`: argument
 * fixes (cac would take the task name after a bare `--affected` as its value) and the explanation
 * lines. The logic is the library's (`lib/run/affected.ts`, `lib/config/vars.ts`).
 */
import type { AffectedBecause, AffectedReport } from '../lib/model/events.js'

/**
 * `argv` with a bare `--affected` moved to the end of the options (before `--`), so that
 * `tasks --affected test` keeps `test` as a task (cac would take it as the ref; `--affected=REF`
 * names a ref).
 */
export function normaliseAffectedArgv(argv: readonly string[]): string[] {
  const i = argv.indexOf('--')
  const head = i < 0 ? [...argv] : argv.slice(0, i)
  const bare = head.filter((a) => a === '--affected').length
  const rest = head.filter((a) => a !== '--affected')
  return [...rest, ...(bare ? ['--affected'] : []), ...(i < 0 ? [] : argv.slice(i))]
}

/** The ref of `--affected` as parsed (`true`/`''`: the default). */
export function affectedRef(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** `--var` as given once (a string) or repeated (an array), as a list. */
export function varItems(value: unknown): string[] {
  return value === undefined ? [] : [value].flat().map(String)
}

function words(b: AffectedBecause): string {
  switch (b.kind) {
    case 'file':
      return `affected: ${b.file} changed`
    case 'definition':
      return `affected: its definition in ${b.file} changed`
    case 'dependency':
      return `affected: dependency \`${b.dependency}\` is affected`
    case 'needed-by':
      return `not affected, needed by \`${b.task}\``
    case 'everything':
      return `affected: ${b.why}`
  }
}

/** `--explain --affected`: one line per task of the run, then the base and the changed files. */
export function explainAffected(r: AffectedReport): string {
  const lines = [
    `affected since ${r.ref}${r.base ? ` (merge base ${r.base.slice(0, 12)})` : ''}: ${r.files.length} changed file${r.files.length === 1 ? '' : 's'}`,
    ...r.tasks.map((t) => `  ${t.task}: ${words(t.because)}`),
    ...r.notAffected.map((n) => `  ${n}: not affected`),
  ]
  return lines.join('\n') + '\n'
}
