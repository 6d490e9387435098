/**
 * The one decision: for one task, whether it is up to date, a cache hit (with the stored entry) or
 * must run, each with a typed {@link TaskReason}. The scheduler, `explain` and `--dry-run` all use
 * it, so the up-to-date rule exists once: the fingerprint equals the last successful run's, every
 * recorded output is on disk with the stat it was left with, and the task's `check` (if any)
 * accepts the stored value (go-task's `status`). Else a valid cache entry whose `check` passes is a
 * hit. Else it runs, and the reason says why (the first kind of difference, as make's `-d` would).
 */
import { join } from 'node:path'
import { changedOutput, type StateStore, type TaskState } from '../cache/state.js'
import type { ActionResult, Cache } from '../cache/cache.js'
import type { Fingerprint } from '../fingerprint/fingerprint.js'
import { diffRecords, type Change, type FingerprintRecord } from '../fingerprint/record.js'
import type { Fingerprinter } from '../fingerprint/fingerprinter.js'
import type { InputChange, TaskReason, TaskStatus, WarningCode } from '../model/events.js'
import type { ResolvedTask } from '../model/internal.js'

/**
 * What {@link decide} concluded for one task. `fingerprint` is the task's fingerprint in this run;
 * `fp` its record and warnings (undefined for a task that is not cacheable): callers read it here
 * instead of asking the fingerprinter again.
 */
export type Decision =
  /** Nothing to do. `state`: the last successful run (absent for an aggregate task). */
  | { kind: 'up-to-date'; reason: TaskReason; fingerprint: string; fp?: Fingerprint; state?: TaskState }
  /** Restore `entry` (not yet restored: the caller does, and falls back to a run on a failed restore). */
  | {
      kind: 'cache-hit'
      reason: TaskReason
      fingerprint: string
      fp?: Fingerprint
      entry: ActionResult
      source: 'local' | 'remote'
    }
  | { kind: 'run'; reason: TaskReason; fingerprint: string; fp?: Fingerprint }

/** What {@link decide} reads. Nothing is written. */
export interface DecideContext {
  root: string
  fingerprinter: Fingerprinter
  state: StateStore
  /** Undefined: no cache look-up (cache off, or `explain`). */
  cache?: Cache
  force: boolean
  signal: AbortSignal
  /** The status of a finished dependency in this run (aggregate tasks look at them). */
  statusOf(task: string): TaskStatus | undefined
  warn(message: string, code?: WarningCode): void
}

/**
 * Decide for `task`, whose dependencies have finished.
 * @throws the fs error when its inputs could not be read (the caller fails the task).
 */
export async function decide(task: ResolvedTask, ctx: DecideContext): Promise<Decision> {
  const { hash, fp } = ctx.fingerprinter.fingerprint(task)
  if (task.run === undefined) {
    const ran = task.deps.some((d) => ctx.statusOf(d) === 'ran')
    return ran
      ? { kind: 'run', reason: { code: 'dependencies-ran' }, fingerprint: hash, fp }
      : { kind: 'up-to-date', reason: { code: 'dependencies-up-to-date' }, fingerprint: hash, fp }
  }
  // A service is never cached: it always (re)starts in a run; watch mode's pool keeps one whose fingerprint is unchanged (service.ts).
  if (task.service) return { kind: 'run', reason: { code: 'not-cacheable', why: 'service' }, fingerprint: hash, fp }
  if (!fp)
    return {
      kind: 'run',
      reason: {
        code: 'not-cacheable',
        why: task.interactive ? 'interactive' : task.inputs === undefined ? 'no-inputs' : 'fingerprint-false',
      },
      fingerprint: hash,
      fp,
    }
  if (ctx.force) return { kind: 'run', reason: { code: 'forced' }, fingerprint: hash, fp }
  const prev = ctx.state.get(task.name)
  let reason: TaskReason
  if (!prev) reason = { code: 'no-previous-run' }
  else if (prev.fingerprint === hash) {
    const out = changedOutput(ctx.root, prev.outputs)
    if (!out && (await checkValid(task, prev.value, ctx)))
      return { kind: 'up-to-date', reason: { code: 'fingerprint-unchanged' }, fingerprint: hash, fp, state: prev }
    reason = out ? { code: 'output-changed', path: out } : { code: 'check-failed' }
  } else {
    const prevRecord = ctx.state.record(task.name, prev.fingerprint)
    reason = prevRecord
      ? reasonFromChanges(diffRecords(prevRecord, fp.record), fp.record)
      : { code: 'definition-changed', fields: ['format'] }
  }
  // A depfile task whose header list is not known yet (no recorded run) keys on its globbed inputs
  // alone: an entry stored under that key may have been built against other headers, so it runs.
  if (ctx.cache && !(task.depfile && !prev?.discovered)) {
    let hit: Awaited<ReturnType<Cache['get']>>
    try {
      hit = await ctx.cache.get(hash, {
        signal: ctx.signal,
        onWarning: (m) => ctx.warn(`cache miss: ${m}`, 'cache-entry-refused'),
      })
    } catch (err) {
      // A cache that throws (an embedder's or a remote tier's bug, a network error) is a miss, never a failed task.
      ctx.warn(`cache miss: the cache's get failed: ${(err as Error)?.message ?? err}`, 'cache-get-failed')
    }
    if (hit && (await checkValid(task, hit.entry.value, ctx)))
      return { kind: 'cache-hit', reason, fingerprint: hash, fp, entry: hit.entry, source: hit.source }
  }
  return { kind: 'run', reason, fingerprint: hash, fp }
}

/** Whether the task's `check` accepts a stored value (true without a `check`; a throw is false with a warning). */
async function checkValid(task: ResolvedTask, value: unknown, ctx: DecideContext): Promise<boolean> {
  if (!task.check) return true
  try {
    return (
      (await task.check({
        name: task.name,
        root: ctx.root,
        cwd: join(ctx.root, task.cwd),
        value,
        signal: ctx.signal,
      })) !== false
    )
  } catch (err) {
    ctx.warn(`check threw, treating the stored result as invalid: ${(err as Error).message}`)
    return false
  }
}

const FIELD: Partial<Record<string, string>> = { v: 'format', pkg: 'format' }

/**
 * The typed reason for a fingerprint change: the kind of the first difference (in
 * {@link diffRecords}' order: command, env, args, tools, dependencies, inputs, settings), with
 * every difference of that kind. `next`: the new record (for the new arguments).
 */
export function reasonFromChanges(changes: readonly Change[], next?: FingerprintRecord): TaskReason {
  const first = changes[0]
  if (!first) return { code: 'definition-changed', fields: ['format'] }
  const same = changes.filter((c) => sameGroup(c.kind, first.kind))
  switch (first.kind) {
    case 'env':
      return { code: 'env-changed', variables: same.map((c) => c.what) }
    case 'args':
      return {
        code: 'args-changed',
        args: next ? [...next.args] : first.what === '(none)' ? [] : first.what.split(' '),
      }
    case 'dep':
      return { code: 'dependency-changed', dependencies: same.map((c) => c.what) }
    case 'input-added':
    case 'input-removed':
    case 'input-changed':
      return {
        code: 'input-changed',
        files: same.map((c): InputChange => ({
          path: c.what,
          change: c.kind === 'input-added' ? 'added' : c.kind === 'input-removed' ? 'removed' : 'modified',
        })),
      }
    case 'command':
    case 'tools':
    case 'other': {
      const defs = changes.filter((c) => c.kind === 'command' || c.kind === 'tools' || c.kind === 'other')
      const tools = defs.filter((c) => c.kind === 'tools').map((c) => c.what)
      return {
        code: 'definition-changed',
        fields: [...new Set(defs.map((c) => (c.kind === 'other' ? (FIELD[c.what] ?? c.what) : c.kind)))],
        ...(tools.length ? { tools } : {}),
      }
    }
  }
}

function sameGroup(a: Change['kind'], b: Change['kind']): boolean {
  const input = (k: Change['kind']) => k.startsWith('input-')
  return a === b || (input(a) && input(b))
}
