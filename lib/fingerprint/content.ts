/** Content mode: each input file's SHA-256, memoised by inode/size/mtime/ctime (see memo.ts). */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '../util/hash.js'
import type { FileChecker } from './checker.js'
import type { HashMemo } from './memo.js'

/** SHA-256 of file contents; a `touch` without a change leaves the digest (and the fingerprint) unchanged. */
export class ContentChecker implements FileChecker {
  readonly mode = 'content' as const
  constructor(private readonly memo: HashMemo) {}

  digest(root: string, files: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {}
    const now = Date.now()
    for (const f of files) {
      const abs = join(root, f)
      const st = statSync(abs)
      let h = this.memo.get(f, st)
      if (h === undefined) {
        h = sha256(readFileSync(abs))
        this.memo.set(f, st, h, now)
      }
      out[f] = h
    }
    return out
  }
}
