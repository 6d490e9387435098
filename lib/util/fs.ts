/** Small file-system helpers shared by the cache and the state store. */
import { mkdirSync, readdirSync, renameSync, writeFileSync, unlinkSync, openSync, fsyncSync, closeSync } from 'node:fs'
import { dirname, join, basename, sep } from 'node:path'
import { OWN_START_TIME } from './process.js'

/**
 * Write `data` to `file` atomically: a temp file, then `rename`. A crash or `kill -9` leaves
 * either the old file or the new one, never a half-written one. The temp file lies in the temp
 * folder registered for `file`'s project ({@link useTempDir}: `.tasks/tmp`, where no glob looks),
 * else (or when that folder is on another file system) beside `file`.
 * @param mode POSIX file mode for the new file (e.g. 0o755, before umask). @default 0o644
 * @param durable fsync the data before the rename (for cache commit points). @default false
 * @throws the underlying fs error (the temp file is removed first).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644, durable = false): void {
  const dir = dirname(file)
  const tmpDir = tempDirFor(file)
  // Unique per live process (pid) and per write (counter); a leftover of a dead process with the same pid is overwritten.
  let tmp = tmpDir ? join(tmpDir, tempName()) : join(dir, `.${basename(file)}.${process.pid}.${++tmpCounter}.tmp`)
  try {
    let fd: number
    try {
      fd = openSync(tmp, 'w', mode)
    } catch (err) {
      // The folder is created only when missing: most writes go to folders that exist.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      ensureDir(dirname(tmp), true)
      fd = openSync(tmp, 'w', mode)
    }
    try {
      writeFileSync(fd, data)
      if (durable) fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    try {
      renameSync(tmp, file)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') {
        // The target folder is missing (new, or deleted underneath): made, then one more try.
        ensureDir(dir, true)
        renameSync(tmp, file)
      } else if (code === 'EXDEV') {
        // `.tasks` lies on another file system than `file`: fall back to a temp file beside it.
        unlinkSync(tmp)
        tmp = join(dir, `.${basename(file)}.${process.pid}.${++tmpCounter}.tmp`)
        writeFileSync(tmp, data, { mode })
        renameSync(tmp, file)
      } else throw err
    }
  } catch (err) {
    try {
      unlinkSync(tmp)
    } catch {}
    throw err
  }
}

let tmpCounter = 0

/**
 * Folders this process made or found to exist (by {@link ensureDir}): a second write to one makes no
 * `mkdir` call. A folder deleted underneath is noticed by the write that fails with ENOENT, which
 * calls {@link ensureDir} with `force` and tries once more.
 */
const knownDirs = new Set<string>()

/**
 * Make sure folder `dir` exists (`mkdir -p`), once per process and folder unless `force` (the
 * caller saw ENOENT: it was deleted since). Most callers first try the write and call this on
 * ENOENT, so a folder that exists costs nothing.
 * @throws the fs error of `mkdir` (EEXIST when a file is in the way, EACCES, EROFS).
 */
export function ensureDir(dir: string, force = false): void {
  if (!force && knownDirs.has(dir)) return
  mkdirSync(dir, { recursive: true })
  knownDirs.add(dir)
}

/**
 * Project roots whose temp files live in a folder of their own (`<root>/.tasks/tmp`), so a
 * restore's half-written file never appears where globs look. Registered by the run
 * ({@link useTempDir}); a root not registered keeps temp files beside the target.
 */
const tempDirs = new Map<string, string>()

/**
 * Send the temp files of every {@link writeFileAtomic} and {@link tempPathFor} below `root` to
 * `dir` (same file system, then rename). Temp names start with `<pid>-<process start time>-`, so
 * {@link removeStaleTempFiles} can tell a dead process's leftovers from a live one's.
 */
export function useTempDir(root: string, dir: string): void {
  tempDirs.set(root.endsWith(sep) ? root : root + sep, dir)
}

/** The registered temp folder for `file`, or undefined. */
function tempDirFor(file: string): string | undefined {
  for (const [root, dir] of tempDirs) if (file.startsWith(root)) return dir
  return undefined
}

/** A fresh temp file name of this process: `<pid>-<start time>-<counter>.tmp`. */
function tempName(): string {
  return `${process.pid}-${OWN_START_TIME}-${++tmpCounter}.tmp`
}

/**
 * A fresh temp path for a file to be renamed onto `file` (e.g. a symlink made then renamed):
 * in the registered temp folder (created if missing) when `file` lies under a root registered
 * with {@link useTempDir} (when it can be created), else beside `file` as `<file>.<pid>.<n>.tmp`.
 */
export function tempPathFor(file: string): string {
  const dir = tempDirFor(file)
  if (dir) {
    try {
      ensureDir(dir)
      return join(dir, tempName())
    } catch {
      // The temp folder cannot be made (a file in its place, a full or read-only `.tasks`): beside `file`.
    }
  }
  return `${file}.${process.pid}.${++tmpCounter}.tmp`
}

/**
 * Remove the temp files in `dir` left by processes that no longer run (`kill -9` between writing
 * and renaming), judged by the `<pid>-<start time>-` prefix of their names; files of live
 * processes and names that do not parse are kept.
 * @param isAlive `(pid, startTime) => boolean`, e.g. `isProcessAlive` of `util/process.ts`
 * @returns the number of files removed
 */
export function removeStaleTempFiles(dir: string, isAlive: (pid: number, start: string) => boolean): number {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return 0
  }
  let removed = 0
  for (const name of names) {
    const m = /^(\d+)-(\w+)-\d+\.tmp$/.exec(name)
    if (!m || isAlive(Number(m[1]), m[2]!)) continue
    try {
      unlinkSync(join(dir, name))
      removed++
    } catch {}
  }
  return removed
}

/** `p` with backslashes turned into forward slashes (keys must not differ across OSes). */
export function toPosix(p: string): string {
  return p.replace(/\\/g, '/')
}
