/**
 * Dependency resolution across workspaces: every dependency of the merged tasks spelled as the full
 * name of a task in the one flat map. `^build` is the `build` task of every workspace this one
 * depends on; `web#build` names one task of another workspace; `//#task` (or a short name the
 * workspace does not define) a root task.
 */
import { TasksError } from '../../errors.js'
import { suggest } from '../../util/suggest.js'
import { locate } from '../locate.js'
import type { Workspace } from '../../model/project.js'
import type { ResolvedTask } from '../../model/internal.js'

/** The separator between a workspace's name and its task's name (`web#build`). */
export const WORKSPACE_SEP = '#'

/** A validated task before its dependencies are resolved: its short name, its deps as written and where it was defined. */
export interface PendingTask {
  task: ResolvedTask
  deps: readonly string[]
  /** Its workspace; undefined for a root task. */
  ws?: Workspace
  /** Its config file (for messages). */
  file: string
  /** Its config file's text, read on first use. */
  source: () => string | undefined
}

/** The task's full name: `<workspace>#<task>`, or its own name for a root task. */
const fullName = (p: PendingTask) => (p.ws ? `${p.ws.name}${WORKSPACE_SEP}${p.task.name}` : p.task.name)

/**
 * The tasks by full name, each with `deps` as full names (duplicates dropped, order kept) and
 * `workspace` set for a workspace's task.
 * @param rootNames the root config's task names
 * @throws {TasksError} `unknown-dependency` for a `w#task`, `//#task` or workspace name that names
 *   nothing, with a did-you-mean.
 */
export function resolveDependencies(
  pending: readonly PendingTask[],
  workspaces: readonly Workspace[],
  rootNames: ReadonlySet<string>,
): Map<string, ResolvedTask> {
  const tasks = new Set(pending.map(fullName))
  const wsNames = new Set(workspaces.map((w) => w.name))
  const out = new Map<string, ResolvedTask>()
  for (const p of pending) {
    const name = fullName(p)
    const deps: string[] = []
    for (const dep of p.deps)
      for (const d of resolveOne(p, name, dep, { tasks, wsNames, workspaces, rootNames }))
        if (!deps.includes(d)) deps.push(d)
    out.set(name, { ...p.task, name, deps, ...(p.ws ? { workspace: p.ws.name } : {}) })
  }
  return out
}

/** What one dependency is resolved against. */
interface Known {
  tasks: ReadonlySet<string>
  wsNames: ReadonlySet<string>
  workspaces: readonly Workspace[]
  rootNames: ReadonlySet<string>
}

/** The full names one dependency `dep` of task `name` stands for. */
function resolveOne(p: PendingTask, name: string, dep: string, known: Known): string[] {
  const { tasks, wsNames, rootNames } = known
  const fail = (what: string, candidates: Iterable<string>, fix: string) => {
    const near = suggest(what, candidates)
    return new TasksError(
      'unknown-dependency',
      `task \`${name}\` depends on unknown task \`${dep}\``,
      { file: p.file, task: p.task.name, key: 'deps', ...locate(p.source(), p.task.name, { value: dep }) },
      near ? `did you mean \`${near}\`?` : fix,
    )
  }
  if (dep.startsWith('^')) {
    const target = dep.slice(1)
    const from = p.ws ? p.ws.dependencies : known.workspaces.map((w) => w.name)
    return from.map((w) => `${w}${WORKSPACE_SEP}${target}`).filter((t) => tasks.has(t))
  }
  const cut = dep.indexOf(WORKSPACE_SEP)
  if (cut >= 0) {
    const wsName = dep.slice(0, cut)
    const target = dep.slice(cut + 1)
    if (wsName === '' || wsName === '//') {
      if (!rootNames.has(target)) throw fail(target, rootNames, `the root config defines no task \`${target}\``)
      return [target]
    }
    if (!wsNames.has(wsName))
      throw fail(dep, [...tasks], `no workspace is named \`${wsName}\` (workspaces: ${[...wsNames].join(', ')})`)
    if (!tasks.has(dep))
      throw fail(
        dep,
        [...tasks].filter((n) => n.startsWith(`${wsName}${WORKSPACE_SEP}`)),
        `workspace \`${wsName}\` has no task \`${target}\``,
      )
    return [dep]
  }
  if (p.ws && tasks.has(`${p.ws.name}${WORKSPACE_SEP}${dep}`)) return [`${p.ws.name}${WORKSPACE_SEP}${dep}`]
  return [dep] // a root task: validateConfig checked that it exists
}
