/**
 * The cache interface: action results (`ac/`) pointing at content-addressed blobs (`cas/`), laid out
 * like Bazel's remote cache so a remote store can implement the same interface one to one. Async,
 * so a store may live across a network; injectable through `run({ cache })`. Contract:
 * `docs/design/engine-v2.md`.
 */
import type { FingerprintRecord } from '../fingerprint/record.js'

/** The `schema` of entries this version writes and reads; an entry of another schema is a miss. */
export const ENTRY_SCHEMA = 3

/** One stored output: a regular file (content in the CAS) or a symlink (its target text). */
export type OutputEntry =
  /** `hash`: SHA-256, the CAS key; `blob`: the git blob id (SHA-1), the file's content-mode input digest; `mode`: permission bits (0o000-0o777); `size` in bytes. */
  | { path: string; type: 'file'; mode: number; size: number; hash: string; blob: string }
  | { path: string; type: 'symlink'; target: string }

/** An action result: what `ac/<fingerprint>.json` holds. Sizes in bytes, durations in ms. Validated on read by `entry.ts`. */
export interface ActionResult {
  /** Entry format version, {@link ENTRY_SCHEMA}. */
  schema: typeof ENTRY_SCHEMA
  fingerprint: string
  task: string
  exitCode: number
  durationMs: number
  /** Root-relative POSIX paths, sorted, each at most once. */
  outputs: OutputEntry[]
  /** CAS hash (SHA-256) of the captured log bytes, or null when the task printed nothing. */
  log: string | null
  /** The JSON value a function task returned. */
  value?: unknown
  /** ISO 8601 time the entry was made. */
  createdAt: string
  /** CAS hash of the fingerprint record's JSON (what made this entry; for inspection, never read on a hit). */
  recordBlob: string
}

/** What {@link Cache.put} stores besides the outputs and the log. */
export type StoreInput = Omit<ActionResult, 'schema' | 'outputs' | 'log' | 'createdAt' | 'recordBlob'> & {
  record: FingerprintRecord
}

/** A stored entry found by {@link Cache.get}, and which tier it came from. */
export interface CacheHit {
  entry: ActionResult
  source: 'local' | 'remote'
}

/** What a restore did. `ok: false` is a miss (with `reason`, naming the output and the operation); nothing of the entry is on disk then. `log`: the stored log bytes (empty when none). */
export type RestoreResult = { ok: true; restored: number; log: Buffer } | { ok: false; reason: string }

/** Options of {@link Cache.get}. */
export interface CacheGetOptions {
  signal?: AbortSignal
  /** Receives the warning when a stored entry is broken or refused (it is a miss then). */
  onWarning?: (message: string) => void
}

/**
 * A cache store: the local one lives in `.tasks/` ({@link LocalCache}), an in-memory one is
 * `MemoryCache`, remote tiers implement the same. Every method is safe to call concurrently for
 * different fingerprints. Implementations must treat stored entries as untrusted input (validate
 * with `parseActionResult`, verify blobs by hash before the first write).
 */
export interface Cache {
  /** The entry for a fingerprint, validated (shape + schema); a broken entry is a miss (undefined) with a warning through `options.onWarning`. Never throws for a bad entry. */
  get(fingerprint: string, options?: CacheGetOptions): Promise<CacheHit | undefined>
  /** Which of `fingerprints` have an entry (one round trip for remote stores). May answer optimistically: `get` still validates. */
  has(fingerprints: readonly string[]): Promise<Set<string>>
  /**
   * Store the outputs (root-relative POSIX files under `root`), the log bytes and the result. The
   * entry is written last, atomically: it is the commit point, so an interrupted store leaves no entry.
   * @throws the fs/network error when storing fails (the caller warns; the task still succeeded).
   */
  put(root: string, input: StoreInput, outputFiles: readonly string[], log: Buffer): Promise<ActionResult>
  /** Verify everything, then write the outputs under `root`. A failure is `{ ok: false }` and leaves nothing of the entry on disk. Never throws. */
  restore(root: string, hit: CacheHit): Promise<RestoreResult>
  /**
   * Start looking `fingerprint` up ahead of {@link get} (a remote tier: the download, in a pool of
   * its own, outside the run's `--concurrency`); resolves when the look-up has ended, never throws,
   * writes nothing. The scheduler calls it before a task takes a slot, so network waits hold none.
   */
  prefetch?(fingerprint: string, signal?: AbortSignal): Promise<void>
  /** Wait for background work (uploads) to finish, at most `timeoutMs` ms. */
  flush?(timeoutMs: number): Promise<void>
  /** A remote tier's figures for the run's summary (`RunSummary.remote`): hits served, results uploaded, why it is off. */
  remoteStats?(): { hits: number; uploaded: number; off?: string; uploadsOff?: string }
}
