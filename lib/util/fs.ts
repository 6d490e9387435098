/** Small file-system helpers shared by the cache and the state store. */
import { randomBytes } from 'node:crypto'
import { mkdirSync, renameSync, writeFileSync, unlinkSync, openSync, fsyncSync, closeSync } from 'node:fs'
import { dirname, join, basename } from 'node:path'

/**
 * Write `data` to `file` atomically: a temp file in the same folder, then `rename`. A crash or
 * `kill -9` leaves either the old file or the new one, never a half-written one.
 * @param mode POSIX file mode for the new file (e.g. 0o755, before umask). @default 0o644
 * @param durable fsync the data before the rename (for cache commit points). @default false
 * @throws the underlying fs error (the temp file is removed first).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644, durable = false): void {
  const dir = dirname(file)
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    const fd = openSync(tmp, 'w', mode)
    try {
      writeFileSync(fd, data)
      if (durable) fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
  } catch (err) {
    try { unlinkSync(tmp) } catch {}
    throw err
  }
}

/** `p` with backslashes turned into forward slashes (keys must not differ across OSes). */
export function toPosix(p: string): string {
  return p.replace(/\\/g, '/')
}
