/**
 * Per-task state of the last successful run: its fingerprint and the stat of each output as left
 * on disk (for "up to date" without a restore), and the fingerprint record it was made from (for
 * `--explain` and "why it ran"), read only when the fingerprint changed.
 *
 * On disk, in `.tasks/state/`:
 * - the states: a journal per writing run plus a compacted snapshot (`journal.ts`: `journal/*.jsonl`,
 *   one verified line per stored or forgotten task, and `snapshot.json`), keyed by task name, so a
 *   run appends a line per task instead of writing a file per task. Values are validated on read
 *   ({@link parseTaskState}); an invalid one reads as "no previous run".
 * - the record, kept once: when the local cache holds it (the action result's `recordBlob` in
 *   `.tasks/cas/`) the state names that blob (`recordBlob`, verified by SHA-256 on read); otherwise
 *   (cache off, another cache) it is the file `tasks/<hash>.record.json`, written atomically before
 *   the state line (the state is the commit point).
 * - `tasks/<hash>.json`: the per-task state files of earlier versions, read while no snapshot exists
 *   and imported (then deleted) by the first compaction, so a workspace made by an earlier version
 *   keeps its up-to-date tasks.
 *
 * A failed run deletes the state (a journal line that outranks the set), so a failure never looks
 * fresh (as go-task does with its checksum file). Mixing this version and an earlier one on one
 * workspace at the same time is not supported (the earlier one neither reads nor writes journals).
 */
import { lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '../util/hash.js'
import { writeFileAtomic } from '../util/fs.js'
import type { FingerprintRecord } from '../fingerprint/record.js'
import { SHA256_HEX } from './entry.js'
import { KeyedJournal } from './journal.js'

/** Largest record blob read, bytes (a record lists input paths and hashes). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024
/** A task's file name in `tasks/`: `<first 32 hex of SHA-256(task)><suffix>.json` (an earlier version's state file, or the record with the cache off). */
const taskFileName = (task: string, suffix = '') => `${sha256(task).slice(0, 32)}${suffix}.json`
/** An earlier version's per-task state file: `<first 32 hex of SHA-256(task)>.json`. */
const LEGACY_NAME = /^[0-9a-f]{32}\.json$/

/** An output file as left on disk after a run or restore. */
export interface OutputStamp {
  path: string
  size: number
  mtimeNs: string
}

/** What is remembered about a task's last successful run. */
export interface TaskState {
  task: string
  fingerprint: string
  outputs: OutputStamp[]
  /** Duration of the run that made the result, ms. */
  durationMs: number
  value?: unknown
  /**
   * Digest of the outputs as stored (`outputDigest` in `lib/run/cutoff.ts`): what dependents key on
   * instead of this task's fingerprint (early cutoff). Absent for tasks without outputs.
   */
  outputDigest?: string
  /** Files a `depfile` named after the last run (root-relative POSIX): inputs of the next fingerprint. */
  discovered?: string[]
  /**
   * SHA-256 of the fingerprint record's JSON in the local CAS (`<cas>/<2 hex>/<hash>`, the action
   * result's `recordBlob`): the record of this run. Absent: the record is the `.record.json` file.
   */
  recordBlob?: string
}

/**
 * Validate a task state read from disk (a journal line, the snapshot, an earlier version's file):
 * the shape of {@link TaskState}, for task `task`. Unknown fields are kept.
 * @returns the state, or undefined when it is not one
 */
export function parseTaskState(task: string, raw: unknown): TaskState | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined
  const s = raw as Record<string, unknown>
  if (s.task !== task || typeof s.fingerprint !== 'string' || !s.fingerprint || s.fingerprint.length > 200)
    return undefined
  if (typeof s.durationMs !== 'number' || !Number.isFinite(s.durationMs) || !Array.isArray(s.outputs)) return undefined
  for (const o of s.outputs as unknown[]) {
    if (!o || typeof o !== 'object') return undefined
    const { path, size, mtimeNs } = o as Record<string, unknown>
    if (
      typeof path !== 'string' ||
      !Number.isSafeInteger(size) ||
      (size as number) < 0 ||
      typeof mtimeNs !== 'string' ||
      !/^\d+$/.test(mtimeNs)
    )
      return undefined
  }
  if (s.outputDigest !== undefined && typeof s.outputDigest !== 'string') return undefined
  if (s.discovered !== undefined && !(Array.isArray(s.discovered) && s.discovered.every((d) => typeof d === 'string')))
    return undefined
  if (s.recordBlob !== undefined && !(typeof s.recordBlob === 'string' && SHA256_HEX.test(s.recordBlob)))
    return undefined
  return s as unknown as TaskState
}

/** Options of {@link StateStore}. */
export interface StateStoreOptions {
  /** The local cache's blob folder, where records named by `recordBlob` live. @default `<dir>/../cas` */
  casDir?: string
  /**
   * Take the compaction lock without waiting (e.g. `TaskLocks.tryAcquire` of `process/lock.ts`, which
   * takes over a crashed holder's lock); undefined when another live process holds it. Without it
   * (a dry run) the journals are never compacted.
   */
  compactionLock?: () => { release(): void } | undefined
}

/** Reads and writes task states under `<dir>` (see the module comment). */
export class StateStore {
  private readonly cas: string
  private readonly journal: KeyedJournal<TaskState>
  /**
   * @param dir the state folder, e.g. `<root>/.tasks/state`
   */
  constructor(
    private readonly dir: string,
    options: StateStoreOptions = {},
  ) {
    this.cas = options.casDir ?? join(dir, '..', 'cas')
    const legacyDir = join(dir, 'tasks')
    const legacyNames = (): string[] => {
      try {
        return readdirSync(legacyDir).filter((n) => LEGACY_NAME.test(n))
      } catch {
        return []
      }
    }
    const readLegacy = (name: string): unknown => {
      try {
        return JSON.parse(readFileSync(join(legacyDir, name), 'utf8'))
      } catch {
        return undefined
      }
    }
    this.journal = new KeyedJournal<TaskState>(dir, {
      parse: parseTaskState,
      lock: options.compactionLock,
      legacy: {
        exists: () => legacyNames().length > 0,
        get: (task) => parseTaskState(task, readLegacy(taskFileName(task))),
        *list() {
          for (const n of legacyNames()) {
            const v = readLegacy(n) as { task?: unknown } | undefined
            const task = typeof v?.task === 'string' ? v.task : undefined
            const s = task !== undefined && taskFileName(task) === n ? parseTaskState(task, v) : undefined
            if (s) yield s
          }
        },
        keyOf: (s) => s.task,
        remove: () => {
          for (const n of legacyNames()) rmSync(join(legacyDir, n), { force: true })
        },
      },
    })
  }

  private recordFile(task: string): string {
    return join(this.dir, 'tasks', taskFileName(task, '.record'))
  }

  /**
   * The CAS blobs holding the records of the stored states (`recordBlob`): the cache's garbage
   * collector keeps them while an entry is evicted, so "why it ran" still names the changed input.
   */
  recordBlobs(): Set<string> {
    const out = new Set<string>()
    for (const s of this.journal.values()) if (s.recordBlob) out.add(s.recordBlob)
    return out
  }

  /** The task's last successful run (what other processes stored since included), or undefined (never ran, failed last, or unreadable). */
  get(task: string): TaskState | undefined {
    return this.journal.get(task)
  }

  /**
   * The fingerprint record of the task's last successful run: the CAS blob its state names
   * (verified by SHA-256; a missing or corrupt one, e.g. collected by the cache's gc, is undefined),
   * else the `.record.json` file, which must belong to the state's fingerprint. Undefined without a state.
   * @param fingerprint when given, the record must belong to it (else undefined)
   */
  record(task: string, fingerprint?: string): FingerprintRecord | undefined {
    const s = this.get(task)
    if (!s || (fingerprint !== undefined && s.fingerprint !== fingerprint)) return undefined
    if (s.recordBlob) return this.recordFromCas(s.recordBlob)
    try {
      const r = JSON.parse(readFileSync(this.recordFile(task), 'utf8')) as {
        task: string
        fingerprint: string
        record: FingerprintRecord
      }
      return r && r.task === task && r.fingerprint === s.fingerprint && r.record && typeof r.record === 'object'
        ? r.record
        : undefined
    } catch {
      return undefined
    }
  }

  /** True when the local CAS holds the blob `hash` as a regular file (one `lstat`). */
  private hasBlob(hash: string): boolean {
    if (!SHA256_HEX.test(hash)) return false
    try {
      return lstatSync(join(this.cas, hash.slice(0, 2), hash), { throwIfNoEntry: false })?.isFile() === true
    } catch {
      return false
    }
  }

  /** The record stored as CAS blob `hash`, verified by SHA-256 and parsed; undefined when missing, corrupt or not an object. */
  private recordFromCas(hash: string): FingerprintRecord | undefined {
    if (!SHA256_HEX.test(hash)) return undefined
    try {
      const p = join(this.cas, hash.slice(0, 2), hash)
      const st = lstatSync(p, { throwIfNoEntry: false })
      if (!st?.isFile() || st.size > MAX_RECORD_BYTES) return undefined
      const data = readFileSync(p)
      if (sha256(data) !== hash) return undefined
      const r = JSON.parse(data.toString('utf8')) as unknown
      return r && typeof r === 'object' && !Array.isArray(r) ? (r as FingerprintRecord) : undefined
    } catch {
      return undefined
    }
  }

  /**
   * Store a successful run: the record first (when it is not already in the CAS), then the state
   * (the commit point: one journal line).
   * @param record the run's fingerprint record; omitted when the stored record already belongs to
   *   `state.fingerprint` (a restore of the same result): only the output stamps change then.
   * @param recordBlob the SHA-256 under which the cache stored `JSON.stringify(record)` (the action
   *   result's `recordBlob`): when the local CAS has that blob, the state names it and no record
   *   file is written.
   * @throws the fs error when the record file or the journal cannot be written
   */
  set(state: TaskState, record?: FingerprintRecord, recordBlob?: string): void {
    const { recordBlob: _old, ...rest } = state
    let next: TaskState = rest
    if (recordBlob && this.hasBlob(recordBlob)) next = { ...rest, recordBlob }
    else if (record)
      writeFileAtomic(
        this.recordFile(state.task),
        JSON.stringify({ task: state.task, fingerprint: state.fingerprint, record }),
      )
    else {
      // The same record as before: keep naming the blob the previous state named, if any.
      const prev = this.get(state.task)
      if (prev?.recordBlob && prev.fingerprint === state.fingerprint) next = { ...rest, recordBlob: prev.recordBlob }
    }
    this.journal.set(state.task, next)
  }

  /**
   * Forget the task's last run (after a failure or an interruption): a journal line that outranks
   * every earlier set, then its record file (if any) is removed.
   * @throws the fs error when the journal cannot be written
   */
  delete(task: string): void {
    this.journal.delete(task)
    rmSync(this.recordFile(task), { force: true })
  }

  /** End of the run: the journal is closed and compacted when due (`journal.ts`). Never throws. */
  close(): void {
    this.journal.close()
  }
}

/** Stat each output (lstat: a symlink is itself). Missing files are left out. */
export function stampOutputs(root: string, paths: readonly string[]): OutputStamp[] {
  const out: OutputStamp[] = []
  for (const path of paths) {
    try {
      const st = lstatSync(join(root, path), { bigint: true })
      out.push({ path, size: Number(st.size), mtimeNs: String(st.mtimeNs) })
    } catch {}
  }
  return out
}

/**
 * The first recorded output that is missing or changed on disk, or undefined when all match.
 * Modification times compare at 100 ns, the resolution Windows reports (NTFS FILETIME; Wine truncates
 * Linux's ns to it), so outputs stamped on Linux are up to date on Windows on the same files.
 */
export function changedOutput(root: string, stamps: readonly OutputStamp[]): string | undefined {
  for (const s of stamps) {
    try {
      const st = lstatSync(join(root, s.path), { bigint: true })
      if (Number(st.size) !== s.size || !/^\d+$/.test(s.mtimeNs) || st.mtimeNs / 100n !== BigInt(s.mtimeNs) / 100n)
        return s.path
    } catch {
      return s.path
    }
  }
  return undefined
}
