/** Mtime mode: size + modification time in ns, no file is read (go-task's `method: timestamp`). */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { FileChecker } from './checker.js'

/** Digest `size:mtimeNs`; a `touch` changes it, so the task reruns. */
export class MtimeChecker implements FileChecker {
  readonly mode = 'mtime' as const
  digest(root: string, files: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {}
    for (const f of files) {
      const st = statSync(join(root, f), { bigint: true })
      out[f] = `${st.size}:${st.mtimeNs}`
    }
    return out
  }
}
