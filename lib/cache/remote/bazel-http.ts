/**
 * Bazel's HTTP remote cache protocol: `GET/PUT/HEAD <base>/ac/<key>` (action results, as REAPI
 * `ActionResult` protobuf) and `<base>/cas/<sha256>` (blobs), 404 = miss. Served by bazel-remote
 * (verifies CAS uploads, needs Content-Length, answers 404 for an action result whose blobs were
 * evicted) and by nginx WebDAV (verifies nothing). Same paths as Bazel's `--remote_cache=https://`.
 */
import { createHash, randomBytes } from 'node:crypto'
import { HttpClient, statusError } from './http-client.js'
import { decodeActionResult, encodeActionResult } from './proto.js'
import {
  RemoteError,
  type Digest,
  type Envelope,
  type ProbeCheck,
  type ProbeReport,
  type RemoteStore,
  type StoreOptions,
} from './store.js'
import type { RemoteUrl } from './url.js'

const EMPTY_SHA256 = createHash('sha256').digest('hex')

/** A Bazel HTTP cache. */
export class BazelHttpStore implements RemoteStore {
  readonly protocol = 'bazel-http'
  readonly display: string
  private readonly http: HttpClient
  private readonly headers: Record<string, string>

  constructor(
    private readonly url: RemoteUrl,
    options: StoreOptions,
  ) {
    this.display = url.display
    this.http = new HttpClient(options.connectTimeoutMs ?? 1500, options.requestTimeoutMs ?? 3000, url.tls)
    const auth = url.basicAuth ?? (options.token ? `Bearer ${options.token}` : undefined)
    this.headers = auth ? { authorization: auth } : {}
  }

  async getEntry(
    key: string,
    signal?: AbortSignal,
  ): Promise<{ envelope: Envelope; blobs: Map<string, Buffer> } | undefined> {
    const r = await this.http.send('GET', `${this.url.base}/ac/${key}`, this.headers, undefined, signal)
    if (r.status === 404) return undefined
    if (r.status !== 200) throw statusError('reading an action result', r)
    const env = decodeActionResult(r.body)
    if ('error' in env) throw new RemoteError('protocol', env.error)
    return { envelope: env, blobs: new Map() }
  }

  async getBlobs(digests: readonly Digest[], signal?: AbortSignal): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>()
    await Promise.all(
      digests.map(async (d) => {
        const r = await this.http.send('GET', `${this.url.base}/cas/${d.hash}`, this.headers, undefined, signal)
        if (r.status === 200) out.set(d.hash, r.body)
        else if (r.status !== 404) throw statusError(`reading blob ${d.hash.slice(0, 12)}`, r)
      }),
    )
    return out
  }

  async hasEntries(keys: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
    const out = new Set<string>()
    await Promise.all(
      keys.map(async (k) => {
        const r = await this.http.send('HEAD', `${this.url.base}/ac/${k}`, this.headers, undefined, signal)
        if (r.status === 200) out.add(k)
        else if (r.status !== 404) throw statusError('checking an action result', r)
      }),
    )
    return out
  }

  async put(
    key: string,
    envelope: Envelope,
    blobs: ReadonlyMap<string, Buffer>,
    _info: { durationMs: number },
    signal?: AbortSignal,
  ): Promise<void> {
    // Blobs first (bazel-remote refuses an action result whose blobs it lacks), the action result last.
    await Promise.all([...blobs].map(([hash, data]) => this.putBytes(`cas/${hash}`, data, signal)))
    await this.putBytes(`ac/${key}`, encodeActionResult(envelope), signal)
  }

  private async putBytes(path: string, data: Buffer, signal?: AbortSignal): Promise<void> {
    // A Buffer body is sent with Content-Length (bazel-remote refuses chunked uploads).
    const r = await this.http.send(
      'PUT',
      `${this.url.base}/${path}`,
      { ...this.headers, 'content-type': 'application/octet-stream' },
      data,
      signal,
    )
    if (r.status < 200 || r.status >= 300) throw statusError(`uploading ${path.slice(0, 16)}`, r)
  }

  async probe({ readOnly }: { readOnly: boolean }): Promise<ProbeReport> {
    const checks: ProbeCheck[] = []
    const report = { protocol: 'Bazel HTTP cache', url: this.display, checks }
    let r
    try {
      r = await this.http.send('GET', `${this.url.base}/cas/${EMPTY_SHA256}`, this.headers)
    } catch (err) {
      checks.push({
        name: 'reachable',
        ok: false,
        detail: (err as Error).message,
        fix: 'check the URL and that the server is running; a cache that is down only costs misses, never a failed build',
      })
      return report
    }
    const server = typeof r.headers.server === 'string' ? r.headers.server : undefined
    checks.push({ name: 'reachable', ok: true, detail: `HTTP ${r.status}${server ? ` from ${server}` : ''}` })
    try {
      const s = await this.http.send('GET', `${this.url.base}/ac/${randomBytes(32).toString('hex')}`, this.headers)
      if (s.status === 404)
        checks.push({
          name: 'read',
          ok: true,
          detail: 'a lookup of an unknown key answered 404 (a miss), as it should',
        })
      else
        checks.push({
          name: 'read',
          ok: false,
          detail: `a lookup answered HTTP ${s.status}`,
          fix:
            s.status === 401 || s.status === 403
              ? 'put user:password in the URL (Basic) or set TASKS_REMOTE_CACHE_TOKEN (Bearer)'
              : 'check that the URL points at the cache root (the folder holding ac/ and cas/)',
        })
    } catch (err) {
      checks.push({ name: 'read', ok: false, detail: (err as Error).message })
    }
    if (readOnly) {
      checks.push({
        name: 'write',
        ok: true,
        detail:
          'not tried: read-only mode (TASKS_REMOTE_CACHE_READ_ONLY / --remote-cache-read-only / readOnly in the config)',
      })
    } else {
      const probe = Buffer.from(`typed-tasks cache probe ${new Date().toISOString()}\n`)
      const hash = createHash('sha256').update(probe).digest('hex')
      try {
        await this.putBytes(`cas/${hash}`, probe)
        checks.push({ name: 'write', ok: true, detail: 'a probe blob was uploaded' })
      } catch (err) {
        const e = err as RemoteError
        checks.push({
          name: 'write',
          ok: false,
          detail: e.message,
          fix:
            e.kind === 'auth'
              ? 'uploads need credentials: put user:password in the URL, or run read-only (TASKS_REMOTE_CACHE_READ_ONLY=1)'
              : e.status === 405
                ? 'the server does not accept PUT: enable WebDAV (`dav_methods PUT`) or use a cache server'
                : undefined,
        })
      }
    }
    try {
      const s = await this.http.send('GET', `${new URL(this.url.base).origin}/status`, this.headers)
      const version =
        s.status === 200 ? (JSON.parse(s.body.toString()) as { ServerVersion?: string; Version?: string }) : undefined
      checks.push({
        name: 'protocol',
        ok: true,
        detail: `Bazel HTTP cache protocol (/ac, /cas)${version?.ServerVersion || version?.Version ? `, bazel-remote ${version.ServerVersion ?? version.Version}` : server ? `, ${server}` : ''}`,
      })
    } catch {
      checks.push({
        name: 'protocol',
        ok: true,
        detail: `Bazel HTTP cache protocol (/ac, /cas)${server ? `, ${server}` : ''}`,
      })
    }
    return report
  }

  async close(): Promise<void> {
    await this.http.close()
  }
}
