/** Content mode: each input file's git blob id, from git's index when clean, else memoised by stat (see memo.ts). */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gitBlobId } from '../util/hash.js'
import type { DigestHints, FileChecker } from './checker.js'
import type { HashMemo } from './memo.js'

/**
 * Digest = the file's git blob id (what `git hash-object` prints); a `touch` without a change
 * leaves it (and the fingerprint) unchanged. Files in `hints.known` (clean in git's index) are not
 * even stat-ed; files in `hints.asOf` are stat-ed but not read when untouched since the snapshot.
 */
export class ContentChecker implements FileChecker {
  readonly mode = 'content' as const
  constructor(private readonly memo: HashMemo) {}

  digest(root: string, files: readonly string[], hints: DigestHints = {}): string[] {
    const out = new Array<string>(files.length)
    const now = Date.now()
    const { known, asOf } = hints
    for (let i = 0; i < files.length; i++) {
      const f = files[i]!
      let h = known?.get(f)
      if (h === undefined) {
        const abs = join(root, f)
        const st = statSync(abs)
        if (asOf && st.ctimeMs < asOf.beforeMs && st.mtimeMs < asOf.beforeMs) h = asOf.digests.get(f)
        h ??= this.memo.get(f, st)
        if (h === undefined) {
          h = gitBlobId(readFileSync(abs))
          this.memo.set(f, st, h, now)
        }
      }
      out[i] = h
    }
    return out
  }
}
