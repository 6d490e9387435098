/**
 * Where the remote cache settings come from, in order: `--no-remote-cache` (off), the flag
 * `--remote-cache URL`, `TASKS_REMOTE_CACHE`, then `remoteCache.url` in the config. Credentials come
 * from the environment only (never the config file): `TASKS_REMOTE_CACHE_TOKEN` (Bearer),
 * user:password in the URL (Basic), `TASKS_REMOTE_CACHE_SIGNATURE_KEY`, `TASKS_REMOTE_CACHE_TEAM`.
 */
import type { RemoteCacheConfig } from '../../model/config.js'
import { parseRemoteUrl, type RemoteUrl } from './url.js'

/** The resolved settings, or why the remote cache is off. Sizes in bytes, times in ms. */
export type RemoteSettings =
  | {
      on: true
      url: RemoteUrl
      readOnly: boolean
      maxUploadBytes: number
      token?: string
      team?: string
      signatureKey?: Buffer
      timeoutMs: number
    }
  | { on: false; why: string }

/** What the CLI passes: its flags. */
export interface RemoteFlags {
  /** `--remote-cache URL`; `false` for `--no-remote-cache`. */
  remoteCache?: string | false
  /** `--remote-cache-read-only`. */
  readOnly?: boolean
}

/** The default `maxUploadBytes`: turborepo-remote-cache's default body limit (100 MiB). */
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024

/**
 * Resolve the settings.
 * @throws {TasksError} `usage` for a URL with an unknown scheme (see {@link parseRemoteUrl}).
 */
export function resolveRemoteSettings(
  config: RemoteCacheConfig | undefined,
  env: Record<string, string | undefined>,
  flags: RemoteFlags = {},
): RemoteSettings {
  if (flags.remoteCache === false) return { on: false, why: 'off (--no-remote-cache)' }
  const raw = (typeof flags.remoteCache === 'string' && flags.remoteCache) || env.TASKS_REMOTE_CACHE || config?.url
  if (!raw) return { on: false, why: 'not configured' }
  const url = parseRemoteUrl(raw)
  const envReadOnly =
    env.TASKS_REMOTE_CACHE_READ_ONLY !== undefined &&
    !['', '0', 'false'].includes(env.TASKS_REMOTE_CACHE_READ_ONLY.toLowerCase())
  return {
    on: true,
    url,
    readOnly: !!flags.readOnly || envReadOnly || !!config?.readOnly,
    maxUploadBytes: config?.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    token: env.TASKS_REMOTE_CACHE_TOKEN || undefined,
    team: env.TASKS_REMOTE_CACHE_TEAM || url.team || config?.team,
    signatureKey: env.TASKS_REMOTE_CACHE_SIGNATURE_KEY ? Buffer.from(env.TASKS_REMOTE_CACHE_SIGNATURE_KEY) : undefined,
    timeoutMs: config?.timeoutMs ?? 3000,
  }
}
