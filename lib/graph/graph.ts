/**
 * The task graph: the requested tasks plus everything they depend on, in a topological order, with
 * cycles reported edge by edge (`a -> b -> a`).
 */
import { readFileSync } from 'node:fs'
import { suggest } from '../util/suggest.js'
import { locate } from '../config/locate.js'
import { TasksError } from '../errors.js'
import type { Project, TaskInfo } from '../model/project.js'

/**
 * The tasks of one run. `order` lists every task after all of its dependencies. `T`: the type of
 * its tasks, that of the project it was built from.
 */
export interface TaskGraph<T extends TaskInfo = TaskInfo> {
  readonly order: readonly string[]
  readonly tasks: ReadonlyMap<string, T>
  /** Task name -> names of the tasks in the graph that depend on it directly. */
  readonly dependents: ReadonlyMap<string, readonly string[]>
}

/**
 * Resolve `requested` and their transitive dependencies.
 * @throws {TasksError} `unknown-task` (with a did-you-mean) or `cycle` (message `dependency cycle: a -> b -> a`).
 */
export function buildGraph<T extends TaskInfo>(config: Project<T>, requested: readonly string[]): TaskGraph<T> {
  const names = [...config.tasks.keys()]
  for (const name of requested) {
    if (!config.tasks.has(name)) {
      const near = suggest(name, names)
      throw new TasksError(
        'unknown-task',
        `unknown task \`${name}\``,
        { file: config.file },
        near ? `did you mean \`${near}\`? (\`tasks --list\` shows all tasks)` : '`tasks --list` shows all tasks',
      )
    }
  }
  // Iterative depth-first search (an explicit stack, so a chain 100,000 tasks deep cannot overflow
  // the call stack): each frame is a task and the index of its next dependency to visit.
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const path: string[] = []
  const next: number[] = []
  for (const root of requested) {
    if (state.get(root) === 'done') continue
    state.set(root, 'visiting')
    path.push(root)
    next.push(0)
    while (path.length) {
      const top = path.length - 1
      // path and next grow and shrink together, and the loop runs while they are not empty.
      const name = path[top]!
      const deps = config.tasks.get(name)!.deps
      const i = next[top]!
      if (i < deps.length) {
        next[top] = i + 1
        const dep = deps[i]!
        const s = state.get(dep)
        if (s === 'done') continue
        if (s === 'visiting') throw cycleError(config, [...path.slice(path.indexOf(dep)), dep])
        state.set(dep, 'visiting')
        path.push(dep)
        next.push(0)
        continue
      }
      path.pop()
      next.pop()
      state.set(name, 'done')
      order.push(name)
    }
  }
  const tasks = new Map(order.map((n) => [n, config.tasks.get(n)!]))
  const dependents = new Map<string, string[]>(order.map((n) => [n, []]))
  for (const n of order) for (const d of tasks.get(n)!.deps) dependents.get(d)!.push(n)
  return { order, tasks, dependents }
}

/**
 * The `cycle` error for `cycle` (`[a, b, a]`): the message names every edge, the location points at
 * the first task's `deps` entry that closes the loop in the config source (read only now, on the
 * error path), and the hint lists the edges to remove.
 */
function cycleError(config: Project, cycle: string[]): TasksError {
  let source: string | undefined
  try {
    source = /\.json$/.test(config.file) ? undefined : readFileSync(config.file, 'utf8')
  } catch {}
  const [first, second] = cycle as [string, string] // [a, ..., a]: two names at least
  return new TasksError(
    'cycle',
    `dependency cycle: ${cycle.join(' -> ')}`,
    { file: config.file, task: first, key: 'deps', ...locate(source, first, { value: second }) },
    `remove one of these edges: ${cycle
      .slice(0, -1)
      .map((n, i) => `\`${n}\` -> \`${cycle[i + 1]}\``)
      .join(', ')}`,
  )
}

/** Check the whole config for cycles (for `--list`/`--graph`, which do not run anything). */
export function checkAllCycles(config: Project): void {
  buildGraph(config, [...config.tasks.keys()])
}

/** The graph as Graphviz DOT text: an edge `"task" -> "dependency"` per dependency. */
export function toDot(graph: TaskGraph): string {
  const lines = ['digraph tasks {', '  rankdir=LR;']
  for (const n of graph.order) {
    lines.push(`  ${JSON.stringify(n)};`)
    for (const d of graph.tasks.get(n)!.deps) lines.push(`  ${JSON.stringify(n)} -> ${JSON.stringify(d)};`)
  }
  lines.push('}')
  return lines.join('\n') + '\n'
}

/** The graph as a Mermaid flowchart (`flowchart LR`), node ids `t0, t1, ...` labelled with task names. */
export function toMermaid(graph: TaskGraph): string {
  const id = new Map(graph.order.map((n, i) => [n, `t${i}`]))
  const lines = ['flowchart LR']
  for (const n of graph.order) lines.push(`  ${id.get(n)}[${JSON.stringify(n)}]`)
  for (const n of graph.order) for (const d of graph.tasks.get(n)!.deps) lines.push(`  ${id.get(n)} --> ${id.get(d)}`)
  return lines.join('\n') + '\n'
}
