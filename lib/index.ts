/**
 * The core door of `typed-tasks` (the package's main entry): define and load a config, run,
 * explain and watch its tasks, the task graph, the errors and the two local cache classes. The
 * other audiences have their own doors: `typed-tasks/cache` (remote stores, collection, entry
 * parsing: `doors/cache.ts`), `typed-tasks/report` (formatting reasons, reporters, the run model
 * and its HTML: `doors/report.ts`) and `typed-tasks/recipe-kit` (what a recipe needs:
 * `doors/recipe-kit.ts`). `test/doors/exports.test.mjs` pins what each door exports.
 *
 * @example
 * import { loadConfig, run } from 'typed-tasks'
 * const config = await loadConfig({ cwd: '/path/to/project' })
 * const result = await run({ config, tasks: ['build'], signal, onEvent: (e) => console.log(e.type) })
 * if (!result.ok) console.error(result.summary)
 */
import type { Config } from './model/config.js'

export type * from './model/config.js'
export type * from './model/project.js'
export type * from './model/events.js'
export { TasksError, TaskCommandError, EXIT, exitCodeFor, type ErrorCode, type ErrorLocation } from './errors.js'
export { RecipeError, type RecipeErrorCode, type RecipeErrorDetails } from './errors.js'
export { loadConfig, configRoot, CONFIG_FILES, type LoadConfigOptions } from './config/load.js'
export { run, explain, type RunOptions, type Explanation } from './run/run.js'
export { prefetchRun } from './prefetch.js'
export { computeAffected, type AffectedOptions } from './run/affected.js'
export { watch, type WatchOptions, type WatchResult } from './watch/watch.js'
export { buildGraph, toDot, toMermaid, type TaskGraph } from './graph/graph.js'
export { selectTasks, filterWorkspaces, workspaceContaining, type SelectOptions } from './graph/select.js'
export { CHANGE_LABELS, type Change, type FingerprintRecord } from './fingerprint/record.js'
export type {
  Cache,
  CacheHit,
  CacheGetOptions,
  ActionResult,
  OutputEntry,
  RestoreResult,
  StoreInput,
} from './cache/cache.js'
export { LocalCache } from './cache/local.js'
export { MemoryCache, type MemoryCacheStats } from './cache/memory.js'
export { VERSION } from './version.js'

/**
 * Identity function that gives `tasks.config.ts` its types: editor completion for every task key
 * and type errors for wrong ones, including unknown keys (a non-generic parameter keeps
 * TypeScript's excess-property check). Returns `config` unchanged.
 * @example export default defineConfig({ tasks: { build: { run: 'tsc -p .', inputs: ['src/**'] } } })
 */
export function defineConfig(config: Config): Config {
  return config
}
