/**
 * Public API of `typed-tasks`.
 *
 * @example
 * import { loadConfig, run } from 'typed-tasks'
 * const config = await loadConfig({ cwd: '/path/to/project' })
 * const result = await run({ config, tasks: ['build'], signal, onEvent: (e) => console.log(e.type) })
 * if (!result.ok) console.error(result.summary)
 */
import type { Config } from './types.js'

export type * from './types.js'
export { TasksError, TaskCommandError, EXIT, exitCodeFor, type ErrorCode, type ErrorLocation } from './errors.js'
export { loadConfig, configRoot, CONFIG_FILES, type LoadConfigOptions } from './config/load.js'
export { run, explain, type RunOptions, type Explanation } from './run/run.js'
export { buildGraph, toDot, toMermaid, type TaskGraph } from './graph/graph.js'
export { selectTasks, filterWorkspaces, workspaceContaining, type SelectOptions } from './graph/select.js'
export { CHANGE_LABELS, type Change, type FingerprintRecord } from './fingerprint/fingerprint.js'
export { VERSION } from './version.js'
export { formatReason, formatMs, summaryLine, type FormatReasonOptions } from './report/format.js'
export { combineReporters, type Reporter } from './report/reporter.js'
export {
  ENTRY_SCHEMA,
  type Cache,
  type CacheHit,
  type CacheGetOptions,
  type ActionResult,
  type OutputEntry,
  type RestoreResult,
  type StoreInput,
} from './cache/cache.js'
export { LocalCache } from './cache/local.js'
export { MemoryCache, type MemoryCacheStats } from './cache/memory.js'
export { parseActionResult, unsafeOutputPath } from './cache/entry.js'
export { prefetchRun } from './prefetch.js'
export { computeAffected, type AffectedOptions } from './run/affected.js'
export { parseVarArgs, applyVars } from './config/vars.js'
export {
  createRunCollector,
  criticalPath,
  RUN_MODEL_SCHEMA,
  type RunModel,
  type TaskModel,
  type RunCollector,
  type CollectorOptions,
  type Comparison,
} from './report/model.js'
export { renderHtml, type HtmlOptions } from './report/html.js'
export { watch, DEBOUNCE_MS, type WatchOptions, type WatchResult } from './watch/watch.js'
export { ServicePool } from './run/service.js'
// Shared helpers for recipes (the library's and a user's own): one error class, did-you-mean, shell quoting, canonical JSON.
export { RecipeError, type RecipeErrorCode, type RecipeErrorDetails } from './errors.js'
export { suggest } from './util/suggest.js'
export { shellQuote } from './util/quote.js'
export { canonicalJson } from './util/hash.js'
export { TieredCache, type TieredCacheOptions, type RemoteStats } from './cache/remote/tiered.js'
export { openRemoteStore } from './cache/remote/open.js'
export { resolveRemoteSettings, type RemoteSettings, type RemoteFlags } from './cache/remote/settings.js'
export {
  RemoteError,
  type RemoteStore,
  type Envelope,
  type ProbeReport,
  type ProbeCheck,
  type StoreOptions,
} from './cache/remote/store.js'
export { collectGarbage, cacheUsage, cleanCache, type GcResult } from './cache/gc.js'

/**
 * Identity function that gives `tasks.config.ts` its types: editor completion for every task key
 * and type errors for wrong ones, including unknown keys (a non-generic parameter keeps
 * TypeScript's excess-property check). Returns `config` unchanged.
 * @example export default defineConfig({ tasks: { build: { run: 'tsc -p .', inputs: ['src/**'] } } })
 */
export function defineConfig(config: Config): Config {
  return config
}
