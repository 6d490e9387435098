/**
 * What one run needs from the machine beyond its tasks, set up by {@link startRuntime} at the
 * start of a run: temp files kept under `.tasks/tmp` (and a dead process's leftovers removed), the
 * process trees that a `kill -9` of an earlier `tasks` left running killed (or named), the run's
 * own trees recorded in `.tasks/procs`, and the per-task locks between processes (`lock.ts`).
 */
import { join } from 'node:path'
import { removeStaleTempFiles, useTempDir } from '../util/fs.js'
import { isProcessAlive } from '../util/process.js'
import { TaskLocks, taskLockKey } from '../process/lock.js'
import { ProcTable, bindProcTable, reapLeftoverTrees } from '../process/procs.js'
import type { WarningCode } from '../model/events.js'

/** Options of {@link startRuntime}. */
export interface RuntimeOptions {
  /** The project root. */
  root: string
  /** Its `.tasks` folder. */
  dir: string
  /** The run's signal: trees started under it are recorded in this run's procs file. */
  signal: AbortSignal
  /** A dry run: nothing is written, locked or killed. */
  dryRun?: boolean
  /** Receives warnings (leftover trees: `task` undefined; a lock held by another process). */
  warn(task: string | undefined, code: WarningCode, message: string): void
}

/** The run's runtime services. */
export interface Runtime {
  /**
   * Run `fn` (deciding, restoring or running `task`) while holding the task's lock, waiting while
   * another `tasks` process holds it. Aggregate tasks (no `run`) are not locked. When the lock
   * cannot be written (read-only `.tasks`), `fn` runs unlocked after one warning.
   * `fn(waited)`: `waited` is true when another process held the lock first: it may have written
   * the task's outputs since this run's git snapshot, so dependents must look at the disk again.
   */
  withTaskLock<T>(
    task: { name: string; cwd: string; outputs: readonly string[]; run?: unknown },
    fn: (waited: boolean) => Promise<T>,
  ): Promise<T>
  /**
   * True when no process holds the task's lock right now (one `lstat`). The scheduler decides a
   * task without its lock only after this said true and only keeps that decision when it is
   * "up to date", which writes nothing (see `Scheduler.run`).
   */
  lockFree(task: { name: string; cwd: string; outputs: readonly string[] }): boolean
  /** End of the run: the procs file is brought up to date (removed when no tree runs). Never throws. */
  close(): void
}

/** Set up the runtime of one run (see the module comment). Never throws. */
export function startRuntime(o: RuntimeOptions): Runtime {
  if (o.dryRun) return { withTaskLock: (_t, fn) => fn(false), lockFree: () => true, close() {} }
  const tmp = join(o.dir, 'tmp')
  useTempDir(o.root, tmp)
  removeStaleTempFiles(tmp, isProcessAlive)
  const locks = new TaskLocks(join(o.dir, 'locks'))
  locks.sweep()
  const procs = join(o.dir, 'procs')
  const left = reapLeftoverTrees(procs)
  if (left.killed.length)
    o.warn(
      undefined,
      'leftover-trees-killed',
      `killed ${left.killed.length} process tree${left.killed.length === 1 ? '' : 's'} left running by a \`tasks\` process that was killed (pid ${[...new Set(left.killed.map((t) => t.owner))].join(', ')}; process groups ${left.killed.map((t) => t.pgid).join(', ')})`,
    )
  if (left.named.length)
    o.warn(
      undefined,
      'leftover-trees',
      `process groups ${left.named.map((t) => t.pgid).join(', ')} were started by a \`tasks\` process that was killed (pid ${[...new Set(left.named.map((t) => t.owner))].join(', ')}) and may still run; they could not be verified as ours, so they were left alone: check them with \`ps -g <pgid>\``,
    )
  const table = new ProcTable(procs)
  bindProcTable(o.signal, table)
  let unlocked = false
  return {
    lockFree: (task) => unlocked || locks.isFree(taskLockKey(task)),
    close: () => {
      try {
        table.close()
      } catch {}
    },
    async withTaskLock(task, fn) {
      if (task.run === undefined || unlocked) return fn(false)
      let lock
      try {
        lock = await locks.acquire(taskLockKey(task), task.name, o.signal, (owner) =>
          o.warn(
            task.name,
            'lock-wait',
            `another \`tasks\` process (pid ${owner.pid}) is running this task; waiting for it, then deciding again`,
          ),
        )
      } catch (err) {
        unlocked = true
        o.warn(
          task.name,
          'lock-failed',
          `could not take task locks in ${join(o.dir, 'locks')} (${(err as Error).message}); running without them`,
        )
        return fn(false)
      }
      try {
        return await fn(lock?.waited ?? false)
      } finally {
        lock?.release()
      }
    },
  }
}
