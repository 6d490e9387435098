/**
 * What a remote executor offers, from `Capabilities.GetCapabilities` (REAPI v2 `ServerCapabilities`):
 * the API versions, the digest functions of its cache and its execution service, whether execution
 * is enabled, the batch limit. For a future `tasks remote status`.
 */
import { RemoteExecError, classify } from './errors.js'
import { ReapiConnection, type ConnectionOptions } from './connection.js'
import { DIGEST_FUNCTIONS } from './proto.js'

/** A summary of `ServerCapabilities`. */
export interface ExecutorStatus {
  /** The URL without credentials. */
  url: string
  reachable: boolean
  /** Why not, when `reachable` is false (the classified error's message). */
  error?: string
  /** `low_api_version` .. `high_api_version` as `major.minor` (e.g. `2.0`, `2.11`); undefined when unset. */
  apiVersions?: { low?: string; high?: string; deprecated?: string }
  /** `cache_capabilities.digest_functions` by name (`SHA256`, ...). */
  cacheDigestFunctions: string[]
  /** `execution_capabilities.digest_functions` (or the older single `digest_function`) by name. */
  execDigestFunctions: string[]
  /** `execution_capabilities.exec_enabled`: false = a cache only, `Execute` will be refused. */
  execEnabled: boolean
  /** `cache_capabilities.max_batch_total_size_bytes`; 0 = no limit announced. */
  maxBatchTotalSizeBytes: number
  /** `cache_capabilities.action_cache_update_capabilities.update_enabled`. */
  actionCacheUpdateEnabled: boolean
}

const semver = (v: any) => (v ? `${v.major ?? 0}.${v.minor ?? 0}${v.patch ? `.${v.patch}` : ''}` : undefined)
const names = (xs: number[] | undefined) => (xs ?? []).map((x) => DIGEST_FUNCTIONS[x] ?? `#${x}`)

/**
 * Ask the server for its capabilities (`GetCapabilities`, one call with `requestTimeoutMs`).
 * Never throws for an unreachable server: the result says `reachable: false` with the reason.
 */
export async function executorStatus(options: ConnectionOptions): Promise<ExecutorStatus> {
  const conn = new ReapiConnection(options)
  const empty = { cacheDigestFunctions: [], execDigestFunctions: [], execEnabled: false, maxBatchTotalSizeBytes: 0 }
  try {
    const caps = await conn.unary('GetCapabilities', { instanceName: conn.instance })
    const cc = caps.cacheCapabilities ?? {}
    const ec = caps.executionCapabilities ?? {}
    return {
      url: conn.url.display,
      reachable: true,
      apiVersions: {
        low: semver(caps.lowApiVersion),
        high: semver(caps.highApiVersion),
        deprecated: semver(caps.deprecatedApiVersion),
      },
      cacheDigestFunctions: names(cc.digestFunctions),
      execDigestFunctions: names(
        ec.digestFunctions?.length ? ec.digestFunctions : ec.digestFunction ? [ec.digestFunction] : [],
      ),
      execEnabled: !!ec.execEnabled,
      maxBatchTotalSizeBytes: Number(cc.maxBatchTotalSizeBytes ?? 0),
      actionCacheUpdateEnabled: cc.actionCacheUpdateCapabilities?.updateEnabled !== false,
    }
  } catch (err) {
    const e = err instanceof RemoteExecError ? err : classify('GetCapabilities', err)
    return { url: conn.url.display, reachable: false, error: e.message, ...empty, actionCacheUpdateEnabled: false }
  } finally {
    conn.close()
  }
}
