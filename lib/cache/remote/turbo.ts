/**
 * The Turborepo remote cache API v8 (`/v8/artifacts/<hash>`), as turbo 2.x speaks it and as
 * turborepo-remote-cache and Vercel serve it: Bearer token, team as `?slug=` (or `?teamId=` for
 * `team_...` ids), an opaque body, 404 = miss, and `x-artifact-tag` signatures in turbo 2.x's
 * format when a key is set. Our body is a plain tar of `entry.json` (the envelope) and
 * `cas/<sha256>` blobs, so one GET restores a task.
 */
import { randomBytes } from 'node:crypto'
import { Header, Pack, Parser, ReadEntry } from 'tar'
import { HttpClient, statusError } from './http-client.js'
import { turboTag, verifyTurboTag } from './sign.js'
import {
  ENVELOPE_FORMAT,
  RemoteError,
  isSha256,
  type Envelope,
  type ProbeCheck,
  type ProbeReport,
  type RemoteStore,
  type StoreOptions,
} from './store.js'
import type { RemoteUrl } from './url.js'

/** A Turborepo API v8 remote cache. */
export class TurboStore implements RemoteStore {
  readonly protocol = 'turbo'
  readonly display: string
  private readonly http: HttpClient
  private readonly headers: Record<string, string>
  private readonly query: string
  private readonly teamId: string

  constructor(
    private readonly url: RemoteUrl,
    private readonly options: StoreOptions,
  ) {
    this.display = url.display
    this.http = new HttpClient(options.connectTimeoutMs ?? 1500, options.requestTimeoutMs ?? 3000, url.tls)
    const auth = options.token ? `Bearer ${options.token}` : url.basicAuth
    this.headers = auth ? { authorization: auth } : {}
    const team = options.team ?? url.team
    this.teamId = team?.startsWith('team_') ? team : ''
    this.query = team ? `?${team.startsWith('team_') ? 'teamId' : 'slug'}=${encodeURIComponent(team)}` : ''
  }

  private artifactUrl(hash: string): string {
    return `${this.url.base}/v8/artifacts/${hash}${this.query}`
  }

  async getEntry(
    key: string,
    signal?: AbortSignal,
  ): Promise<{ envelope: Envelope; blobs: Map<string, Buffer> } | undefined> {
    const r = await this.http.send('GET', this.artifactUrl(key), this.headers, undefined, signal)
    if (r.status === 404) return undefined
    if (r.status !== 200) throw statusError('reading an artifact', r)
    if (this.options.signatureKey) {
      // Verify before extracting: an unsigned or badly signed artifact is never parsed.
      if (!verifyTurboTag(this.options.signatureKey, key, this.teamId, r.body, r.headers['x-artifact-tag'])) {
        throw new RemoteError(
          'protocol',
          r.headers['x-artifact-tag']
            ? "the artifact's x-artifact-tag signature does not match (wrong key, or the artifact was changed)"
            : 'the artifact has no x-artifact-tag signature',
        )
      }
    }
    const files = await untar(r.body)
    const json = files.get('entry.json')
    if (!json) throw new RemoteError('protocol', 'the artifact was not written by typed-tasks (no entry.json)')
    let envelope: Envelope
    try {
      envelope = JSON.parse(json.toString('utf8'))
    } catch {
      throw new RemoteError('protocol', "the artifact's entry.json is not valid JSON")
    }
    if (!envelope || envelope.format !== ENVELOPE_FORMAT)
      throw new RemoteError('protocol', `unknown envelope format in the artifact`)
    if (!envelope.sizes || typeof envelope.sizes !== 'object') envelope.sizes = {}
    const blobs = new Map<string, Buffer>()
    for (const [name, data] of files) {
      const hash = name.startsWith('cas/') ? name.slice(4) : ''
      if (isSha256(hash)) blobs.set(hash, data)
    }
    return { envelope, blobs }
  }

  async getBlobs(): Promise<Map<string, Buffer>> {
    // Every blob travels inside the artifact; there is no separate blob store.
    return new Map()
  }

  async hasEntries(keys: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
    const out = new Set<string>()
    await Promise.all(
      keys.map(async (k) => {
        const r = await this.http.send('HEAD', this.artifactUrl(k), this.headers, undefined, signal)
        if (r.status === 200) out.add(k)
        else if (r.status !== 404) throw statusError('checking an artifact', r)
      }),
    )
    return out
  }

  async put(
    key: string,
    envelope: Envelope,
    blobs: ReadonlyMap<string, Buffer>,
    info: { durationMs: number },
    signal?: AbortSignal,
  ): Promise<void> {
    const files: [string, Buffer][] = [
      ['entry.json', Buffer.from(JSON.stringify(envelope))],
      ...[...blobs].map(([h, d]) => [`cas/${h}`, d] as [string, Buffer]),
    ]
    const body = await tarOf(files)
    await this.putArtifact(key, body, info.durationMs, signal)
  }

  private async putArtifact(key: string, body: Buffer, durationMs: number, signal?: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {
      ...this.headers,
      'content-type': 'application/octet-stream',
      'x-artifact-duration': String(Math.round(durationMs)),
    }
    if (this.options.signatureKey)
      headers['x-artifact-tag'] = turboTag(this.options.signatureKey, key, this.teamId, body)
    const r = await this.http.send('PUT', this.artifactUrl(key), headers, body, signal)
    if (r.status < 200 || r.status >= 300) throw statusError('uploading an artifact', r)
  }

  async probe({ readOnly }: { readOnly: boolean }): Promise<ProbeReport> {
    const checks: ProbeCheck[] = []
    const report = { protocol: 'Turborepo remote cache API v8', url: this.display, checks }
    if (!(await this.probeStatus(checks))) return report
    checks.push(await this.probeRead())
    if (readOnly) checks.push({ name: 'write', ok: true, detail: 'not tried: read-only mode' })
    else checks.push(...(await this.probeWrite()))
    checks.push({ name: 'protocol', ok: true, detail: 'Turborepo remote cache API v8 (/v8/artifacts)' })
    return report
  }

  /** GET `/v8/artifacts/status` and push its checks. @returns false when the probe should stop (unreachable, credentials refused). */
  private async probeStatus(checks: ProbeCheck[]): Promise<boolean> {
    let r
    try {
      r = await this.http.send('GET', `${this.url.base}/v8/artifacts/status${this.query}`, this.headers)
    } catch (err) {
      checks.push({
        name: 'reachable',
        ok: false,
        detail: (err as Error).message,
        fix: 'check the URL and that the server is running; a cache that is down only costs misses, never a failed build',
      })
      return false
    }
    if (r.status === 401 || r.status === 403 || r.status === 400) {
      checks.push({ name: 'reachable', ok: true, detail: `HTTP ${r.status}` })
      checks.push({
        name: 'read',
        ok: false,
        detail: `the server refused the credentials (HTTP ${r.status})`,
        fix: this.headers.authorization
          ? 'TASKS_REMOTE_CACHE_TOKEN is not accepted by the server: check the token'
          : 'set TASKS_REMOTE_CACHE_TOKEN to a token the server accepts',
      })
      return false
    }
    const status = r.status === 200 ? safeJson(r.body)?.status : undefined
    checks.push({
      name: 'reachable',
      ok: r.status === 200,
      detail:
        r.status === 200 ? `artifacts status: ${status ?? 'unknown'}` : `HTTP ${r.status} on /v8/artifacts/status`,
      fix: r.status === 404 ? 'the URL must point at the server root (the folder holding /v8)' : undefined,
    })
    return true
  }

  /** The `read` check: a lookup of a random hash must answer 404. */
  private async probeRead(): Promise<ProbeCheck> {
    try {
      const s = await this.http.send('GET', this.artifactUrl(randomBytes(32).toString('hex')), this.headers)
      const auth =
        s.status === 401 || s.status === 403 || (s.status === 400 && /authori[sz]ation/i.test(s.body.toString()))
      return s.status === 404
        ? { name: 'read', ok: true, detail: 'a lookup of an unknown hash answered 404 (a miss), as it should' }
        : {
            name: 'read',
            ok: false,
            detail: `a lookup answered HTTP ${s.status}${auth ? ' (credentials refused)' : ''}`,
            fix: !auth
              ? undefined
              : this.headers.authorization
                ? 'the server does not accept TASKS_REMOTE_CACHE_TOKEN: check the token and the team (TASKS_REMOTE_CACHE_TEAM or ?team=)'
                : 'set TASKS_REMOTE_CACHE_TOKEN to a token the server accepts',
          }
    } catch (err) {
      return { name: 'read', ok: false, detail: (err as Error).message }
    }
  }

  /** The `write` check (a probe artifact uploaded), then `signing` when reading it back shows a tag problem. */
  private async probeWrite(): Promise<ProbeCheck[]> {
    const checks: ProbeCheck[] = []
    try {
      const hash = `typed-tasks-probe-${randomBytes(8).toString('hex')}`
      await this.putArtifact(hash, Buffer.from('probe'), 0)
      checks.push({ name: 'write', ok: true, detail: 'a probe artifact was uploaded' })
      // Read it back: a server with a signature key of its own answers 404 for untagged artifacts.
      const back = await this.http.send('GET', this.artifactUrl(hash), this.headers)
      if (back.status === 404 && /tag/i.test(back.body.toString())) {
        checks.push({
          name: 'signing',
          ok: false,
          detail:
            'the server only serves signed artifacts (it answered "artifact tag not found" for an unsigned upload)',
          fix: "set TASKS_REMOTE_CACHE_SIGNATURE_KEY to the team's signing key",
        })
      } else if (
        back.status === 200 &&
        this.options.signatureKey &&
        !verifyTurboTag(this.options.signatureKey, hash, this.teamId, back.body, back.headers['x-artifact-tag'])
      ) {
        checks.push({
          name: 'signing',
          ok: false,
          detail: 'the server does not return the x-artifact-tag it was given, so every download is a miss',
          fix: 'set TURBO_REMOTE_CACHE_SIGNATURE_KEY on turborepo-remote-cache so it stores tags',
        })
      }
    } catch (err) {
      const e = err as RemoteError
      checks.push({
        name: 'write',
        ok: false,
        detail: e.message,
        fix:
          e.kind === 'auth'
            ? 'this token may not upload (a read-only server or token): run read-only with TASKS_REMOTE_CACHE_READ_ONLY=1, or use a token with write access'
            : undefined,
      })
    }
    return checks
  }

  async close(): Promise<void> {
    await this.http.close()
  }
}

function safeJson(b: Buffer): { status?: string } | undefined {
  try {
    return JSON.parse(b.toString('utf8'))
  } catch {
    return undefined
  }
}

/** A tar (ustar, portable: no owner, mtime 0) of in-memory files. */
export async function tarOf(files: readonly [string, Buffer][]): Promise<Buffer> {
  const pack = new Pack({ portable: true, noMtime: true })
  const chunks: Buffer[] = []
  pack.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<void>((res, rej) => {
    pack.on('end', () => res())
    pack.on('error', rej)
  })
  for (const [path, data] of files) {
    const entry = new ReadEntry(
      new Header({ path, mode: 0o644, size: data.length, type: 'File', mtime: new Date(0), uid: 0, gid: 0 }),
    )
    pack.add(entry)
    entry.end(data)
  }
  pack.end()
  await done
  return Buffer.concat(chunks)
}

/** The regular files of a tar, by path. @throws {RemoteError} `protocol` for a malformed archive. */
export async function untar(body: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  const parser = new Parser({
    strict: true,
    onReadEntry: (e) => {
      if (e.type !== 'File') return void e.resume()
      const chunks: Buffer[] = []
      e.on('data', (d: Buffer) => chunks.push(d))
      e.on('end', () => out.set(e.path, Buffer.concat(chunks)))
    },
  })
  try {
    await new Promise<void>((res, rej) => {
      parser.on('end', () => res())
      parser.on('error', rej)
      parser.on('warn', (_code: string, message: string | Error) => rej(new Error(String(message))))
      parser.end(body)
    })
  } catch (err) {
    throw new RemoteError('protocol', `the artifact is not a valid tar (${(err as Error).message})`)
  }
  return out
}
