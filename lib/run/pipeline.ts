/**
 * One task's pipeline, called by the scheduler once the task's dependencies have finished:
 * {@link decide}, then restore the cache entry (a hit) or execute it through the run's
 * {@link Executor} (`attempts.ts` adds timeouts and retries), then store the outcome (`store.ts`).
 * Every ending emits its `task:end` through the run context; "up to date" ends in one place
 * ({@link TaskPipeline.upToDateEnd}) and a depfile is read in one place ({@link TaskPipeline.discovered}).
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { ActionResult } from '../cache/cache.js'
import type { Fingerprint } from '../fingerprint/fingerprint.js'
import { decide, type Decision } from './decide.js'
import { ExclusiveGate, executeWithAttempts } from './attempts.js'
import { outputDigest } from './cutoff.js'
import { readDepfile } from './depfile.js'
import type { Executor } from './executor.js'
import { localExecutor } from './executors/local.js'
import type { RunContext } from './run-context.js'
import { forgetRun, storeRestore, storeRun } from './store.js'
import type { RanWindow } from './undeclared.js'
import { taskEnv } from '../util/task-env.js'
import type { TaskReason, TaskResult } from '../model/events.js'
import type { ResolvedTask } from '../model/internal.js'

/** One run's task pipeline (see the module comment). */
export class TaskPipeline {
  /** Interactive tasks execute alone (`attempts.ts`). */
  private readonly gate = new ExclusiveGate()

  constructor(
    private readonly ctx: RunContext,
    private readonly executor: Executor = localExecutor,
  ) {}

  /**
   * Start the cache look-up of a task that will decide with the cache (`Cache.prefetch`, a remote
   * tier's download pool) before it takes a `--concurrency` slot, or undefined when there is none
   * to start: no prefetching cache, a task that is not cacheable, forced, a depfile task without
   * its header list, or one whose last run had this fingerprint (likely up to date: no download).
   * The look-up writes nothing; {@link decide} takes its result under the task's lock.
   */
  prefetch(task: ResolvedTask): Promise<void> | undefined {
    const { ctx } = this
    const cache = ctx.cache
    if (!cache?.prefetch || ctx.o.force || ctx.stopped || ctx.signal.aborted || task.run === undefined || task.service)
      return undefined
    const prev = ctx.state.get(task.name)
    if (task.depfile && !prev?.discovered) return undefined
    let hash: string
    try {
      const f = ctx.fingerprinter.fingerprint(task)
      if (!f.fp) return undefined
      hash = f.hash
    } catch {
      return undefined // the inputs cannot be read: `process` reports it
    }
    if (prev?.fingerprint === hash) return undefined
    return cache.prefetch(hash, ctx.signal).catch(() => {})
  }

  /**
   * The task's result when it is up to date (decided without the cache and without its lock: the
   * scheduler's fast path), else undefined: decide again under the lock ({@link process}).
   */
  async upToDate(task: ResolvedTask): Promise<TaskResult | undefined> {
    const started = Date.now()
    if (this.ctx.signal.aborted || this.ctx.stopped) return undefined
    let decision: Decision
    try {
      decision = await decide(task, this.ctx.decideContext(task.name, undefined))
    } catch {
      return undefined
    }
    return decision.kind === 'up-to-date' ? this.upToDateEnd(task, decision, started) : undefined
  }

  /** Decide, then restore or execute, then store `task` (under its lock). Throws only on an internal error. */
  async process(task: ResolvedTask): Promise<TaskResult> {
    const { ctx } = this
    const name = task.name
    const started = Date.now()
    if (ctx.signal.aborted) return ctx.end(name, 'skipped', started, { reason: { code: 'run-interrupted' } })
    const dead = ctx.serviceFailure(name, started)
    if (dead) return dead
    if (ctx.stopped) return ctx.end(name, 'skipped', started, { reason: { code: 'stopped-after-failure' } })

    let decision: Decision
    try {
      decision = await decide(task, ctx.decideContext(name, ctx.cache))
    } catch (err) {
      return ctx.end(name, 'failed', started, {
        reason: { code: 'error', message: `could not fingerprint inputs: ${(err as Error).message}` },
        error: (err as Error).message,
      })
    }
    if (task.run !== undefined && decision.kind === 'up-to-date') return this.upToDateEnd(task, decision, started)
    this.warnFingerprint(task, decision)
    if (task.run === undefined)
      return ctx.end(name, decision.kind === 'run' ? 'ran' : 'up-to-date', started, { reason: decision.reason })
    let runReason = decision.reason
    if (decision.kind === 'cache-hit' && decision.fp) {
      const restored = await this.restore(task, decision, decision.fp, started)
      if ('status' in restored) return restored
      runReason = restored
    }
    if (ctx.o.dryRun)
      return ctx.end(name, 'ran', started, { reason: runReason, fingerprint: decision.fp?.hash, durationMs: 0 })
    return this.execute(task, runReason, decision.fp, started)
  }

  /**
   * Start (or, in watch mode, keep) a service. It runs while other tasks do, so its window counts
   * for undeclared writes (a file it writes is not blamed on a task running beside it); a kept
   * service's window spans the whole run.
   */
  async startService(task: ResolvedTask): Promise<TaskResult> {
    const { ctx } = this
    const decision = await decide(task, ctx.decideContext(task.name, undefined))
    if (!ctx.o.dryRun) ctx.executing({ task, startMs: Date.now(), endMs: Infinity }, true)
    return ctx.services!.start(task, decision.fingerprint, decision.fp?.record)
  }

  /** The fingerprint's findings (an input pattern matching no file, ...) as warnings. */
  private warnFingerprint(task: ResolvedTask, decision: Decision): void {
    for (const w of decision.fp?.warnings ?? []) this.ctx.warn(task.name, undefined, w)
  }

  /** The one ending of a task that is up to date (with a `run`): dependents key on its recorded output digest. */
  private upToDateEnd(task: ResolvedTask, decision: Decision & { kind: 'up-to-date' }, started: number): TaskResult {
    this.warnFingerprint(task, decision)
    // Early cutoff: dependents key on the output digest this task's state recorded.
    if (decision.state?.outputDigest) this.ctx.digests.set(task.name, decision.state.outputDigest)
    return this.ctx.end(task.name, 'up-to-date', started, {
      reason: decision.reason,
      fingerprint: decision.fp?.hash,
      savedMs: decision.state?.durationMs ?? 0,
      value: decision.state?.value,
    })
  }

  /** Restore a cache hit: its result, or (the restore failed: a warning) the reason to run instead. */
  private async restore(
    task: ResolvedTask,
    decision: Decision & { kind: 'cache-hit' },
    fp: Fingerprint,
    started: number,
  ): Promise<TaskResult | TaskReason> {
    const { ctx } = this
    const name = task.name
    const { entry, source } = decision
    const fingerprint = fp.hash
    const reason: TaskReason = {
      code: 'restored',
      source,
      outputs: entry.outputs.length,
      replayedLog: entry.log !== null,
    }
    if (ctx.o.dryRun) {
      ctx.fingerprinter.wouldRestoreFiles(entry.outputs)
      if (task.outputs.length) ctx.digests.set(name, outputDigest(entry.outputs))
      return ctx.end(name, 'cache-hit', started, {
        reason,
        fingerprint,
        savedMs: entry.durationMs,
        cacheSource: source,
      })
    }
    const r = await ctx.cache!.restore(ctx.o.root, { entry, source }).catch((err: unknown) => ({
      ok: false as const,
      reason: `the cache's restore threw: ${(err as Error)?.message ?? err}`,
    }))
    if (!r.ok) {
      ctx.warn(name, 'cache-restore-failed', `cache miss: ${r.reason}`)
      return { code: 'cache-entry-unusable', detail: r.reason }
    }
    ctx.fingerprinter.restored(name, entry.outputs)
    if (r.log.length)
      ctx.o.emit({
        type: 'task:output',
        time: Date.now(),
        task: name,
        stream: 'stdout',
        text: r.log.toString(),
        replay: true,
      })
    const digest = task.outputs.length ? outputDigest(entry.outputs) : undefined
    if (digest) ctx.digests.set(name, digest)
    this.storeRestored(task, fp, entry, digest)
    return ctx.end(name, 'cache-hit', started, {
      reason: { ...reason, outputs: r.restored, replayedLog: r.log.length > 0 },
      fingerprint,
      savedMs: entry.durationMs,
      value: entry.value,
      cacheSource: source,
      outputs: entry.outputs.map((o) => o.path),
    })
  }

  /** Record a restored entry as the task's last run (with the headers its restored depfile names). */
  private storeRestored(task: ResolvedTask, fp: Fingerprint, entry: ActionResult, digest: string | undefined): void {
    const sc = this.ctx.storeContext(task.name)
    const d = this.discovered(task, fp, 'after the restore', 'the task will run next time')
    if (!d.ok) return forgetRun(sc, task.name)
    // A refingerprinted record differs from the one this fingerprint was stored with.
    const sameRecord = !d.files && this.ctx.state.get(task.name)?.fingerprint === fp.hash
    storeRestore(sc, task.name, d.fp, entry, sameRecord, digest, d.files)
  }

  /**
   * The one depfile path, after a run or a restore: the files the task's depfile names now and its
   * fingerprint over them (`refingerprint`: the recorded state and the cache key are then what the
   * next run computes). `ok` false: the depfile or a file it names could not be read (warned:
   * `depfile-unreadable`); nothing may be recorded, the task must run next time.
   * @param when `after the restore` or `` (words after the depfile's name in the warning)
   * @param then what happens next, in the warning
   */
  private discovered(
    task: ResolvedTask,
    fp: Fingerprint,
    when: string,
    then: string,
  ): { ok: boolean; fp: Fingerprint; files?: string[] } {
    if (!task.depfile) return { ok: true, fp }
    const found = readDepfile(this.ctx.o.root, task.cwd, task.depfile)
    if (!found) return { ok: true, fp }
    if ('error' in found) {
      // Without the header list the next fingerprint could miss an edit: run next time instead.
      this.ctx.warn(
        task.name,
        'depfile-unreadable',
        `depfile \`${task.depfile}\`${when ? ` ${when}` : ''}: ${found.error}; ${then}`,
      )
      return { ok: false, fp }
    }
    try {
      const now = this.ctx.fingerprinter.refingerprint(task, found.files).fp
      return now ? { ok: true, fp: now, files: found.files } : { ok: false, fp, files: found.files }
    } catch (err) {
      this.ctx.warn(
        task.name,
        'depfile-unreadable',
        `could not fingerprint the inputs its depfile names (the task will run again next time): ${(err as Error).message}`,
      )
      return { ok: false, fp, files: found.files }
    }
  }

  /** Execute `task` (its attempts, through the executor), then store the outcome. */
  private async execute(
    task: ResolvedTask,
    runReason: TaskReason,
    fp: Fingerprint | undefined,
    started: number,
  ): Promise<TaskResult> {
    const { ctx } = this
    const name = task.name
    const cwd = join(ctx.o.root, task.cwd)
    let isDir = false
    try {
      isDir = statSync(cwd).isDirectory()
    } catch {}
    if (!isDir) {
      // Removed (or replaced by a file) after the config was loaded: say so, not `spawn /bin/sh ENOENT`.
      const message = `task \`${name}\`: its cwd \`${task.cwd}\` (${cwd}) does not exist or is not a folder`
      forgetRun(ctx.storeContext(name), name)
      return ctx.end(name, 'failed', started, { reason: { code: 'error', message }, runReason, error: message })
    }
    // Interactive tasks execute alone (`attempts.ts`); entered before the start line, so the prompt follows it.
    await this.gate.enter(task.interactive)
    ctx.fingerprinter.markExecuted(name)
    ctx.o.emit({ type: 'task:start', time: started, task: name, reason: runReason })
    const window: RanWindow = { task, startMs: Date.now(), endMs: Infinity }
    ctx.executing(window)
    const deps = Object.fromEntries(
      task.deps.map((d) => [d, { status: ctx.results.get(d)!.status, value: ctx.results.get(d)!.value }]),
    )
    const x = await executeWithAttempts(
      this.executor,
      task,
      {
        root: ctx.o.root,
        cwd,
        env: taskEnv(task, ctx.o.env, ctx.o.root),
        args: ctx.argsFor(name),
        signal: ctx.taskSignal(name),
        deps,
        fingerprint: fp,
        onOutput: (stream, text) =>
          ctx.o.emit({ type: 'task:output', time: Date.now(), task: name, stream, text, replay: false }),
      },
      (attempt, of, previous) =>
        ctx.warn(name, 'task-retry', `attempt ${attempt} of ${of} (the previous one failed: ${previous})`),
    ).finally(() => this.gate.leave(task.interactive))
    window.endMs = Date.now()
    const fingerprint = fp?.hash
    if (!x.ok) {
      forgetRun(ctx.storeContext(name), name)
      const dead = ctx.serviceFailure(name, started, { runReason, log: x.fullLog })
      if (dead) return dead
      if (x.interrupted)
        return ctx.end(name, 'interrupted', started, {
          reason: { code: 'interrupted' },
          runReason,
          error: 'interrupted',
          log: x.fullLog,
          fingerprint,
        })
      const reason: TaskReason = x.timedOut
        ? { code: 'timed-out', timeoutMs: task.timeoutMs! }
        : x.command
          ? { code: 'exit-code', exitCode: x.exitCode }
          : { code: 'error', message: x.message }
      const failure = { reason, runReason, exitCode: x.exitCode, error: x.message, log: x.fullLog, fingerprint }
      return ctx.end(name, 'failed', started, failure)
    }
    const durationMs = Date.now() - started
    const outputs = fp ? await this.storeRan(task, fp, durationMs, x.value, x.log) : undefined
    return ctx.end(name, 'ran', started, {
      reason: runReason,
      runReason,
      fingerprint,
      value: x.value,
      durationMs,
      ...(outputs ? { outputs } : {}),
    })
  }

  /** Store a successful run of a cacheable task (with the headers its depfile names); returns the outputs found. */
  private async storeRan(
    task: ResolvedTask,
    fp: Fingerprint,
    durationMs: number,
    value: unknown,
    log: Buffer,
  ): Promise<string[]> {
    // The headers just discovered enter the recorded fingerprint (and the cache key): the next run computes the same.
    const d = this.discovered(task, fp, '', 'nothing is stored and the task will run again next time')
    const stored = await storeRun(this.ctx.storeContext(task.name), task, d.fp, durationMs, value, log, d.files, d.ok)
    if (stored.outputDigest) this.ctx.digests.set(task.name, stored.outputDigest)
    return stored.outputs
  }
}
