/**
 * Per-task state of the last successful run: its fingerprint and the stat of each output as left
 * on disk (for "up to date" without a restore), in one small JSON file per task in
 * `.tasks/state/tasks/`; and, in a second file beside it, the fingerprint record it was made from
 * (for `--explain` and "why it ran"), read only when the fingerprint changed. Both are written
 * atomically, the record first: the small file is the commit point. A failed run deletes both, so
 * a failure never looks fresh (as go-task does with its checksum file).
 */
import { lstatSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '../util/hash.js'
import { writeFileAtomic } from '../util/fs.js'
import type { FingerprintRecord } from '../fingerprint/fingerprint.js'

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
}

/** Reads and writes task states under `<dir>/tasks/`. */
export class StateStore {
  constructor(private readonly dir: string) {}

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
   * The fingerprint record of the task's last successful run.
   * @param fingerprint when given, the record must belong to it (else undefined)
   */
  record(task: string, fingerprint?: string): FingerprintRecord | undefined {
    try {
      const r = JSON.parse(readFileSync(this.file(task, '.record'), 'utf8')) as { task: string; fingerprint: string; record: FingerprintRecord }
      return r && r.task === task && (fingerprint === undefined || r.fingerprint === fingerprint) ? r.record : undefined
    } catch {
      return undefined
    }
  }

  /**
   * Store a successful run: the record first, then the state (the commit point).
   * @param record omitted when the stored record already belongs to `state.fingerprint` (a restore
   *   of the same result): only the output stamps change then.
   */
  set(state: TaskState, record?: FingerprintRecord): void {
    if (record) writeFileAtomic(this.file(state.task, '.record'), JSON.stringify({ task: state.task, fingerprint: state.fingerprint, record }))
    writeFileAtomic(this.file(state.task), JSON.stringify(state))
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
