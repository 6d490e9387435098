/**
 * The remote cache URL: its scheme picks the protocol, its user:password (if any) is Basic auth.
 * `http(s)://host[:port][/prefix]` Bazel HTTP; `grpc(s)://host[:port][/instance]` Bazel gRPC
 * (REAPI v2); `turbo+http(s)://host[:port][/prefix][?team=slug]` Turborepo API v8.
 */
import { TasksError } from '../../errors.js'

/** A parsed remote cache URL. */
export interface RemoteUrl {
  protocol: 'bazel-http' | 'bazel-grpc' | 'turbo'
  /** For HTTP protocols: the base URL without credentials, query or trailing slash (e.g. `https://cache:8080/prefix`). */
  base: string
  /** For gRPC: `host:port` (default port 443 for grpcs, 80 for grpc). */
  address: string
  tls: boolean
  /** gRPC instance name (the path without its leading slash), '' when none. */
  instance: string
  /** `Basic ...` when the URL has user:password. */
  basicAuth?: string
  /** `?team=` of a Turborepo URL. */
  team?: string
  /** The URL with the password replaced by `***`, for messages. */
  display: string
}

/**
 * Parse a remote cache URL.
 * @throws {TasksError} `usage` for an unknown scheme or a malformed URL, naming the accepted schemes.
 */
export function parseRemoteUrl(raw: string): RemoteUrl {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new TasksError(
      'usage',
      `the remote cache URL \`${raw}\` is not a valid URL`,
      {},
      'use e.g. `https://cache.example.com`, `grpcs://cache.example.com/instance` or `turbo+https://cache.example.com?team=my-team`',
    )
  }
  const scheme = u.protocol.replace(/:$/, '')
  const protocol =
    scheme === 'http' || scheme === 'https'
      ? 'bazel-http'
      : scheme === 'grpc' || scheme === 'grpcs'
        ? 'bazel-grpc'
        : scheme === 'turbo+http' || scheme === 'turbo+https'
          ? 'turbo'
          : undefined
  if (!protocol) {
    throw new TasksError(
      'usage',
      `the remote cache URL \`${redact(raw)}\` has the unknown scheme \`${scheme}:\``,
      {},
      'use `http(s)://` (Bazel HTTP cache), `grpc(s)://` (Bazel gRPC / REAPI) or `turbo+http(s)://` (Turborepo remote cache API)',
    )
  }
  const tls = scheme.endsWith('s')
  const basicAuth = u.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
    : undefined
  const httpScheme = tls ? 'https' : 'http'
  const path = u.pathname.replace(/\/+$/, '')
  const port = u.port || (protocol === 'bazel-grpc' ? (tls ? '443' : '80') : '')
  const host = u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname
  return {
    protocol,
    base: `${httpScheme}://${host}${u.port ? `:${u.port}` : ''}${path}`,
    address: `${host}:${port}`,
    tls,
    instance: path.replace(/^\//, ''),
    basicAuth,
    team: u.searchParams.get('team') ?? undefined,
    display: redact(raw),
  }
}

/** The URL with any password replaced by `***`. */
export function redact(raw: string): string {
  try {
    const u = new URL(raw)
    if (u.password) u.password = '***'
    return u.toString().replace(/\/$/, '')
  } catch {
    return raw.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@')
  }
}
