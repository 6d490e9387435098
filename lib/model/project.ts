/**
 * What `loadConfig` returns: a {@link Project} (the validated config, its tasks as
 * {@link TaskInfo}, its workspaces). A read-only view of the engine's own normal form (which is
 * internal: `./internal.ts`); pass it back to `run`, `explain`, `watch` and the graph functions.
 * Types only.
 */
import type { RemoteCacheConfig, ServiceReadyWhen, TaskFunction, TaskShell, TaskVariable } from './config.js'

/**
 * One workspace of a monorepo (a folder listed by the root's `workspaces`). Its tasks are named
 * `<name>#<task>` from the root and by their short name inside its folder.
 */
export interface Workspace {
  /** From its `package.json` `name`, else the folder's base name. */
  readonly name: string
  /** POSIX path of its folder relative to the project root (never `'.'`). */
  readonly dir: string
  /** Absolute path of its `tasks.config.*`, when it has one. */
  readonly file?: string
  /** Names of the workspaces it depends on (package.json dependencies and `dependsOn`), sorted. */
  readonly dependencies: readonly string[]
}

/**
 * One task of a loaded project, as the engine resolved it: every optional key of its
 * {@link TaskDefinition} filled in, paths POSIX and relative to the project root.
 */
export interface TaskInfo {
  /** Its full name, e.g. `build` or `web#build` (a workspace's task). */
  readonly name: string
  readonly description?: string
  /** What it runs, as written (undefined for an aggregate task: only `deps`). */
  readonly run?: string | readonly string[] | TaskFunction
  /** The shell of its string commands (the task's, else the config's, else `'portable'`). */
  readonly shell: TaskShell
  /** Names of the tasks it depends on (`^build` and workspace names already resolved). */
  readonly deps: readonly string[]
  /** `undefined`: the task is never cached (no `inputs` key, or `fingerprint: false`). */
  readonly inputs?: readonly string[]
  readonly outputs: readonly string[]
  /** POSIX path relative to the root, `'.'` for the root itself. */
  readonly cwd: string
  readonly interactive: boolean
  /** Declared variables (values are applied by `run({ vars })`, defaults by `loadConfig`). */
  readonly vars: Readonly<Record<string, TaskVariable>>
  /** The workspace the task belongs to (its name), for tasks defined by a workspace's config. */
  readonly workspace?: string
  /** Set for a service task (`service: true` or an object), with its timeout filled in (ms). */
  readonly service?: { readonly readyWhen: ServiceReadyWhen; readonly timeoutMs: number }
}

/**
 * A loaded, validated config: what `loadConfig` returns and `run`, `explain`, `watch`,
 * `buildGraph` and `selectTasks` take. Only `loadConfig` makes one (the engine relies on it).
 * `T`: the type of its tasks (the graph functions keep it).
 */
export interface Project<T extends TaskInfo = TaskInfo> {
  /** Absolute path of the config file. */
  readonly file: string
  /** Absolute path of the project root (the config file's folder). */
  readonly root: string
  /** Its tasks by name. */
  readonly tasks: ReadonlyMap<string, T>
  readonly concurrency?: number
  /** The workspaces of a monorepo, sorted by folder; undefined when the project has none. */
  readonly workspaces?: readonly Workspace[]
  /** `cache.maxSize` in bytes, when set. */
  readonly cacheMaxSize?: number
  readonly remoteCache?: RemoteCacheConfig
}
