/**
 * The cache interface: action results (`ac/`) pointing at content-addressed blobs (`cas/`), laid out
 * like Bazel's remote cache so a remote store can implement the same interface one to one.
 */
import type { FingerprintRecord } from '../fingerprint/fingerprint.js'

/** One stored output: a regular file (content in the CAS) or a symlink (its target text). */
export type OutputEntry =
  /** `hash`: SHA-256, the CAS key; `blob`: the git blob id, the file's content-mode input digest. */
  | { path: string; type: 'file'; mode: number; size: number; hash: string; blob: string }
  | { path: string; type: 'symlink'; target: string }

/** An action result: what `ac/<fingerprint>.json` holds. Sizes in bytes, durations in ms. */
export interface ActionResult {
  fingerprint: string
  task: string
  exitCode: number
  durationMs: number
  /** Root-relative POSIX paths. */
  outputs: OutputEntry[]
  /** CAS hash of the captured log, or null when the task printed nothing. */
  log: string | null
  /** The JSON value a function task returned. */
  value?: unknown
  createdAt: string
  /** CAS hash of the fingerprint record's JSON (what made this entry; for inspection, never read on a hit). */
  recordBlob: string
}

/** What a restore did. `ok: false` means a miss (with `reason`); nothing was written then. */
export type RestoreResult = { ok: true; restored: number; log: string } | { ok: false; reason: string }

/** A cache store. The local one lives in `.tasks/`; remote stores implement the same. */
export interface Cache {
  /** The stored result for a fingerprint, or undefined (a broken entry is a miss). */
  get(fingerprint: string): ActionResult | undefined
  /**
   * Store outputs (root-relative files), the log and the result. The `ac` entry is written last,
   * atomically: it is the commit point, so an interrupted store leaves no entry.
   */
  put(root: string, result: Omit<ActionResult, 'outputs' | 'log' | 'createdAt' | 'recordBlob'> & { record: FingerprintRecord }, outputFiles: readonly string[], log: string): ActionResult
  /** Check every blob's hash, then write the outputs under `root` (atomic per file). */
  restore(root: string, result: ActionResult): RestoreResult
}
