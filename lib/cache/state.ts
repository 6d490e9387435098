/**
 * Per-task state of the last successful run: its fingerprint and the stat of each output as left
 * on disk (for "up to date" without a restore), in one small JSON file per task in
 * `.tasks/state/tasks/`; and the fingerprint record it was made from (for `--explain` and "why it
 * ran"), read only when the fingerprint changed. The record is kept once: when the local cache
 * holds it (the action result's `recordBlob` in `.tasks/cas/`), the state names that blob
 * (`recordBlob`, verified by SHA-256 on read); otherwise (cache off, another cache) it is a second
 * file beside the state, `<hash>.record.json`. Both files are written atomically, the record first:
 * the small file is the commit point. A failed run deletes both, so a failure never looks fresh
 * (as go-task does with its checksum file).
 */
import { lstatSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '../util/hash.js'
import { writeFileAtomic } from '../util/fs.js'
import type { FingerprintRecord } from '../fingerprint/fingerprint.js'

/** Largest record blob read, bytes (a record lists input paths and hashes). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024
const HEX64 = /^[0-9a-f]{64}$/

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

/** Reads and writes task states under `<dir>/tasks/`. */
export class StateStore {
  private readonly cas: string
  /**
   * @param dir the state folder, e.g. `<root>/.tasks/state`
   * @param casDir the local cache's blob folder, where records named by `recordBlob` live. @default `<dir>/../cas`
   */
  constructor(
    private readonly dir: string,
    casDir?: string,
  ) {
    this.cas = casDir ?? join(dir, '..', 'cas')
  }

  private file(task: string, suffix = ''): string {
    return join(this.dir, 'tasks', `${sha256(task).slice(0, 32)}${suffix}.json`)
  }

  /** The task's last successful run, or undefined (never ran, failed last, or an unreadable file). */
  get(task: string): TaskState | undefined {
    try {
      const s = JSON.parse(readFileSync(this.file(task), 'utf8')) as TaskState
      return s && s.task === task ? s : undefined
    } catch {
      return undefined
    }
  }

  /**
   * The fingerprint record of the task's last successful run: the CAS blob its state names
   * (verified by SHA-256; a missing or corrupt one, e.g. collected by the cache's gc, is undefined),
   * else the `.record.json` file (which must belong to the state's fingerprint when there is a state).
   * @param fingerprint when given, the record must belong to it (else undefined)
   */
  record(task: string, fingerprint?: string): FingerprintRecord | undefined {
    const s = this.get(task)
    if (s && fingerprint !== undefined && s.fingerprint !== fingerprint) return undefined
    if (s?.recordBlob) return this.recordFromCas(s.recordBlob)
    const want = fingerprint ?? s?.fingerprint
    try {
      const r = JSON.parse(readFileSync(this.file(task, '.record'), 'utf8')) as { task: string; fingerprint: string; record: FingerprintRecord }
      return r && r.task === task && (want === undefined || r.fingerprint === want) && r.record && typeof r.record === 'object' ? r.record : undefined
    } catch {
      return undefined
    }
  }

  /** True when the local CAS holds the blob `hash` as a regular file (one `lstat`). */
  private hasBlob(hash: string): boolean {
    if (!HEX64.test(hash)) return false
    try {
      return lstatSync(join(this.cas, hash.slice(0, 2), hash), { throwIfNoEntry: false })?.isFile() === true
    } catch {
      return false
    }
  }

  /** The record stored as CAS blob `hash`, verified by SHA-256 and parsed; undefined when missing, corrupt or not an object. */
  private recordFromCas(hash: string): FingerprintRecord | undefined {
    if (!HEX64.test(hash)) return undefined
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
   * (the commit point).
   * @param record the run's fingerprint record; omitted when the stored record already belongs to
   *   `state.fingerprint` (a restore of the same result): only the output stamps change then.
   * @param recordBlob the SHA-256 under which the cache stored `JSON.stringify(record)` (the action
   *   result's `recordBlob`): when the local CAS has that blob, the state names it and no record
   *   file is written.
   */
  set(state: TaskState, record?: FingerprintRecord, recordBlob?: string): void {
    const { recordBlob: _old, ...rest } = state
    let next: TaskState = rest
    if (recordBlob && this.hasBlob(recordBlob)) next = { ...rest, recordBlob }
    else if (record) writeFileAtomic(this.file(state.task, '.record'), JSON.stringify({ task: state.task, fingerprint: state.fingerprint, record }))
    else {
      // The same record as before: keep naming the blob the previous state named, if any.
      const prev = this.get(state.task)
      if (prev?.recordBlob && prev.fingerprint === state.fingerprint) next = { ...rest, recordBlob: prev.recordBlob }
    }
    writeFileAtomic(this.file(state.task), JSON.stringify(next))
  }

  /** Forget the task's last run (after a failure or an interruption). */
  delete(task: string): void {
    rmSync(this.file(task), { force: true })
    rmSync(this.file(task, '.record'), { force: true })
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
      if (Number(st.size) !== s.size || !/^\d+$/.test(s.mtimeNs) || st.mtimeNs / 100n !== BigInt(s.mtimeNs) / 100n) return s.path
    } catch {
      return s.path
    }
  }
  return undefined
}
