/**
 * The `typed-tasks/cache` door: everything about caches for an embedder or a tool around the
 * cache. The local classes (also in the core door), the tiered cache over a remote store and
 * how to open one from settings, the entry format and its validation, and the local cache's
 * upkeep (size, collection, cleaning). Every class here is the one `run` uses (one bundle).
 */
export {
  ENTRY_SCHEMA,
  type Cache,
  type CacheHit,
  type CacheGetOptions,
  type ActionResult,
  type OutputEntry,
  type RestoreResult,
  type StoreInput,
} from '../cache/cache.js'
export { LocalCache } from '../cache/local.js'
export { MemoryCache, type MemoryCacheStats } from '../cache/memory.js'
export { parseActionResult, unsafeOutputPath } from '../cache/entry.js'
export { collectGarbage, cacheUsage, cleanCache, type GcResult } from '../cache/gc.js'
export { TieredCache, type TieredCacheOptions, type RemoteStats } from '../cache/remote/tiered.js'
export { openRemoteStore } from '../cache/remote/open.js'
export { resolveRemoteSettings, type RemoteSettings, type RemoteFlags } from '../cache/remote/settings.js'
export {
  RemoteError,
  type RemoteStore,
  type Envelope,
  type ProbeReport,
  type ProbeCheck,
  type StoreOptions,
} from '../cache/remote/store.js'
