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
import type { WarningCode } from '../model/events.js'
import type { ResolvedTask } from '../model/internal.js'
import { outputDigest, readOutputs } from './cutoff.js'

/** What the store functions need. */
export interface StoreContext {
  root: string
  state: StateStore
  /** Undefined when the cache is off. */
  cache?: Cache
  warn(message: string, code?: WarningCode): void
}

/** What {@link storeRun} found and stored. */
export interface Stored {
  /** The root-relative output files found after the run. */
  outputs: string[]
  /** Their digest (early cutoff, `cutoff.ts`); undefined for a task without declared outputs. */
  outputDigest?: string
}

/**
 * Store a successful run of a cacheable task.
 * @param durationMs how long the run took, ms
 * @param discovered files the task's depfile named (kept in its state as next time's extra inputs)
 * @param store false: store nothing (a depfile could not be read: the task must run again next time)
 */
export async function storeRun(
  ctx: StoreContext,
  task: ResolvedTask,
  fp: Fingerprint,
  durationMs: number,
  value: unknown,
  log: Buffer,
  discovered?: string[],
  store = true,
): Promise<Stored> {
  let outputs: string[] = []
  let digest: string | undefined
  let recordBlob: string | undefined
  try {
    outputs = expandGlobs(ctx.root, task.cwd, task.outputs).files
    if (task.outputs.length && outputs.length === 0)
      ctx.warn(`outputs ${JSON.stringify(task.outputs)} match no files after the run`)
    if (ctx.cache && store) {
      const entry = await ctx.cache.put(
        ctx.root,
        { fingerprint: fp.hash, task: task.name, exitCode: 0, durationMs, value, record: fp.record },
        outputs,
        log,
      )
      if (task.outputs.length && entry && Array.isArray(entry.outputs)) digest = outputDigest(entry.outputs)
      // The record is kept once: the state names the cache's copy when it is in the local CAS (`state.ts`).
      if (entry && typeof entry.recordBlob === 'string') recordBlob = entry.recordBlob
    }
  } catch (err) {
    ctx.warn(`could not store the result in the cache: ${(err as Error).message}`, 'cache-store-failed')
  }
  if (task.outputs.length && digest === undefined) digest = outputDigest(readOutputs(ctx.root, outputs))
  if (!store) {
    forgetRun(ctx, task.name)
    return { outputs, outputDigest: digest }
  }
  try {
    ctx.state.set(
      {
        task: task.name,
        fingerprint: fp.hash,
        outputs: stampOutputs(ctx.root, outputs),
        durationMs,
        value,
        ...(digest ? { outputDigest: digest } : {}),
        ...(discovered ? { discovered } : {}),
      },
      fp.record,
      recordBlob,
    )
  } catch (err) {
    ctx.warn(
      `could not record the run in .tasks/state (the task will run again next time): ${(err as Error).message}`,
      'state-write-failed',
    )
  }
  return { outputs, outputDigest: digest }
}

/**
 * Record a restored cache entry as the task's last successful run.
 * @param sameRecord true when the stored record already belongs to this fingerprint (only the stamps change)
 * @param outputDigest the entry's output digest (`cutoff.ts`), for a task with declared outputs
 * @param discovered files the restored depfile names
 */
export function storeRestore(
  ctx: StoreContext,
  task: string,
  fp: Fingerprint,
  entry: ActionResult,
  sameRecord: boolean,
  outputDigest?: string,
  discovered?: string[],
): void {
  try {
    ctx.state.set(
      {
        task,
        fingerprint: fp.hash,
        outputs: stampOutputs(
          ctx.root,
          entry.outputs.map((o) => o.path),
        ),
        durationMs: entry.durationMs,
        value: entry.value,
        ...(outputDigest ? { outputDigest } : {}),
        ...(discovered ? { discovered } : {}),
      },
      sameRecord ? undefined : fp.record,
      // The entry's record is this fingerprint's when it was stored under it (a depfile task's refingerprint may differ).
      entry.fingerprint === fp.hash ? entry.recordBlob : undefined,
    )
  } catch (err) {
    ctx.warn(
      `could not record the restore in .tasks/state (it will be checked again next time): ${(err as Error).message}`,
      'state-write-failed',
    )
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
