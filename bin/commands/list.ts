/** `tasks --list` (and `tasks` with no task and no `default`): the tasks and their descriptions. */
import { relative } from 'node:path'
import type { LoadedConfig } from '../../lib/model/internal.js'
import { EXIT } from '../../lib/errors.js'

/**
 * Print the config's tasks, one a line: name and description (or `runs a, b` for a group), on stdout.
 * @returns the exit code (0)
 */
export function listCommand(config: LoadedConfig, cwd: string): number {
  const rows = [...config.tasks.values()]
  const width = Math.min(40, Math.max(...rows.map((t) => t.name.length), 4))
  const out = rows.map((t) =>
    `  ${t.name.padEnd(width)}  ${t.description ?? (t.run === undefined ? `runs ${t.deps.join(', ')}` : '')}`.trimEnd(),
  )
  process.stdout.write(`tasks in ${relative(cwd, config.file) || config.file}:\n${out.join('\n')}\n`)
  return EXIT.ok
}
