/**
 * `tasks cache status|prune|clean`: the local cache's usage, its collection and removal, and the
 * remote cache's probe. (The remote cache's part of a run is `bin/run-cache.ts`.) Printing happens
 * here, never in the library.
 */
import { join, relative } from 'node:path'
import type { LoadedConfig } from '../../lib/model/internal.js'
import { resolveRemoteSettings, type RemoteFlags } from '../../lib/cache/remote/settings.js'
import type { ProbeCheck } from '../../lib/cache/remote/store.js'
import { exitCodeFor } from '../../lib/errors.js'
import { renderError } from '../render-error.js'
import { remoteFlags } from '../run-cache.js'
import type { CliOptions } from '../options.js'
import { textOption } from '../read-options.js'

/**
 * `tasks cache <sub>` from the command line: {@link runCacheCommand} with the options, its report
 * on stdout, an error rendered on stderr.
 * @returns the exit code
 */
export async function cacheCommand(sub: string, opts: CliOptions): Promise<number> {
  try {
    return await runCacheCommand(
      sub,
      { cwd: textOption(opts.cwd), config: textOption(opts.config), flags: remoteFlags(opts), json: !!opts.json },
      (t) => process.stdout.write(t),
    )
  } catch (err) {
    process.stderr.write(renderError(err, process.cwd(), !!process.stderr.isTTY && !process.env.NO_COLOR))
    return exitCodeFor(err)
  }
}

/** The subcommands. */
export const CACHE_SUBCOMMANDS = ['status', 'prune', 'clean'] as const

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
  const lib = await import('../../lib/index.js')
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
  const gc = await import('../../lib/cache/gc.js')
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
  const { openRemoteStore } = await import('../../lib/cache/remote/open.js')
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
