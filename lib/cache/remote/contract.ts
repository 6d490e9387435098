/**
 * The engine v2 cache contract (docs/ENGINE-V2.md, "The cache"), as the remote tier consumes it.
 * The remote tier codes against these shapes only, so it works with any local tier that has them
 * (the engine's `LocalCache`, or an in-memory one in tests).
 */

/** The fields of an action result the remote tier reads; the local tier's validator owns the full shape. */
export interface EntryLike {
  fingerprint: string
  task?: string
  durationMs?: number
  outputs: ReadonlyArray<{ path: string; type: string; hash?: string; size?: number; mode?: number; target?: string }>
  /** CAS hash of the captured log, or null. */
  log: string | null
  /** CAS hash of the fingerprint record's JSON. */
  recordBlob?: string
}

/** A hit: the entry and the tier it came from. */
export interface CacheHit<E = EntryLike> { entry: E; source: 'local' | 'remote' }

/** What a restore did: `ok: false` is a miss that wrote nothing. */
export type RestoreResult = { ok: true; restored: number; log: Buffer } | { ok: false; reason: string }

/** The async, injectable cache `run({ cache })` takes (docs/ENGINE-V2.md). */
export interface Cache<E = EntryLike, I = unknown> {
  get(fingerprint: string, options?: { signal?: AbortSignal; onWarning?: (message: string) => void }): Promise<CacheHit<E> | undefined>
  has(fingerprints: readonly string[]): Promise<Set<string>>
  put(root: string, input: I, outputFiles: readonly string[], log: Buffer): Promise<E>
  restore(root: string, hit: CacheHit<E>): Promise<RestoreResult>
  flush?(timeoutMs: number): Promise<void>
}

/** What a tier above the local cache needs of it (the engine's `LocalCache` has these). */
export interface LocalTier<E = EntryLike, I = unknown> extends Cache<E, I> {
  /** The blob's bytes, verified by SHA-256, or undefined when missing or corrupt. */
  readBlob(hash: string): Promise<Buffer | undefined>
  /** Store a blob; resolves to its SHA-256. */
  writeBlob(data: Buffer): Promise<string>
  /** Validate and verify an entry with its blobs (SHA-256 -> bytes), then store it as a local entry. Throws when refused. */
  importEntry(entry: E, blobs: Map<string, Buffer>): Promise<void>
}
