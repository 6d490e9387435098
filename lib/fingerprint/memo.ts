/**
 * Memo of per-file content digests (git blob ids), keyed by (path, inode, size, mtime, ctime) as git's index
 * does, so an unchanged file is never read twice. Stored as one JSON file in `.tasks/state/`.
 *
 * "Racily clean" files (git's term): an entry is trusted only when the file's mtime was at least
 * {@link RACY_MS} older than the moment it was hashed; a file modified within that window is hashed
 * again next time, so a change made in the same timestamp tick as the hash is never missed.
 */
import { readFileSync } from 'node:fs'
import { writeFileAtomic } from '../util/fs.js'

/** Files whose mtime is within this many ms of the time they were hashed are re-hashed next run. */
export const RACY_MS = 2000

/** [inode, size, mtimeMs, ctimeMs, hashedAtMs, git blob id] */
type MemoEntry = [number, number, number, number, number, string]

/**
 * The stat fields the memo is keyed by. Times are fs.Stats' `mtimeMs`/`ctimeMs` (floats with
 * sub-microsecond resolution), cheaper to get and compare than bigint ns stats.
 */
export interface FileStamp {
  ino: number
  size: number
  mtimeMs: number
  ctimeMs: number
}

/** The per-file hash memo of one project. Not thread-safe across processes: the last writer wins (it is only a memo). */
export class HashMemo {
  private loaded: Record<string, MemoEntry> | undefined
  private dirty = false
  /** @param file the memo's JSON file; it is read on first use (a run served by git never reads it). */
  constructor(private readonly file: string) {}

  private get entries(): Record<string, MemoEntry> {
    if (!this.loaded) {
      try {
        const data = JSON.parse(readFileSync(this.file, 'utf8'))
        this.loaded = data && data.v === 3 ? data.entries : {}
      } catch {}
      this.loaded ??= {}
    }
    return this.loaded!
  }

  /** The remembered digest of `path` when its stamp is unchanged and not racy, else undefined. */
  get(path: string, s: FileStamp): string | undefined {
    const e = this.entries[path]
    if (!e) return undefined
    if (e[0] !== s.ino || e[1] !== s.size || e[2] !== s.mtimeMs || e[3] !== s.ctimeMs) return undefined
    if (s.mtimeMs + RACY_MS > e[4]) return undefined
    return e[5]
  }

  /** Remember `hash` for `path` at stamp `s`, hashed at `hashedAtMs` (ms since epoch). */
  set(path: string, s: FileStamp, hash: string, hashedAtMs: number): void {
    this.entries[path] = [s.ino, s.size, s.mtimeMs, s.ctimeMs, hashedAtMs, hash]
    this.dirty = true
  }

  /**
   * Forget entries `vouched(path)` says are not needed (files git's index digests for free), so
   * the memo holds only what git cannot answer and stays small. A no-op when the memo was not read.
   */
  prune(vouched: (path: string) => boolean): void {
    if (!this.loaded) return
    for (const path of Object.keys(this.loaded)) {
      if (vouched(path)) {
        delete this.loaded[path]
        this.dirty = true
      }
    }
  }

  /** Write the memo atomically if it changed. Never called by `--dry-run`. */
  save(): void {
    if (!this.dirty) return
    writeFileAtomic(this.file, JSON.stringify({ v: 3, entries: this.entries }))
    this.dirty = false
  }
}
