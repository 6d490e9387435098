/**
 * Per-task locks between `tasks` processes on one project: a task (keyed by its output set) runs,
 * restores or is judged up to date in one process at a time, so two processes never write the same
 * outputs at once and the second one, once it gets the lock, finds the first one's result (up to
 * date, or a cache hit). Lock files live in `.tasks/locks/<key>.lock` and hold the owner's pid and
 * process start time (`{ pid, start, task, since }`); a lock whose owner no longer runs (`kill -9`,
 * a reused pid) is taken over. Same idea as git's `index.lock` plus the stale-owner check of
 * Cargo's and Gradle's lock files. The content is validated, never trusted: a lock that does not
 * parse counts as being written for {@link FRESH_MS}, then as stale.
 *
 * Taking over a stale lock renames it aside first (only one process can rename a given file), then
 * checks that what it moved is the stale lock it judged; a fresh lock moved by mistake is put back.
 * Limit: if a third process creates the lock in the microseconds between such a move and the put
 * back, two processes hold it; the cache stays consistent even then (`put` refuses outputs that
 * change while it reads them, see `cache/stable-read.ts`).
 */
import {
  closeSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
} from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '../util/hash.js'
import { OWN_START_TIME, isProcessAlive } from '../util/process.js'

/** A lock file whose content does not parse is taken for one being written for this long, ms. */
export const FRESH_MS = 2000

/** Who holds a lock, as read (and validated) from its file. */
export interface LockOwner {
  pid: number
  /** Process start time (see `processStartTime`), or `'unknown'`. */
  start: string
  task: string
  /** When the lock was taken, ms since the epoch. */
  since: number
}

/** A held lock. */
export interface TaskLock {
  /** True when another process held it first (the caller should decide afresh). */
  readonly waited: boolean
  /** Give the lock up (only removes the file while it still is ours). Never throws. */
  release(): void
}

/**
 * The key of a task's lock: its output set (cwd + sorted output patterns), or its name when it
 * declares no outputs.
 */
export function taskLockKey(task: { name: string; cwd: string; outputs: readonly string[] }): string {
  const known = keys.get(task)
  if (known !== undefined) return known
  const id = task.outputs.length ? `outputs\0${task.cwd}\0${[...task.outputs].sort().join('\0')}` : `task\0${task.name}`
  const key = sha256(id).slice(0, 40)
  keys.set(task, key)
  return key
}

/** {@link taskLockKey} per task object (a run asks twice per task: `isFree`, then `acquire`; resolved tasks are not changed once loaded). */
const keys = new WeakMap<object, string>()

/** Parse and validate a lock file's text; undefined when it is not a lock we wrote. */
export function parseLockOwner(text: string): LockOwner | undefined {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!v || typeof v !== 'object') return undefined
  const o = v as Record<string, unknown>
  if (!Number.isSafeInteger(o.pid) || (o.pid as number) <= 0 || (o.pid as number) > 0x7fffffff) return undefined
  if (typeof o.start !== 'string' || !/^\w{1,40}$/.test(o.start)) return undefined
  if (typeof o.task !== 'string' || o.task.length > 4096) return undefined
  if (typeof o.since !== 'number' || !Number.isFinite(o.since)) return undefined
  return { pid: o.pid as number, start: o.start, task: o.task, since: o.since }
}

let counter = 0

/** The lock files of one project. */
export class TaskLocks {
  private made = false
  /** @param dir the locks folder, e.g. `<root>/.tasks/locks` */
  constructor(private readonly dir: string) {}

  /**
   * Take the lock `key` for `task`, waiting (polling, 10 ms growing to 200 ms) while a live
   * process holds it.
   * @param onWait called once when the lock is held by another live process, with its owner
   * @returns the lock, or undefined when `signal` aborted while waiting
   * @throws the fs error when `.tasks/locks` cannot be written (read-only `.tasks`): callers run unlocked then
   */
  async acquire(
    key: string,
    task: string,
    signal: AbortSignal,
    onWait?: (owner: LockOwner) => void,
  ): Promise<TaskLock | undefined> {
    const { file, mine } = this.claim(key, task)
    let waited = false
    let delay = 10
    for (;;) {
      if (signal.aborted) return undefined
      const r = this.attempt(file, mine, waited)
      if (r === 'again') continue
      if (!('busy' in r)) return r
      if (!waited && r.busy) onWait?.(r.busy)
      waited = true
      await sleep(delay, signal)
      delay = Math.min(200, delay * 2)
    }
  }

  /**
   * Take the lock `key` if no live process holds it, without waiting (a stale lock is taken over as
   * in {@link acquire}). For work that may be skipped when busy, e.g. the state's compaction.
   * @returns the lock, or undefined when a live process holds it or the lock cannot be written
   */
  tryAcquire(key: string, task: string): TaskLock | undefined {
    const { file, mine } = this.claim(key, task)
    try {
      for (let i = 0; i < 3; i++) {
        const r = this.attempt(file, mine, false)
        if (r === 'again') continue
        return 'busy' in r ? undefined : r
      }
    } catch {}
    return undefined
  }

  /** The lock file of `key` and the content this process writes into it. */
  private claim(key: string, task: string): { file: string; mine: string } {
    return {
      file: join(this.dir, `${key}.lock`),
      mine: JSON.stringify({ pid: process.pid, start: OWN_START_TIME, task, since: Date.now(), n: ++counter }),
    }
  }

  /**
   * One try: the lock, taken; `busy` when a live process holds it (its owner, when the file is one
   * we can read); `again` when it was released or a stale one was taken over meanwhile.
   * @throws the fs error when the lock file cannot be created
   */
  private attempt(file: string, mine: string, waited: boolean): TaskLock | { busy: LockOwner | undefined } | 'again' {
    const fd = this.tryCreate(file, mine)
    if (fd !== undefined) return this.held(file, mine, fd, waited)
    const seen = readOrUndefined(file)
    if (seen === undefined) return 'again' // released meanwhile: try again at once
    const owner = parseLockOwner(seen)
    if (owner ? isProcessAlive(owner.pid, owner.start) : ageMs(file) <= FRESH_MS) return { busy: owner }
    this.takeOver(file, seen)
    return 'again'
  }

  /** True when no lock file exists for `key` at this moment (held or stale: either is "not free"). */
  isFree(key: string): boolean {
    try {
      return !lstatSync(join(this.dir, `${key}.lock`), { throwIfNoEntry: false })
    } catch {
      return false
    }
  }

  /** Remove aside-moved lock files (`*.stale`) of dead processes (a `kill -9` mid take-over). */
  sweep(): void {
    let names: string[]
    try {
      names = readdirSync(this.dir)
    } catch {
      return
    }
    for (const n of names) {
      const m = /\.(\d+)-(\w+)-\d+\.stale$/.exec(n)
      if (m && !isProcessAlive(Number(m[1]), m[2]))
        try {
          unlinkSync(join(this.dir, n))
        } catch {}
    }
  }

  /** Create the lock file with `content`; its descriptor (kept open while the lock is held), or undefined when it exists. */
  private tryCreate(file: string, content: string): number | undefined {
    let fd: number
    try {
      fd = openSync(file, 'wx', 0o644)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') return undefined
      if (code !== 'ENOENT' || this.made) throw err
      mkdirSync(this.dir, { recursive: true })
      this.made = true
      return this.tryCreate(file, content)
    }
    try {
      writeSync(fd, content)
    } catch (err) {
      closeSync(fd)
      throw err
    }
    return fd
  }

  /**
   * A lock whose file is open as `fd` until release. Release removes the file only while it still
   * is ours: the file at the path has our file's inode (it cannot be another file's while our
   * descriptor keeps the inode allocated; one `lstat` instead of reading the content back), or,
   * on Windows and where the file system reports no inode numbers, our content. The descriptor is
   * closed before the file is removed (Windows keeps an open file's name until its last handle closes).
   */
  private held(file: string, content: string, fd: number, waited: boolean): TaskLock {
    let released = false
    let ours: { dev: bigint; ino: bigint } | undefined
    if (process.platform !== 'win32')
      try {
        const st = fstatSync(fd, { bigint: true })
        if (st.ino !== 0n) ours = { dev: st.dev, ino: st.ino }
      } catch {}
    return {
      waited,
      release: () => {
        if (released) return
        released = true
        // Only our own lock is removed: a process that (wrongly) took it over keeps its own.
        let mine: boolean
        if (ours) {
          const now = lstatOrUndefined(file)
          mine = now !== undefined && now.ino === ours.ino && now.dev === ours.dev
        } else mine = readOrUndefined(file) === content
        try {
          closeSync(fd)
        } catch {}
        if (mine)
          try {
            unlinkSync(file)
          } catch {}
      },
    }
  }

  /** Move the stale lock (text `seen`) aside and delete it; put back a fresh one moved by mistake. */
  private takeOver(file: string, seen: string): void {
    const aside = `${file}.${process.pid}-${OWN_START_TIME}-${++counter}.stale`
    try {
      renameSync(file, aside)
    } catch {
      return // gone already: someone else took it over or released it
    }
    const moved = readOrUndefined(aside)
    if (moved !== seen) {
      // A live owner's lock replaced the stale one between our read and the rename: give it back.
      try {
        linkSync(aside, file)
      } catch {}
    }
    try {
      unlinkSync(aside)
    } catch {}
  }
}

function lstatOrUndefined(file: string): BigIntStats | undefined {
  try {
    return lstatSync(file, { bigint: true, throwIfNoEntry: false })
  } catch {
    return undefined
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs
  } catch {
    return 0
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
