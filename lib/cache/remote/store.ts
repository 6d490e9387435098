/**
 * The remote store interface: what each protocol module (Bazel HTTP, Bazel gRPC, Turborepo API)
 * implements, and the errors they raise. A store moves bytes and knows its wire format; it trusts
 * nothing and decides nothing: verification, signatures, the circuit breaker and the upload queue
 * live in {@link TieredCache} (`tiered.ts`).
 */

/**
 * What travels to the server for one fingerprint: the action result (the local entry's JSON, as
 * the local tier wrote it) and the signature over its canonical fields (`sign.ts`), if a key is set.
 * The local entry never holds the signature.
 */
export interface Envelope {
  /** `typed-tasks/entry@1`: a reader refuses other formats (a miss). */
  format: string
  entry: unknown
  /** Size in bytes of every blob the entry references, by SHA-256 (gRPC digests need them; a wrong size only makes the fetch fail). */
  sizes: Record<string, number>
  /** `hmac-sha256:v1:<base64>`, see `sign.ts`. */
  signature?: string
}

/** The format tag of {@link Envelope}s written by this version. */
export const ENVELOPE_FORMAT = 'typed-tasks/entry@1'

/** A blob named by its SHA-256 (hex) and size in bytes. */
export interface Digest {
  hash: string
  size: number
}

/**
 * Why a remote call failed, as data:
 * - `unreachable`: refused, reset, DNS, TLS, or a timeout (the circuit breaker opens);
 * - `auth`: 401/403 or gRPC UNAUTHENTICATED/PERMISSION_DENIED;
 * - `too-large`: 413 or a gRPC size limit;
 * - `protocol`: anything else the server said (5xx, a malformed answer).
 */
export type RemoteErrorKind = 'unreachable' | 'auth' | 'too-large' | 'protocol'

/** An error from a remote store; `kind` drives what the tier does. */
export class RemoteError extends Error {
  constructor(
    readonly kind: RemoteErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'RemoteError'
  }
}

/** One probed capability for `tasks cache status`. */
export interface ProbeCheck {
  name: 'reachable' | 'read' | 'write' | 'signing' | 'protocol'
  ok: boolean
  detail: string
  /** What to do when `ok` is false. */
  fix?: string
}

/** What a probe found. */
export interface ProbeReport {
  protocol: string
  url: string
  checks: ProbeCheck[]
}

/** A remote store for one protocol. Every method may throw {@link RemoteError}. */
export interface RemoteStore {
  /** `bazel-http`, `bazel-grpc` or `turbo`. */
  readonly protocol: string
  /** The server's URL without credentials, for messages. */
  readonly display: string
  /**
   * The envelope stored for `key`, or undefined when the server has none (404, NOT_FOUND, or an
   * entry whose blobs were evicted). `blobs` holds blobs that came with it (the Turborepo archive
   * carries them); the tier fetches the rest with {@link getBlobs}. Nothing is verified here
   * beyond the wire format.
   */
  getEntry(key: string, signal?: AbortSignal): Promise<{ envelope: Envelope; blobs: Map<string, Buffer> } | undefined>
  /** The blobs among `digests` the server has (missing ones are absent from the map; unverified). */
  getBlobs(digests: readonly Digest[], signal?: AbortSignal): Promise<Map<string, Buffer>>
  /** Which of `keys` have an entry (HEAD / one lookup per key). */
  hasEntries(keys: readonly string[], signal?: AbortSignal): Promise<Set<string>>
  /**
   * Upload `blobs` (SHA-256 -> bytes, each verified by the caller), then the envelope last, so a
   * reader never sees an entry before its blobs.
   */
  put(
    key: string,
    envelope: Envelope,
    blobs: ReadonlyMap<string, Buffer>,
    info: { durationMs: number },
    signal?: AbortSignal,
  ): Promise<void>
  /** Probe reachability, read, write (a small real upload under a probe key), protocol version. */
  probe(options: { readOnly: boolean }): Promise<ProbeReport>
  /** Release connections. */
  close(): Promise<void>
}

/** Connection options every store takes. Times in ms, sizes in bytes. */
export interface StoreOptions {
  /** Bearer token (`TASKS_REMOTE_CACHE_TOKEN`). */
  token?: string
  /** Turborepo team (slug, or a `team_...` id). */
  team?: string
  /** Signing key for Turborepo's `x-artifact-tag` (the raw bytes of `TASKS_REMOTE_CACHE_SIGNATURE_KEY`). */
  signatureKey?: Buffer
  /** Time to connect, ms. @default 1500 */
  connectTimeoutMs?: number
  /** Time for a server to start answering (and between body chunks), ms. @default 3000 */
  requestTimeoutMs?: number
}

/**
 * The SHA-256 hashes (and sizes when known, else -1) an entry references: outputs, the log, and
 * the fingerprint record (`optional`: for inspection only, so a server that evicted it still serves a hit).
 */
export function entryDigests(entry: {
  outputs: ReadonlyArray<{ type: string; hash?: string; size?: number }>
  log: string | null
  recordBlob?: string
}): (Digest & { optional?: boolean })[] {
  const seen = new Map<string, Digest & { optional?: boolean }>()
  for (const o of entry.outputs) if (o.type === 'file' && o.hash) seen.set(o.hash, { hash: o.hash, size: o.size ?? -1 })
  if (entry.log && !seen.has(entry.log)) seen.set(entry.log, { hash: entry.log, size: -1 })
  if (entry.recordBlob && !seen.has(entry.recordBlob))
    seen.set(entry.recordBlob, { hash: entry.recordBlob, size: -1, optional: true })
  return [...seen.values()]
}

/** True for a lower-case hex SHA-256. */
export function isSha256(s: unknown): s is string {
  return typeof s === 'string' && /^[0-9a-f]{64}$/.test(s)
}
