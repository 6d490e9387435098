/**
 * `tasks cache status|prune|clean` and the remote cache's part of a run: reading the flags and the
 * environment, opening the tiered cache, and the local cache's upkeep after a run (LRU marks,
 * collection). The summary line's `remote: N hits, N uploaded` comes from `RunSummary.remote`.
 * Printing happens here, never in the library.
 */
import { join, relative } from 'node:path'
import type { RunResult } from '../lib/model/events.js'
import type { LoadedConfig } from '../lib/model/internal.js'
import { resolveRemoteSettings, type RemoteFlags } from '../lib/cache/remote/settings.js'
import type { ProbeCheck } from '../lib/cache/remote/store.js'
import type { TieredCache } from '../lib/cache/remote/tiered.js'

/** The subcommands. */
export const CACHE_SUBCOMMANDS = ['status', 'prune', 'clean'] as const

/** The remote flags from cac's parsed options (`--remote-cache URL`, `--no-remote-cache`, `--remote-cache-read-only`). */
export function remoteFlags(opts: Record<string, unknown>): RemoteFlags {
  const v = opts.remoteCache
  return {
    remoteCache: v === false ? false : typeof v === 'string' ? v : undefined,
    readOnly: !!opts.remoteCacheReadOnly,
  }
}

/** Human size: `1.2 GB`, `340 MB`, `12 kB` (decimal units, like `du --si`). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let i = 0
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000
    i++
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`
}

/** Where `.tasks/` is and what the config says, for the subcommands (a missing config is fine: the current folder). */
async function locate(
  cwd: string | undefined,
  configFile: string | undefined,
): Promise<{ root: string; config?: LoadedConfig }> {
  const lib = await import('../lib/index.js')
  try {
    const config = (await lib.loadConfig({ cwd, config: configFile })) as LoadedConfig
    return { root: config.root, config }
  } catch (err) {
    if (err instanceof lib.TasksError && err.code === 'config-not-found' && !configFile)
      return { root: cwd ?? process.cwd() }
    throw err
  }
}

/**
 * Run `tasks cache <sub>`. Writes its report with `write`; resolves to the exit code (0 fine,
 * 1 a check failed, 2 usage).
 * @throws {TasksError} for a bad config or remote URL (rendered by the caller)
 */
export async function runCacheCommand(
  sub: string,
  o: { cwd?: string; config?: string; flags: RemoteFlags; json?: boolean },
  write: (text: string) => void,
): Promise<number> {
  const gc = await import('../lib/cache/gc.js')
  const { root, config } = await locate(o.cwd, o.config)
  const dir = join(root, '.tasks')
  const where = relative(process.cwd(), dir) || dir
  const maxSize = config?.cacheMaxSize ?? gc.DEFAULT_MAX_SIZE
  if (sub === 'clean') {
    const u = gc.cleanCache(dir)
    write(`removed the local cache in ${where}: ${u.entries} entries, ${u.blobs} blobs, ${formatBytes(u.bytes)}\n`)
    return 0
  }
  if (sub === 'prune') {
    const r = gc.collectGarbage(dir, maxSize)
    write(
      `pruned ${where} to its limit of ${formatBytes(maxSize)}: removed ${r.entriesRemoved} least recently used entries and ${r.blobsRemoved} unreferenced blobs; ${formatBytes(r.bytesBefore)} -> ${formatBytes(r.bytesAfter)}\n`,
    )
    return 0
  }
  if (sub !== 'status') {
    write(
      `error: unknown cache command \`${sub}\`\n  help: use \`tasks cache status\`, \`tasks cache prune\` or \`tasks cache clean\`\n`,
    )
    return 2
  }
  const u = gc.cacheUsage(dir)
  const settings = resolveRemoteSettings(config?.remoteCache, process.env, o.flags)
  const lines = [
    `local cache: ${where}: ${u.entries} entries, ${u.blobs} blobs, ${formatBytes(u.bytes)} of ${formatBytes(maxSize)} (cache.maxSize)`,
  ]
  if (!settings.on) {
    lines.push(
      `remote cache: ${settings.why === 'not configured' ? 'not configured (set remoteCache.url in the config, TASKS_REMOTE_CACHE=URL or --remote-cache URL)' : settings.why}`,
    )
    if (o.json) write(JSON.stringify({ local: u, maxSize, remote: { on: false, why: settings.why } }, null, 2) + '\n')
    else write(lines.join('\n') + '\n')
    return 0
  }
  const { openRemoteStore } = await import('../lib/cache/remote/open.js')
  const store = await openRemoteStore(settings)
  let report
  try {
    report = await store.probe({ readOnly: settings.readOnly })
  } finally {
    await store.close()
  }
  const checks: ProbeCheck[] = [...report.checks]
  if (!checks.some((c) => c.name === 'signing')) {
    checks.push(
      settings.signatureKey
        ? {
            name: 'signing',
            ok: true,
            detail:
              'on: uploads are signed (HMAC-SHA256), downloads without a valid signature are misses' +
              (settings.url.protocol === 'turbo' ? '; artifacts carry x-artifact-tag (turbo 2.x format)' : '') +
              (settings.signatureKey.length < 32
                ? `; the key is ${settings.signatureKey.length} bytes, use at least 32 (turbo requires it soon)`
                : ''),
          }
        : {
            name: 'signing',
            ok: true,
            detail:
              'off: set TASKS_REMOTE_CACHE_SIGNATURE_KEY so uploads are signed and unsigned or tampered entries are refused (recommended for a shared cache)',
          },
    )
  }
  const order = ['reachable', 'read', 'write', 'signing', 'protocol']
  checks.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
  lines.push(`remote cache: ${report.url} (${report.protocol}, ${settings.readOnly ? 'read-only' : 'read-write'})`)
  for (const c of checks) {
    lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(9)} ${c.detail}`)
    if (c.fix) lines.push(`       ${''.padEnd(9)} fix: ${c.fix}`)
  }
  const ok = checks.every((c) => c.ok) && checks.some((c) => c.name === 'read')
  if (o.json)
    write(
      JSON.stringify(
        {
          local: u,
          maxSize,
          remote: { on: true, url: report.url, protocol: report.protocol, readOnly: settings.readOnly, checks, ok },
        },
        null,
        2,
      ) + '\n',
    )
  else write(lines.join('\n') + '\n')
  return ok ? 0 : 1
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
