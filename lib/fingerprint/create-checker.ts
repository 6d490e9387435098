/** The factory of {@link FileChecker}s: one per fingerprint mode, an error for any other. */
import type { FileChecker } from './checker.js'
import { ContentChecker } from './content.js'
import type { HashMemo } from './memo.js'
import { MtimeChecker } from './mtime.js'

/**
 * The checker for `mode`, as go-task's factory picks one per `method`.
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
