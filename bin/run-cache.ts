/**
 * The remote cache's part of a run: reading the flags and the environment, opening the tiered
 * cache, and the local cache's upkeep after a run (LRU marks, collection). The summary line's
 * `remote: N hits, N uploaded` comes from `RunSummary.remote`. (`tasks cache ...` is
 * `bin/commands/cache.ts`.)
 */
import { join } from 'node:path'
import type { RunResult } from '../lib/model/events.js'
import type { LoadedConfig } from '../lib/model/internal.js'
import { resolveRemoteSettings, type RemoteFlags } from '../lib/cache/remote/settings.js'
import type { TieredCache } from '../lib/cache/remote/tiered.js'
import type { CliOptions } from './options.js'

/** The remote flags from cac's parsed options (`--remote-cache URL`, `--no-remote-cache`, `--remote-cache-read-only`). */
export function remoteFlags(opts: CliOptions): RemoteFlags {
  const v = opts.remoteCache
  return {
    remoteCache: v === false ? false : typeof v === 'string' ? v : undefined,
    readOnly: !!opts.remoteCacheReadOnly,
  }
}

/**
 * The cache of a run: the local cache with the remote tier above it when one is configured (flag,
 * environment, config), else undefined (the engine's default local cache). Protocol modules load
 * only when a remote is on.
 * @throws {TasksError} `usage` for a remote URL with an unknown scheme
 */
export async function openRunCache(
  config: LoadedConfig,
  flags: RemoteFlags,
  warn: (message: string, task?: string) => void,
): Promise<TieredCache | undefined> {
  const settings = resolveRemoteSettings(config.remoteCache, process.env, flags)
  if (!settings.on) return undefined
  const [{ openRemoteStore }, { TieredCache }, { LocalCache }, { parseActionResult }] = await Promise.all([
    import('../lib/cache/remote/open.js'),
    import('../lib/cache/remote/tiered.js'),
    import('../lib/cache/local.js'),
    import('../lib/cache/entry.js'),
  ])
  return new TieredCache({
    local: new LocalCache(join(config.root, '.tasks')),
    remote: await openRemoteStore(settings),
    validate: parseActionResult,
    readOnly: settings.readOnly,
    signatureKey: settings.signatureKey,
    maxUploadBytes: settings.maxUploadBytes,
    onWarning: warn,
  })
}

/**
 * After a run: mark the restored entries used (LRU), collect the local cache when the run stored
 * or restored something (at most hourly, see `maybeCollect`), release the remote's connections.
 * Never throws.
 */
export async function afterRun(
  config: LoadedConfig,
  result: RunResult,
  tiered: TieredCache | undefined,
): Promise<void> {
  try {
    if (!result.summary.dryRun && (result.summary.ran > 0 || result.summary.cacheHits > 0)) {
      const gc = await import('../lib/cache/gc.js')
      const dir = join(config.root, '.tasks')
      gc.markUsed(
        dir,
        result.tasks.filter((t) => t.status === 'cache-hit' && t.fingerprint).map((t) => t.fingerprint!),
      )
      gc.maybeCollect(dir, config.cacheMaxSize ?? gc.DEFAULT_MAX_SIZE)
    }
  } catch {}
  await tiered?.close().catch(() => {})
}
