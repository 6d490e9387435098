/** Small file-system helpers shared by the cache and the state store. */
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
  // Unique per live process (pid) and per write (counter); a leftover of a dead process with the same pid is overwritten.
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${++tmpCounter}.tmp`)
  try {
    let fd: number
    try {
      fd = openSync(tmp, 'w', mode)
    } catch (err) {
      // The folder is created only when missing: most writes go to folders that exist.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      mkdirSync(dir, { recursive: true })
      fd = openSync(tmp, 'w', mode)
    }
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

let tmpCounter = 0

/** `p` with backslashes turned into forward slashes (keys must not differ across OSes). */
export function toPosix(p: string): string {
  return p.replace(/\\/g, '/')
}
