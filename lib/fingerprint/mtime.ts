/** Mtime mode: size + modification time in ns, no file is read (go-task's `method: timestamp`). */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { FileChecker } from './checker.js'

/** Digest `size:mtimeNs`; a `touch` changes it, so the task reruns. */
export class MtimeChecker implements FileChecker {
  readonly mode = 'mtime' as const
  digest(root: string, files: readonly string[]): string[] {
    return files.map((f) => {
      const st = statSync(join(root, f), { bigint: true })
      return `${st.size}:${st.mtimeNs}`
    })
  }
}
