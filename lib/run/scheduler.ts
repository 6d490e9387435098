/**
 * The scheduler: walk the task graph, start each task as soon as its dependencies succeeded (up to
 * `concurrency` at once, with p-queue), and for each one call {@link decide}, then restore (cache
 * hit) or {@link executeWithAttempts} (timeouts, retries; `execute.ts` runs one attempt) and store (`store.ts`), emitting typed events. Never prints, never
 * calls `process.exit`.
 */
import { setMaxListeners } from 'node:events'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { StateStore } from '../cache/state.js'
import type { Cache } from '../cache/cache.js'
import { Fingerprinter } from '../fingerprint/fingerprinter.js'
import type { TaskGraph } from '../graph/graph.js'
import { decide, type DecideContext, type Decision } from './decide.js'
import { ExclusiveGate, executeWithAttempts } from './attempts.js'
import { keysOnOutputs, outputDigest } from './cutoff.js'
import { readDepfile } from './depfile.js'
import { findUndeclaredWrites, type RanWindow } from './undeclared.js'
import { RunServices, type ServicePool } from './service.js'
import { startRuntime } from './runtime.js'
import { TaskLocks } from '../process/lock.js'
import { forgetRun, storeRestore, storeRun, type StoreContext } from './store.js'
import type {
  RunEvent,
  RunResult,
  RunSummary,
  TaskReason,
  TaskResult,
  TaskStatus,
  WarningCode,
} from '../model/events.js'
import type { ResolvedTask } from '../model/internal.js'

/** Longest wait for a cache's background uploads at the end of a run, ms. */
const UPLOAD_FLUSH_MS = 20_000

/** What a {@link Scheduler} needs (resolved from `RunOptions` by `run.ts`). */
export interface SchedulerOptions {
  root: string
  graph: TaskGraph<ResolvedTask>
  /** Requested task names (they receive `args`). */
  requested: readonly string[]
  args: readonly string[]
  env: NodeJS.ProcessEnv
  /** The `env` option as given (undefined: `process.env`); git gets it, so a prefetched snapshot is used only for `process.env`. */
  gitEnv?: NodeJS.ProcessEnv
  signal: AbortSignal
  concurrency: number
  /** Undefined: the cache is off. */
  cache?: Cache
  force: boolean
  dryRun: boolean
  continue: boolean
  git: boolean
  /** `--affected`: tasks that are skipped with this reason (never decided nor run); see `affected.ts`. */
  notAffected?: { tasks: ReadonlySet<string>; base: string }
  emit(e: RunEvent): void
  /** Watch mode: the services kept across runs (`service.ts`); default: this run's own, stopped at its end. */
  services?: ServicePool
  /** Watch mode: an extra signal for one task's execution (aborting it interrupts just that task: `interruptible`). */
  taskSignal?(task: string): AbortSignal | undefined
}

/** One run of the graph. Use once. */
export class Scheduler {
  readonly state: StateStore
  readonly fingerprinter: Fingerprinter
  /**
   * The run's own signal, aborted with the caller's: every task's commands, locks and shells listen
   * on it (thousands of tasks, so no MaxListenersExceededWarning), and only one listener sits on the caller's.
   */
  readonly signal: AbortSignal
  private readonly controller = new AbortController()
  private readonly results = new Map<string, TaskResult>()
  /** Tasks that executed in this run, with their wall-clock windows (undeclared writes are attributed by them). */
  private readonly ran: RanWindow[] = []
  /** Service -> its window in {@link ran} (closed when the service ends in this run). */
  private readonly serviceWindows = new Map<string, RanWindow>()
  /** Task -> the digest of its outputs after its outcome in this run (undefined: unknown, a dry run's "would run"). */
  private readonly digests = new Map<string, string>()
  private stopped = false
  private services?: RunServices
  /** Interactive tasks execute alone (`attempts.ts`). */
  private readonly gate = new ExclusiveGate()

  constructor(readonly o: SchedulerOptions) {
    const locks = new TaskLocks(join(o.root, '.tasks', 'locks'))
    this.state = new StateStore(
      join(o.root, '.tasks', 'state'),
      o.dryRun ? {} : { compactionLock: () => locks.tryAcquire('state-compaction', '(state compaction)') },
    )
    this.signal = this.controller.signal
    setMaxListeners(0, this.signal)
    if (o.signal.aborted) this.controller.abort(o.signal.reason)
    this.fingerprinter = new Fingerprinter({
      root: o.root,
      tasks: o.graph.tasks,
      env: o.env,
      gitEnv: o.gitEnv,
      git: o.git,
      argsFor: (n) => this.argsFor(n),
      previousInputs: (n) => this.state.record(n)?.inputs,
      discoveredInputs: (n) => this.state.get(n)?.discovered,
      keysOnOutputs,
    })
  }

  /** The arguments after `--` that `name` receives (only requested tasks get them). */
  argsFor(name: string): readonly string[] {
    return this.o.requested.includes(name) ? this.o.args : []
  }

  /** The context {@link decide} reads for one task. */
  decideContext(task: string, cache: Cache | undefined): DecideContext {
    return {
      root: this.o.root,
      fingerprinter: this.fingerprinter,
      state: this.state,
      cache,
      force: this.o.force,
      signal: this.signal,
      statusOf: (d) => this.results.get(d)?.status,
      warn: (m, code) => this.warn(task, m, code),
    }
  }

  private storeContext(task: string): StoreContext {
    return { root: this.o.root, state: this.state, cache: this.o.cache, warn: (m, code) => this.warn(task, m, code) }
  }

  /** Run the graph: every task decided, restored or executed, stored; resolves when all have ended. */
  async run(): Promise<RunResult> {
    const onAbort = () => this.controller.abort(this.o.signal.reason)
    this.o.signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await this.runGraph()
    } finally {
      this.o.signal.removeEventListener('abort', onAbort)
    }
  }

  private async runGraph(): Promise<RunResult> {
    const start = Date.now()
    const { graph } = this.o
    this.o.emit({
      type: 'run:start',
      time: start,
      tasks: graph.order,
      concurrency: this.o.concurrency,
      dryRun: this.o.dryRun,
    })
    const [{ default: PQueue }] = await Promise.all([import('p-queue'), this.fingerprinter.prepare()])
    // Per-run process hygiene: temp folder, stale temp files and locks swept, leftover trees reaped, task locks.
    const runtime = startRuntime({
      root: this.o.root,
      dir: join(this.o.root, '.tasks'),
      signal: this.signal,
      dryRun: this.o.dryRun,
      warn: (message, task, code) =>
        task
          ? this.warn(task, message, code)
          : this.o.emit({ type: 'warning', time: Date.now(), message, ...(code ? { code } : {}) }),
    })
    // A stale git index (copied or touched tree) is refreshed beside the run, so the next run's `git status` is fast again.
    const refresh = this.o.dryRun ? undefined : this.fingerprinter.refreshGitIndex()
    const queue = new PQueue({ concurrency: this.o.concurrency })
    const waiting = new Map(graph.order.map((n) => [n, graph.tasks.get(n)!.deps.length]))
    const services = (this.services = RunServices.needed(graph) ? this.runServices() : undefined)
    await new Promise<void>((resolveAll) => {
      let left = graph.order.length
      if (left === 0) return resolveAll()
      const finish = (name: string, result: TaskResult) => {
        this.results.set(name, result)
        services?.finished(name)
        // What dependents key on: the output digest the outcome left (early cutoff), else the fingerprint.
        if (keysOnOutputs(graph.tasks.get(name)!))
          this.fingerprinter.settle(
            name,
            result.status === 'failed' || result.status === 'skipped' || result.status === 'interrupted'
              ? undefined
              : this.digests.get(name),
          )
        if (--left === 0) resolveAll()
        for (const d of graph.dependents.get(name)!) {
          const n = waiting.get(d)! - 1
          waiting.set(d, n)
          if (n === 0) schedule(d)
        }
      }
      const schedule = (name: string) => {
        // Not affected: its dependents are not affected either (`affected.ts` keeps what affected tasks need).
        if (this.o.notAffected?.tasks.has(name))
          return finish(
            name,
            this.end(name, 'skipped', Date.now(), { reason: { code: 'not-affected', base: this.o.notAffected.base } }),
          )
        const blocked = graph.tasks.get(name)!.deps.find((d) => {
          const r = this.results.get(d)
          const s = r?.status
          return s === 'failed' || (s === 'skipped' && r!.reason.code !== 'not-affected') || s === 'interrupted'
        })
        if (blocked) {
          const s = this.results.get(blocked)!.status
          const reason: TaskReason =
            s === 'interrupted'
              ? { code: 'run-interrupted' }
              : s === 'skipped'
                ? { code: 'dependency-skipped', dependency: blocked }
                : { code: 'dependency-failed', dependency: blocked }
          return finish(name, this.end(name, 'skipped', Date.now(), { reason }))
        }
        const job = async () => {
          let result: TaskResult | undefined
          const task = graph.tasks.get(name)!
          try {
            // Up to date without the task's lock (a no-op then writes no lock files), which is safe:
            // an "up to date" decision writes nothing, so it cannot poison the state or the cache,
            // and the locked path releases the lock right after such a decision anyway, so holding
            // it protects only the instant of the check itself. That instant is covered by
            // `lockFree`: when another process holds (or just left stale) the lock, it may be
            // rewriting the outputs, and the locked path below waits for it. A process that takes
            // the lock after the check orders after this decision, as if it had waited for our lock;
            // if it rewrites outputs while this decision reads them, their stamps no longer match
            // and the decision is not "up to date". Any other decision is taken again under the lock.
            // A run with services takes the locked path (it checks first that no service has died).
            if (task.run !== undefined && !services && !this.o.dryRun && runtime.lockFree(task))
              result = await this.upToDate(task)
            if (!result) {
              // A task another process held the lock of may have new outputs: its dependents walk the disk.
              result =
                task.service && services
                  ? await this.startService(services, task)
                  : await runtime.withTaskLock(task, (waited) => {
                      if (waited) this.fingerprinter.markExecuted(name)
                      return this.process(graph.tasks.get(name)!)
                    })
            }
          } catch (err) {
            result = this.end(name, 'failed', Date.now(), {
              reason: { code: 'error', message: `internal error: ${(err as Error)?.message ?? err}` },
              error: (err as Error)?.stack ?? String(err),
            })
          }
          if (result.status === 'failed' && !this.o.continue) this.stopped = true
          finish(name, result)
        }
        // A remote look-up waits for the network outside the slots: the task queues once it has ended.
        const ahead = this.prefetch(graph.tasks.get(name)!)
        if (ahead) void ahead.then(() => queue.add(job))
        else void queue.add(job)
      }
      // The roots first: a task finished at once (not affected) may make others ready while this loops.
      for (const n of graph.order.filter((m) => waiting.get(m) === 0)) schedule(n)
    })
    if (services) for (const [n, r] of await services.settle()) this.results.set(n, r)
    runtime.close()
    this.state.close()
    await refresh
    if (!this.o.dryRun) this.fingerprinter.save()
    if (!this.o.dryRun && this.ran.length) await this.reportUndeclaredWrites(start)
    // Background uploads of a remote tier: a bounded wait, then abandoned with a warning (the cache warns).
    if (this.o.cache?.flush) await this.o.cache.flush(UPLOAD_FLUSH_MS).catch(() => {})
    const remote = this.o.cache?.remoteStats?.()
    const tasks = graph.order.map((n) => this.results.get(n)!)
    const count = (s: TaskStatus) => tasks.filter((t) => t.status === s).length
    const notAffected = tasks.filter((t) => t.reason.code === 'not-affected').length
    const summary: RunSummary = {
      tasks: tasks.length,
      ran: count('ran'),
      cacheHits: count('cache-hit'),
      upToDate: count('up-to-date'),
      failed: count('failed'),
      skipped: count('skipped'),
      interruptedTasks: count('interrupted'),
      wallMs: Date.now() - start,
      savedMs: tasks.reduce((a, t) => a + t.savedMs, 0),
      interrupted: this.signal.aborted,
      dryRun: this.o.dryRun,
      ...(remote ? { remote } : {}),
    }
    this.o.emit({ type: 'run:end', time: Date.now(), summary })
    const ok =
      summary.failed === 0 && summary.skipped === notAffected && summary.interruptedTasks === 0 && !summary.interrupted
    return { ok, interrupted: summary.interrupted, tasks, summary }
  }

  private runServices(): RunServices {
    return new RunServices({
      root: this.o.root,
      graph: this.o.graph,
      requested: this.o.requested,
      env: this.o.env,
      signal: this.signal,
      dryRun: this.o.dryRun,
      pool: this.o.services,
      emit: this.o.emit,
      argsFor: (n) => this.argsFor(n),
      resultOf: (n) => this.results.get(n),
      end: (n, s, t, x) => {
        const w = this.serviceWindows.get(n)
        if (w) w.endMs = Date.now()
        return this.end(n, s, t, x)
      },
      onFailure: () => {
        if (!this.o.continue) this.stopped = true
      },
    })
  }

  /**
   * Start (or, in watch mode, keep) a service. It runs while other tasks do, so its window counts
   * for undeclared writes (a file it writes is not blamed on a task running beside it); a kept
   * service's window spans the whole run.
   */
  private startService(services: RunServices, task: ResolvedTask): Promise<TaskResult> {
    const { hash, fp } = this.fingerprinter.fingerprint(task)
    if (!this.o.dryRun) {
      const window: RanWindow = { task, startMs: Date.now(), endMs: Infinity }
      this.serviceWindows.set(task.name, window)
      this.ran.push(window)
    }
    return services.start(task, hash, fp?.record)
  }

  /** The signal one task's execution runs under: the run's, plus a service it needs exiting, plus watch mode's per-task one. */
  private taskSignal(name: string): AbortSignal {
    const extra = this.o.taskSignal?.(name)
    const signal = this.services ? this.services.signalFor(name, this.signal) : this.signal
    return extra ? AbortSignal.any([signal, extra]) : signal
  }

  /** A service this task needs exited early: the task fails with the service's exit code. */
  private serviceFailure(
    name: string,
    started: number,
    extra: { runReason?: TaskReason; log?: Buffer } = {},
  ): TaskResult | undefined {
    const dead = this.services?.deadService(name)
    if (!dead) return undefined
    return this.end(name, 'failed', started, {
      reason: { code: 'error', message: `service \`${dead.service}\` exited with code ${dead.exitCode}` },
      exitCode: dead.exitCode,
      error: `service \`${dead.service}\` exited with code ${dead.exitCode}`,
      ...extra,
    })
  }

  private end(
    name: string,
    status: TaskStatus,
    started: number,
    extra: Partial<TaskResult> & { reason: TaskReason; log?: Buffer; outputs?: string[] },
  ): TaskResult {
    const { log, outputs, ...rest } = extra
    const result: TaskResult = {
      name,
      status,
      durationMs: status === 'skipped' ? 0 : Date.now() - started,
      savedMs: 0,
      ...rest,
    }
    this.o.emit({
      type: 'task:end',
      time: Date.now(),
      task: name,
      status,
      reason: result.reason,
      ...(result.runReason ? { runReason: result.runReason } : {}),
      durationMs: result.durationMs,
      savedMs: result.savedMs,
      log: log?.toString(),
      exitCode: result.exitCode,
      error: result.error,
      ...(result.cacheSource ? { cacheSource: result.cacheSource } : {}),
      ...(result.fingerprint ? { fingerprint: result.fingerprint } : {}),
      ...(outputs ? { outputs } : {}),
    })
    return result
  }

  /** The fingerprint over freshly discovered inputs, or undefined (with a warning) when an input cannot be read. */
  private refingerprintOrWarn(
    task: ResolvedTask,
    files: readonly string[],
  ): NonNullable<ReturnType<Fingerprinter['fingerprint']>['fp']> | undefined {
    try {
      return this.fingerprinter.refingerprint(task, files).fp
    } catch (err) {
      this.warn(
        task.name,
        `could not fingerprint the inputs its depfile names (the task will run again next time): ${(err as Error).message}`,
        'depfile-unreadable',
      )
      return undefined
    }
  }

  /** After a run where tasks executed: name the files they wrote outside every declared output (`undeclared.ts`). */
  private async reportUndeclaredWrites(runStart: number): Promise<void> {
    let found: ReturnType<typeof findUndeclaredWrites>
    try {
      // In a git work tree, git lists the candidates (one native walk); elsewhere the whole tree is walked.
      const candidates = await this.fingerprinter.writtenCandidates()
      found = findUndeclaredWrites(this.o.root, runStart, this.ran, [...this.o.graph.tasks.values()], candidates)
    } catch {
      return
    }
    for (const w of found) {
      const files =
        w.files.length > 5 ? `${w.files.slice(0, 5).join(', ')} (+${w.files.length - 5} more)` : w.files.join(', ')
      if (w.tasks.length === 1) {
        this.warn(
          w.tasks[0]!,
          `wrote ${w.files.length === 1 ? 'a file' : `${w.files.length} files`} outside its declared outputs: ${files} (add ${w.files.length === 1 ? 'it' : 'them'} to \`outputs\`, or write under .tasks/ or a temp folder)`,
          'undeclared-write',
        )
      } else {
        this.o.emit({
          type: 'warning',
          time: Date.now(),
          code: 'undeclared-write',
          message: `${w.files.length === 1 ? 'a file' : `${w.files.length} files`} written outside every declared output while ${w.tasks.map((t) => `\`${t}\``).join(', ')} ran at once: ${files} (declare ${w.files.length === 1 ? 'it' : 'them'} in the \`outputs\` of the task that writes ${w.files.length === 1 ? 'it' : 'them'})`,
        })
      }
    }
  }

  private warn(task: string, message: string, code?: WarningCode): void {
    this.o.emit({ type: 'warning', time: Date.now(), task, message, ...(code ? { code } : {}) })
  }

  /**
   * Start the cache look-up of a task that will decide with the cache (`Cache.prefetch`, a remote
   * tier's download pool) before it takes a `--concurrency` slot, or undefined when there is none
   * to start: no prefetching cache, a task that is not cacheable, forced, a depfile task without
   * its header list, or one whose last run had this fingerprint (likely up to date: no download).
   * The look-up writes nothing; {@link decide} takes its result under the task's lock.
   */
  private prefetch(task: ResolvedTask): Promise<void> | undefined {
    const cache = this.o.cache
    if (
      !cache?.prefetch ||
      this.o.force ||
      this.stopped ||
      this.signal.aborted ||
      task.run === undefined ||
      task.service
    )
      return undefined
    const prev = this.state.get(task.name)
    if (task.depfile && !prev?.discovered) return undefined
    let hash: string
    try {
      const f = this.fingerprinter.fingerprint(task)
      if (!f.fp) return undefined
      hash = f.hash
    } catch {
      return undefined // the inputs cannot be read: `process` reports it
    }
    if (prev?.fingerprint === hash) return undefined
    return cache.prefetch(hash, this.signal).catch(() => {})
  }

  /** The task's result when it is up to date (decided without the cache), else undefined (decide again under the lock). */
  private async upToDate(task: ResolvedTask): Promise<TaskResult | undefined> {
    const started = Date.now()
    if (this.signal.aborted || this.stopped) return undefined
    let decision: Decision
    try {
      decision = await decide(task, this.decideContext(task.name, undefined))
    } catch {
      return undefined
    }
    if (decision.kind !== 'up-to-date') return undefined
    const { hash, fp } = this.fingerprinter.fingerprint(task)
    for (const w of fp?.warnings ?? []) this.warn(task.name, w)
    // Early cutoff: dependents key on the output digest this task's state recorded (as in `process`).
    if (decision.state?.outputDigest) this.digests.set(task.name, decision.state.outputDigest)
    return this.end(task.name, 'up-to-date', started, {
      reason: decision.reason,
      fingerprint: fp ? hash : undefined,
      savedMs: decision.state?.durationMs ?? 0,
      value: decision.state?.value,
    })
  }

  private async process(task: ResolvedTask): Promise<TaskResult> {
    const name = task.name
    const started = Date.now()
    if (this.signal.aborted) return this.end(name, 'skipped', started, { reason: { code: 'run-interrupted' } })
    const dead = this.serviceFailure(name, started)
    if (dead) return dead
    if (this.stopped) return this.end(name, 'skipped', started, { reason: { code: 'stopped-after-failure' } })

    let decision: Decision
    try {
      decision = await decide(task, this.decideContext(name, this.o.cache))
    } catch (err) {
      return this.end(name, 'failed', started, {
        reason: { code: 'error', message: `could not fingerprint inputs: ${(err as Error).message}` },
        error: (err as Error).message,
      })
    }
    const { hash, fp } = this.fingerprinter.fingerprint(task)
    for (const w of fp?.warnings ?? []) this.warn(name, w)
    const fingerprint = fp ? hash : undefined

    if (task.run === undefined)
      return this.end(name, decision.kind === 'run' ? 'ran' : 'up-to-date', started, { reason: decision.reason })
    if (decision.kind === 'up-to-date') {
      if (decision.state?.outputDigest) this.digests.set(name, decision.state.outputDigest)
      return this.end(name, 'up-to-date', started, {
        reason: decision.reason,
        fingerprint,
        savedMs: decision.state?.durationMs ?? 0,
        value: decision.state?.value,
      })
    }
    let runReason = decision.reason
    if (decision.kind === 'cache-hit' && fp) {
      const { entry, source } = decision
      const restored: TaskReason = {
        code: 'restored',
        source,
        outputs: entry.outputs.length,
        replayedLog: entry.log !== null,
      }
      if (this.o.dryRun) {
        this.fingerprinter.wouldRestoreFiles(entry.outputs)
        if (task.outputs.length) this.digests.set(name, outputDigest(entry.outputs))
        return this.end(name, 'cache-hit', started, {
          reason: restored,
          fingerprint,
          savedMs: entry.durationMs,
          cacheSource: source,
        })
      }
      const r = await this.o.cache!.restore(this.o.root, { entry, source }).catch((err: unknown) => ({
        ok: false as const,
        reason: `the cache's restore threw: ${(err as Error)?.message ?? err}`,
      }))
      if (r.ok) {
        this.fingerprinter.restored(name, entry.outputs)
        if (r.log.length)
          this.o.emit({
            type: 'task:output',
            time: Date.now(),
            task: name,
            stream: 'stdout',
            text: r.log.toString(),
            replay: true,
          })
        const digest = task.outputs.length ? outputDigest(entry.outputs) : undefined
        if (digest) this.digests.set(name, digest)
        const found = task.depfile ? readDepfile(this.o.root, task.cwd, task.depfile) : undefined
        if (found && 'error' in found) {
          // Without the header list the next fingerprint could miss an edit: run next time instead.
          this.warn(
            name,
            `depfile \`${task.depfile}\` after the restore: ${found.error}; the task will run next time`,
            'depfile-unreadable',
          )
          forgetRun(this.storeContext(name), name)
        } else if (found) {
          const now = this.refingerprintOrWarn(task, found.files)
          if (now) storeRestore(this.storeContext(name), name, now, entry, false, digest, found.files)
          else forgetRun(this.storeContext(name), name)
        } else
          storeRestore(this.storeContext(name), name, fp, entry, this.state.get(name)?.fingerprint === hash, digest)
        return this.end(name, 'cache-hit', started, {
          reason: { ...restored, outputs: r.restored, replayedLog: r.log.length > 0 },
          fingerprint,
          savedMs: entry.durationMs,
          value: entry.value,
          cacheSource: source,
          outputs: entry.outputs.map((o) => o.path),
        })
      }
      this.warn(name, `cache miss: ${r.reason}`, 'cache-restore-failed')
      runReason = { code: 'cache-entry-unusable', detail: r.reason }
    }
    if (this.o.dryRun) return this.end(name, 'ran', started, { reason: runReason, fingerprint, durationMs: 0 })
    return this.execute(task, runReason, fp, started)
  }

  private async execute(
    task: ResolvedTask,
    runReason: TaskReason,
    fp: ReturnType<Fingerprinter['fingerprint']>['fp'],
    started: number,
  ): Promise<TaskResult> {
    const name = task.name
    const cwd = join(this.o.root, task.cwd)
    let isDir = false
    try {
      isDir = statSync(cwd).isDirectory()
    } catch {}
    if (!isDir) {
      // Removed (or replaced by a file) after the config was loaded: say so, not `spawn /bin/sh ENOENT`.
      const message = `task \`${name}\`: its cwd \`${task.cwd}\` (${cwd}) does not exist or is not a folder`
      forgetRun(this.storeContext(name), name)
      return this.end(name, 'failed', started, { reason: { code: 'error', message }, runReason, error: message })
    }
    // Interactive tasks execute alone (`attempts.ts`); entered before the start line, so the prompt follows it.
    await this.gate.enter(task.interactive)
    this.fingerprinter.markExecuted(name)
    this.o.emit({ type: 'task:start', time: started, task: name, reason: runReason })
    const window: RanWindow = { task, startMs: Date.now(), endMs: Infinity }
    this.ran.push(window)
    const deps = Object.fromEntries(
      task.deps.map((d) => [d, { status: this.results.get(d)!.status, value: this.results.get(d)!.value }]),
    )
    const x = await executeWithAttempts(
      task,
      {
        root: this.o.root,
        env: this.o.env,
        args: this.argsFor(name),
        signal: this.taskSignal(name),
        deps,
        onOutput: (stream, text) =>
          this.o.emit({ type: 'task:output', time: Date.now(), task: name, stream, text, replay: false }),
      },
      (attempt, of, previous) =>
        this.warn(name, `attempt ${attempt} of ${of} (the previous one failed: ${previous})`, 'task-retry'),
    ).finally(() => this.gate.leave(task.interactive))
    window.endMs = Date.now()
    const fingerprint = fp?.hash
    if (!x.ok) {
      forgetRun(this.storeContext(name), name)
      const dead = this.serviceFailure(name, started, { runReason, log: x.fullLog })
      if (dead) return dead
      if (x.interrupted)
        return this.end(name, 'interrupted', started, {
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
      return this.end(name, 'failed', started, {
        reason,
        runReason,
        exitCode: x.exitCode,
        error: x.message,
        log: x.fullLog,
        fingerprint,
      })
    }
    const durationMs = Date.now() - started
    let stored: Awaited<ReturnType<typeof storeRun>> | undefined
    if (fp) {
      const found = task.depfile ? readDepfile(this.o.root, task.cwd, task.depfile) : undefined
      if (found && 'error' in found)
        this.warn(
          name,
          `depfile \`${task.depfile}\`: ${found.error}; nothing is stored and the task will run again next time`,
          'depfile-unreadable',
        )
      // The headers just discovered enter the recorded fingerprint (and the cache key): the next run computes the same.
      const now = found && 'files' in found ? this.refingerprintOrWarn(task, found.files) : fp
      stored = await storeRun(
        this.storeContext(name),
        task,
        now ?? fp,
        durationMs,
        x.value,
        x.log,
        found && 'files' in found ? found.files : undefined,
        !!now && !(found && 'error' in found),
      )
      if (stored.outputDigest) this.digests.set(name, stored.outputDigest)
    }
    const outputs = stored?.outputs
    return this.end(name, 'ran', started, {
      reason: runReason,
      runReason,
      fingerprint,
      value: x.value,
      durationMs,
      ...(outputs ? { outputs } : {}),
    })
  }
}
