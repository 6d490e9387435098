/**
 * The tiered cache: the local cache first, then a remote store. Same roles as Bazel's disk cache
 * in front of `--remote_cache`, and turbo's local + remote cache.
 *
 * - A remote hit is untrusted input: the entry is validated (the local tier's validator), its
 *   fingerprint must be the one asked for, its signature must verify when a key is set, every
 *   blob is checked by SHA-256; only then is it imported into the local tier (which validates
 *   and verifies again), and restored from there. Anything wrong is a miss with a warning.
 * - Uploads run in the background after the local store, at most `uploadConcurrency` at once,
 *   blobs first and the action result last; `flush` waits for them with a bounded wait.
 * - Look-ups run in their own pool ({@link TieredCacheOptions.fetchConcurrency}): the scheduler
 *   starts a task's look-up with {@link TieredCache.prefetch} as soon as its fingerprint is known,
 *   before the task takes a `--concurrency` slot; `get` then verifies and imports what came (only
 *   bytes are held in memory before that, nothing is written).
 * - A cache that is down costs little: one circuit breaker per run. A refused connection or a
 *   timeout turns the remote off for the rest of the run with one warning (short timeouts, see
 *   `http-client.ts`); a 401/403 on an upload turns uploads off with one warning.
 */
import { createHash } from 'node:crypto'
import type { ActionResult, Cache, CacheGetOptions, CacheHit, RestoreResult, StoreInput } from '../cache.js'
import type { LocalTier } from './contract.js'
import { signEntry, verifyEntry } from './sign.js'
import { ENVELOPE_FORMAT, RemoteError, entryDigests, isSha256, type Envelope, type RemoteStore } from './store.js'

/** Options of {@link TieredCache}. Sizes in bytes. */
export interface TieredCacheOptions {
  local: LocalTier
  remote: RemoteStore
  /** Check an entry's shape (the engine's `parseActionResult`): the entry, or why it is refused. */
  validate: (json: unknown) => ActionResult | { error: string }
  /** Restore, never upload. @default false */
  readOnly?: boolean
  /** HMAC key: uploads are signed, downloads without a valid signature are misses. */
  signatureKey?: Buffer
  /** Skip (with a warning) uploads whose blobs add up to more. @default 100 MiB (turborepo-remote-cache's body limit) */
  maxUploadBytes?: number
  /** Uploads in flight at once. @default 4 */
  uploadConcurrency?: number
  /**
   * Remote look-ups (entry + blobs) in flight at once, outside the run's `--concurrency`: network
   * waits hold no scheduler slot (turbo fetches its artifacts with many parallel requests too).
   * @default 16 (the HTTP client's connections per server)
   */
  fetchConcurrency?: number
  /** Where warnings go (the run's `warning` events). */
  onWarning?: (message: string, task?: string) => void
}

/** What the remote tier did in a run: for the summary line `remote: N hits, N uploaded`. */
export interface RemoteStats {
  hits: number
  uploaded: number
  /** Why the remote is (or went) off, when it is. */
  off?: string
  /** Why uploads are off while reads go on (read-only mode, 401/403). */
  uploadsOff?: string
}

/** What one remote look-up brought: nothing (miss, remote off), a failure to report, or the entry with the blobs fetched beside it (all unverified). */
type Fetched =
  | { kind: 'miss' | 'off' }
  | { kind: 'failed'; err: unknown; what: string }
  | { kind: 'entry'; got: { envelope: Envelope; blobs: Map<string, Buffer> }; fetched?: Map<string, Buffer> }

/** Local + remote, behind the engine's `Cache` interface. */
export class TieredCache implements Cache {
  private readonly o: TieredCacheOptions
  private off?: string
  private uploadsOff?: string
  private hits = 0
  private uploaded = 0
  private readonly queue: (() => Promise<void>)[] = []
  private active = 0
  private idle: (() => void)[] = []
  private readonly abort = new AbortController()
  /** Look-ups started by {@link prefetch}, by fingerprint, until `get` takes them. */
  private readonly fetches = new Map<string, Promise<Fetched>>()
  private fetching = 0
  private readonly fetchWaiters: (() => void)[] = []

  constructor(options: TieredCacheOptions) {
    this.o = options
    if (options.readOnly) this.uploadsOff = 'read-only'
  }

  /** The summary of this run's remote activity. */
  stats(): RemoteStats {
    return { hits: this.hits, uploaded: this.uploaded, off: this.off, uploadsOff: this.uploadsOff }
  }

  /** {@link stats} without the empty fields, for `RunSummary.remote`. */
  remoteStats(): RemoteStats {
    const s = this.stats()
    return {
      hits: s.hits,
      uploaded: s.uploaded,
      ...(s.off ? { off: s.off } : {}),
      ...(s.uploadsOff ? { uploadsOff: s.uploadsOff } : {}),
    }
  }

  private warn(message: string, task?: string): void {
    this.o.onWarning?.(message, task)
  }

  /** Open the circuit breaker: the remote is off for the rest of the run (one warning). */
  private trip(err: RemoteError): void {
    if (this.off) return
    this.off = `${this.o.remote.display} is unreachable (${err.message})`
    this.warn(`remote cache off for the rest of the run: ${this.off}`)
    this.abort.abort()
    this.queue.length = 0
  }

  /** Handle a failed remote call: trip the breaker, turn uploads off, or warn. */
  private failed(err: unknown, what: string, task?: string, upload = false): void {
    // After the breaker opened or the uploads were abandoned, what is still in flight fails by design.
    if (this.off || this.abort.signal.aborted) return
    const e = err instanceof RemoteError ? err : new RemoteError('protocol', (err as Error).message)
    if (e.kind === 'unreachable') return this.trip(e)
    if (upload && e.kind === 'auth') {
      if (!this.uploadsOff) {
        this.uploadsOff = `the server refused an upload (${e.message})`
        this.warn(
          `remote cache uploads off for the rest of the run: ${this.uploadsOff}; restores go on. Fix the credentials (TASKS_REMOTE_CACHE_TOKEN, or user:password in the URL) or run read-only (TASKS_REMOTE_CACHE_READ_ONLY=1)`,
        )
      }
      return
    }
    this.warn(`remote cache: ${what}: ${e.message}`, task)
  }

  /**
   * Start the remote look-up of `fingerprint` (entry and blobs, into memory; nothing is verified
   * or written yet) unless the local tier has it or the remote is off. Resolves when the look-up
   * has ended, whatever its outcome (a failure is kept for `get`, which warns); never throws.
   * A later {@link get} of the same fingerprint uses it instead of asking the server again.
   */
  async prefetch(fingerprint: string, signal?: AbortSignal): Promise<void> {
    if (this.off || this.fetches.has(fingerprint) || (await this.o.local.has([fingerprint])).has(fingerprint)) return
    const f = this.fetchRemote(fingerprint, signal)
    this.fetches.set(fingerprint, f)
    await f
  }

  /** Entry + blobs from the server, in the look-up pool. Never throws: a failure is returned. */
  private async fetchRemote(fingerprint: string, signal?: AbortSignal): Promise<Fetched> {
    const max = Math.max(1, this.o.fetchConcurrency ?? 16)
    while (this.fetching >= max) await new Promise<void>((res) => this.fetchWaiters.push(res))
    this.fetching++
    try {
      if (this.off) return { kind: 'off' }
      const s = this.signal(signal)
      let got
      try {
        got = await this.o.remote.getEntry(fingerprint, s)
      } catch (err) {
        return { kind: 'failed', err, what: `reading ${fingerprint.slice(0, 12)}` }
      }
      if (!got) return { kind: 'miss' }
      const { envelope } = got
      // What the blobs must be is checked in `get`; here only which ones to ask for (well-formed hashes).
      const entry = this.o.validate(envelope.entry)
      if (envelope.format !== ENVELOPE_FORMAT || 'error' in entry) return { kind: 'entry', got }
      // An entry whose signature does not verify is refused by `get`: its blobs are not worth a download.
      if (this.o.signatureKey && !verifyEntry(this.o.signatureKey, envelope.entry, envelope.signature))
        return { kind: 'entry', got }
      const want = entryDigests(entry)
        .map((d) => ({ ...d, size: d.size >= 0 ? d.size : Number(envelope.sizes[d.hash] ?? -1) }))
        .filter((d) => isSha256(d.hash) && !got.blobs.has(d.hash))
      if (!want.length) return { kind: 'entry', got }
      try {
        return { kind: 'entry', got, fetched: await this.o.remote.getBlobs(want, s) }
      } catch (err) {
        return { kind: 'failed', err, what: `reading the blobs of ${fingerprint.slice(0, 12)}` }
      }
    } finally {
      this.fetching--
      this.fetchWaiters.shift()?.()
    }
  }

  async get(fingerprint: string, options?: CacheGetOptions): Promise<CacheHit | undefined> {
    const local = await this.o.local.get(fingerprint, options)
    const ahead = this.fetches.get(fingerprint)
    this.fetches.delete(fingerprint)
    if (local || this.off) return local
    const warnOnce = options?.onWarning
    const result = await (ahead ?? this.fetchRemote(fingerprint, options?.signal))
    if (result.kind === 'failed') {
      this.failed(result.err, result.what)
      return undefined
    }
    if (result.kind !== 'entry') return undefined
    const got = result.got
    const refused = (why: string) => {
      const m = `remote cache miss: the entry for ${fingerprint.slice(0, 12)} ${why}`
      if (warnOnce) warnOnce(m)
      else this.warn(m)
      return undefined
    }
    const { envelope } = got
    if (envelope.format !== ENVELOPE_FORMAT) return refused(`has an unknown format`)
    if (this.o.signatureKey && !verifyEntry(this.o.signatureKey, envelope.entry, envelope.signature)) {
      return refused(
        envelope.signature
          ? 'has a signature that does not verify with TASKS_REMOTE_CACHE_SIGNATURE_KEY'
          : 'is not signed (TASKS_REMOTE_CACHE_SIGNATURE_KEY is set)',
      )
    }
    const entry = this.o.validate(envelope.entry)
    if ('error' in entry) return refused(`is malformed: ${entry.error}`)
    if (entry.fingerprint !== fingerprint)
      return refused(`names another fingerprint (${String(entry.fingerprint).slice(0, 12)})`)
    const digests = entryDigests(entry).map((d) => ({
      ...d,
      size: d.size >= 0 ? d.size : Number(envelope.sizes[d.hash] ?? -1),
    }))
    if (!digests.every((d) => isSha256(d.hash))) return refused('names a blob that is not a SHA-256')
    const blobs = new Map<string, Buffer>()
    for (const d of digests) {
      const b = got.blobs.get(d.hash) ?? result.fetched?.get(d.hash)
      if (b) blobs.set(d.hash, b)
    }
    for (const d of digests) {
      const b = blobs.get(d.hash)
      if (!b && d.optional) continue
      // A missing blob: evicted on the server, a miss like a 404.
      if (!b) return refused(`references blob ${d.hash.slice(0, 12)}, which the server no longer has (evicted)`)
      if (createHash('sha256').update(b).digest('hex') !== d.hash)
        return refused(
          `has blob ${d.hash.slice(0, 12)} whose content does not match its SHA-256 (changed on the server)`,
        )
    }
    try {
      await this.o.local.importEntry(entry, blobs)
    } catch (err) {
      return refused(`was refused by the local cache: ${(err as Error).message}`)
    }
    return { entry, source: 'remote' }
  }

  async has(fingerprints: readonly string[]): Promise<Set<string>> {
    const found = await this.o.local.has(fingerprints)
    const rest = fingerprints.filter((f) => !found.has(f))
    if (!rest.length || this.off) return found
    try {
      for (const f of await this.o.remote.hasEntries(rest, this.abort.signal)) found.add(f)
    } catch (err) {
      this.failed(err, 'checking entries')
    }
    return found
  }

  async put(root: string, input: StoreInput, outputFiles: readonly string[], log: Buffer): Promise<ActionResult> {
    const entry = await this.o.local.put(root, input, outputFiles, log)
    if (!this.off && !this.uploadsOff) this.enqueue(() => this.upload(entry))
    return entry
  }

  async restore(root: string, hit: CacheHit): Promise<RestoreResult> {
    const r = await this.o.local.restore(root, hit)
    if (r.ok && hit.source === 'remote') this.hits++
    return r
  }

  /** Read the entry's blobs from the local tier and send them, then the entry. */
  private async upload(entry: ActionResult): Promise<void> {
    if (this.off || this.uploadsOff) return
    const blobs = new Map<string, Buffer>()
    const sizes: Record<string, number> = {}
    let total = 0
    const limit = this.o.maxUploadBytes ?? 100 * 1024 * 1024
    for (const d of entryDigests(entry)) {
      if (d.optional && !(await this.o.local.readBlob(d.hash))) continue
      if (d.size > limit)
        return this.warn(
          `remote cache: not uploading ${entry.fingerprint.slice(0, 12)}: it holds ${d.size} bytes, more than maxUploadBytes (${limit})`,
          entry.task,
        )
      const data = await this.o.local.readBlob(d.hash)
      if (!data)
        return this.warn(
          `remote cache: not uploading ${entry.fingerprint.slice(0, 12)}: local blob ${d.hash.slice(0, 12)} is missing or corrupt`,
          entry.task,
        )
      blobs.set(d.hash, data)
      sizes[d.hash] = data.length
      total += data.length
    }
    if (total > limit)
      return this.warn(
        `remote cache: not uploading the result of ${entry.task ?? entry.fingerprint.slice(0, 12)}: ${total} bytes, more than maxUploadBytes (${limit})`,
        entry.task,
      )
    const envelope: Envelope = { format: ENVELOPE_FORMAT, entry, sizes }
    if (this.o.signatureKey) envelope.signature = signEntry(this.o.signatureKey, entry)
    try {
      await this.o.remote.put(
        entry.fingerprint,
        envelope,
        blobs,
        { durationMs: entry.durationMs ?? 0 },
        this.abort.signal,
      )
      this.uploaded++
    } catch (err) {
      this.failed(err, `uploading the result of ${entry.task ?? entry.fingerprint.slice(0, 12)}`, entry.task, true)
    }
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue.push(job)
    this.pump()
  }

  private pump(): void {
    const max = this.o.uploadConcurrency ?? 4
    while (this.active < max && this.queue.length) {
      const job = this.queue.shift()!
      this.active++
      job()
        .catch((err) => this.failed(err, 'upload'))
        .finally(() => {
          this.active--
          this.pump()
        })
    }
    if (this.active === 0 && this.queue.length === 0) for (const f of this.idle.splice(0)) f()
  }

  /**
   * Wait for the uploads to finish, at most `timeoutMs`; then abandon the rest with a warning.
   * Never throws.
   */
  async flush(timeoutMs: number): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return
    let timer: NodeJS.Timeout | undefined
    const done = await Promise.race([
      new Promise<boolean>((res) => this.idle.push(() => res(true))),
      new Promise<boolean>((res) => {
        timer = setTimeout(() => res(false), timeoutMs)
      }),
    ])
    clearTimeout(timer)
    if (!done) {
      const left = this.active + this.queue.length
      this.queue.length = 0
      this.abort.abort()
      this.warn(`remote cache: abandoned ${left} upload${left === 1 ? '' : 's'} still running after ${timeoutMs} ms`)
    }
  }

  /** Stop everything and release connections. */
  async close(): Promise<void> {
    this.queue.length = 0
    this.fetches.clear()
    await this.o.remote.close()
  }

  private signal(outer?: AbortSignal): AbortSignal {
    return outer ? AbortSignal.any([outer, this.abort.signal]) : this.abort.signal
  }
}
