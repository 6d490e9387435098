/**
 * Storing outcomes: after a successful run, the outputs, log and result go to the cache and the
 * task's state (fingerprint + output stamps) to `.tasks/state`; after a restore, the state alone;
 * after a failure, the state is forgotten (a failure never looks fresh). A store that fails (a
 * read-only or full `.tasks/`) is a warning, never a failed task: the task's work is done.
 */
import { expandGlobs } from '../fingerprint/glob.js'
import { stampOutputs, type StateStore } from '../cache/state.js'
import type { ActionResult, Cache } from '../cache/cache.js'
import type { Fingerprint } from '../fingerprint/fingerprint.js'
import type { ResolvedTask } from '../types.js'

/** What the store functions need. */
export interface StoreContext {
  root: string
  state: StateStore
  /** Undefined when the cache is off. */
  cache?: Cache
  warn(message: string, code?: string): void
}

/**
 * Store a successful run of a cacheable task.
 * @param durationMs how long the run took, ms
 * @returns the root-relative output files found after the run
 */
export async function storeRun(ctx: StoreContext, task: ResolvedTask, fp: Fingerprint, durationMs: number, value: unknown, log: Buffer): Promise<string[]> {
  let outputs: string[] = []
  try {
    outputs = expandGlobs(ctx.root, task.cwd, task.outputs).files
    if (task.outputs.length && outputs.length === 0) ctx.warn(`outputs ${JSON.stringify(task.outputs)} match no files after the run`)
    if (ctx.cache) await ctx.cache.put(ctx.root, { fingerprint: fp.hash, task: task.name, exitCode: 0, durationMs, value, record: fp.record }, outputs, log)
  } catch (err) {
    ctx.warn(`could not store the result in the cache: ${(err as Error).message}`, 'cache-store-failed')
  }
  try {
    ctx.state.set({ task: task.name, fingerprint: fp.hash, outputs: stampOutputs(ctx.root, outputs), durationMs, value }, fp.record)
  } catch (err) {
    ctx.warn(`could not record the run in .tasks/state (the task will run again next time): ${(err as Error).message}`, 'state-write-failed')
  }
  return outputs
}

/**
 * Record a restored cache entry as the task's last successful run.
 * @param sameRecord true when the stored record already belongs to this fingerprint (only the stamps change)
 */
export function storeRestore(ctx: StoreContext, task: string, fp: Fingerprint, entry: ActionResult, sameRecord: boolean): void {
  try {
    ctx.state.set({ task, fingerprint: fp.hash, outputs: stampOutputs(ctx.root, entry.outputs.map((o) => o.path)), durationMs: entry.durationMs, value: entry.value }, sameRecord ? undefined : fp.record)
  } catch (err) {
    ctx.warn(`could not record the restore in .tasks/state (it will be checked again next time): ${(err as Error).message}`, 'state-write-failed')
  }
}

/** Forget the task's last successful run (it failed or was interrupted). */
export function forgetRun(ctx: StoreContext, task: string): void {
  try {
    ctx.state.delete(task)
  } catch (err) {
    ctx.warn(`could not clear the task's state in .tasks/state: ${(err as Error).message}`, 'state-write-failed')
  }
}
