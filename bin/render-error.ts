/**
 * Render an error for the terminal, once, at the edge (like just and Wireit):
 *
 * ```
 * error: task `test` depends on unknown task `biuld`
 *   --> tasks.config.ts:7:28
 *    |
 *  7 |   test: { run: 'x', deps: ['biuld'] },
 *    |                           ^^^^^^^
 *   help: did you mean `build`?
 * ```
 */
import { relative } from 'node:path'
import { TasksError } from '../lib/errors.js'

/** The error as text (ends with a newline). Unknown errors print their stack: they are bugs. */
export function renderError(err: unknown, cwd: string, color: boolean): string {
  const red = (s: string) => (color ? `\x1b[31;1m${s}\x1b[0m` : s)
  const blue = (s: string) => (color ? `\x1b[34;1m${s}\x1b[0m` : s)
  if (!(err instanceof TasksError)) {
    return `${red('error')}: internal error: ${(err as Error)?.stack ?? String(err)}\n  help: this is a bug in typed-tasks; please report it with the output above\n`
  }
  const { location: loc } = err
  const lines = [`${red('error')}: ${err.message}`]
  if (loc.file) {
    const file = relative(cwd, loc.file) || loc.file
    const pos = loc.line ? `:${loc.line}${loc.column ? `:${loc.column}` : ''}` : ''
    const where = [loc.task && `task \`${loc.task}\``, loc.key && `key \`${loc.key}\``].filter(Boolean).join(', ')
    lines.push(`  ${blue('-->')} ${file}${pos}${where ? ` (${where})` : ''}`)
    if (loc.line && loc.lineText !== undefined) {
      const n = String(loc.line)
      const pad = ' '.repeat(n.length)
      lines.push(`${pad} ${blue('|')}`)
      lines.push(`${blue(n)} ${blue('|')} ${loc.lineText}`)
      if (loc.column)
        lines.push(`${pad} ${blue('|')} ${' '.repeat(loc.column - 1)}${red('^'.repeat(Math.max(1, loc.length ?? 1)))}`)
    }
  }
  if (err.hint) lines.push(`  ${blue('help')}: ${err.hint}`)
  return lines.join('\n') + '\n'
}
