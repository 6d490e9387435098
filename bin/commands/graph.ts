/** `tasks --graph [dot|mermaid] [task...]`: the task graph as Graphviz dot or a Mermaid flowchart. */
import type { LoadedConfig } from '../../lib/model/internal.js'
import { EXIT, TasksError } from '../../lib/errors.js'
import { buildGraph, toDot, toMermaid } from '../../lib/graph/graph.js'
import type { OptionValue } from '../options.js'

/**
 * Print the graph of `names` (every task when empty) on stdout; `value` is `--graph`'s as parsed.
 * `tasks --graph build` gives cac's value `build`: a task name, taken as one with the format `dot`.
 * @returns the exit code (0)
 * @throws {TasksError} `usage` for a format other than `dot` or `mermaid`; `cycle` for a cyclic graph
 */
export function graphCommand(config: LoadedConfig, names: string[], value: OptionValue | undefined): number {
  let format = value === true || value === '' ? 'dot' : String(value)
  if (format !== 'dot' && format !== 'mermaid' && config.tasks.has(format))
    [names, format] = [[format, ...names], 'dot']
  if (format !== 'dot' && format !== 'mermaid')
    throw new TasksError('usage', `--graph takes \`dot\` or \`mermaid\`, got \`${format}\``)
  const graph = buildGraph(config, names.length ? names : [...config.tasks.keys()])
  process.stdout.write(format === 'dot' ? toDot(graph) : toMermaid(graph))
  return EXIT.ok
}
