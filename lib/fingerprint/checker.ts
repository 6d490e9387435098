/**
 * How input files enter a fingerprint: one interface, one implementation per mode
 * (`content.ts`, `mtime.ts`), and a factory that rejects unknown modes — the shape of go-task's
 * `internal/fingerprint` (`checksum` and `timestamp` checkers).
 */
import { ContentChecker } from './content.js'
import { MtimeChecker } from './mtime.js'
import type { HashMemo } from './memo.js'

/** Digests input files. Paths are POSIX, relative to `root`; the result holds each file's digest, in the order of `files`. */
export interface FileChecker {
  readonly mode: 'content' | 'mtime'
  /**
   * @param hints digests known from git (content mode only; other modes ignore them)
   * @throws the fs error when a listed file cannot be read (a file deleted between glob and read).
   */
  digest(root: string, files: readonly string[], hints?: DigestHints): string[]
}

/** Digests a content checker may use instead of reading files (git blob ids from a snapshot). */
export interface DigestHints {
  /** Path -> digest, used without looking at the file (the snapshot is current for this task). */
  known?: ReadonlyMap<string, string>
  /**
   * Path -> digest as of a moment: used only for a file whose ctime and mtime are both older than
   * `beforeMs` (ms since the epoch), i.e. not written since; others are hashed (a task ran since the snapshot).
   */
  asOf?: { digests: ReadonlyMap<string, string>; beforeMs: number }
}

/**
 * @param mode `'content'` (git blob id per file, memoised) or `'mtime'` (size + mtime, no reads)
 * @throws {Error} for any other mode (validation normally catches it first).
 */
export function createChecker(mode: string, memo: HashMemo): FileChecker {
  switch (mode) {
    case 'content':
      return new ContentChecker(memo)
    case 'mtime':
      return new MtimeChecker()
    default:
      throw new Error(`unknown fingerprint mode ${JSON.stringify(mode)}: expected 'content', 'mtime' or false`)
  }
}
