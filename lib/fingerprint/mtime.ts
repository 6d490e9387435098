/** Mtime mode: size + modification time, no file is read (go-task's `method: timestamp`). */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { FileChecker } from './checker.js'

/**
 * Digest `size:mtimeMs`, the modification time in ms as Node reports it (a float with sub-µs
 * resolution; plain stats are ~40% cheaper than bigint ones on a 10,000-file no-op). A `touch`
 * changes it, so the task reruns.
 */
export class MtimeChecker implements FileChecker {
  readonly mode = 'mtime' as const
  digest(root: string, files: readonly string[]): string[] {
    return files.map((f) => {
      const st = statSync(join(root, f))
      return `${st.size}:${st.mtimeMs}`
    })
  }
}
