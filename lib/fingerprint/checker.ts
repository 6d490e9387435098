/**
 * How input files enter a fingerprint: one interface, one implementation per mode
 * (`content.ts`, `mtime.ts`), and a factory that rejects unknown modes — the shape of go-task's
 * `internal/fingerprint` (`checksum` and `timestamp` checkers).
 */
import { ContentChecker } from './content.js'
import { MtimeChecker } from './mtime.js'
import type { HashMemo } from './memo.js'

/** Digests input files. Paths are POSIX, relative to `root`; the result maps each path to a digest string. */
export interface FileChecker {
  readonly mode: 'content' | 'mtime'
  /** @throws the fs error when a listed file cannot be read (a file deleted between glob and read). */
  digest(root: string, files: readonly string[]): Record<string, string>
}

/**
 * @param mode `'content'` (SHA-256 per file, memoised) or `'mtime'` (size + mtime ns, no reads)
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
