/**
 * The parts one run shares between its scheduler (`scheduler.ts`) and each task's pipeline
 * (`pipeline.ts`), and that `explain` uses alone: the state store, the fingerprinter, the task
 * locks (the run's {@link Runtime}), the cache, the run's signal, the event emitter with the one
 * {@link RunContext.warn} and {@link RunContext.end}, and what the run has learnt so far (results,
 * output digests, the windows of the tasks that executed, whether it stops after a failure).
 */
import { setMaxListeners } from 'node:events'
import { join } from 'node:path'
import { StateStore } from '../cache/state.js'
import type { Cache } from '../cache/cache.js'
import { Fingerprinter } from '../fingerprint/fingerprinter.js'
import type { TaskGraph } from '../graph/graph.js'
import { keysOnOutputs } from './cutoff.js'
import type { DecideContext } from './decide.js'
import { TaskLocks } from '../process/lock.js'
import { startRuntime, type Runtime } from './runtime.js'
import { RunServices, type ServicePool } from './service.js'
import type { StoreContext } from './store.js'
import { findUndeclaredWrites, undeclaredWarnings, type RanWindow } from './undeclared.js'
import type { RunEvent, TaskReason, TaskResult, TaskStatus, WarningCode } from '../model/events.js'
import type { ResolvedTask } from '../model/internal.js'

/** What a run needs (resolved from `RunOptions` by `run.ts`). */
export interface RunContextOptions {
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

/** What {@link RunContext.end} records besides the status: the result's fields, the log and outputs for the event. */
export type EndExtra = Partial<TaskResult> & { reason: TaskReason; log?: Buffer; outputs?: string[] }

/** One run's shared parts (see the module comment). Use for one run (or one `explain`). */
export class RunContext {
  readonly state: StateStore
  readonly fingerprinter: Fingerprinter
  /**
   * The run's own signal, aborted with the caller's ({@link link}): every task's commands, locks
   * and shells listen on it (thousands of tasks, so no MaxListenersExceededWarning), and only one
   * listener sits on the caller's.
   */
  readonly signal: AbortSignal
  /** Finished tasks' results. */
  readonly results = new Map<string, TaskResult>()
  /** Task -> the digest of its outputs after its outcome in this run (undefined: unknown, a dry run's "would run"). */
  readonly digests = new Map<string, string>()
  /** Tasks that executed in this run, with their wall-clock windows (undeclared writes are attributed by them). */
  readonly ran: RanWindow[] = []
  /** A task failed without `--continue`: no more tasks start. */
  stopped = false
  /** This run's services (when its graph has one), from {@link startServices}. */
  services?: RunServices
  private readonly controller = new AbortController()
  /** Service -> its window in {@link ran} (closed when the service ends in this run). */
  private readonly serviceWindows = new Map<string, RanWindow>()
  private runtime?: Runtime

  constructor(readonly o: RunContextOptions) {
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

  /** The cache to restore from and store to (undefined: off). */
  get cache(): Cache | undefined {
    return this.o.cache
  }

  /** Abort the run's signal when the caller's aborts; returns the function that unlinks them. */
  link(): () => void {
    const onAbort = () => this.controller.abort(this.o.signal.reason)
    this.o.signal.addEventListener('abort', onAbort, { once: true })
    return () => this.o.signal.removeEventListener('abort', onAbort)
  }

  /** The arguments after `--` that `name` receives (only requested tasks get them). */
  argsFor(name: string): readonly string[] {
    return this.o.requested.includes(name) ? this.o.args : []
  }

  /**
   * Emit a warning. `task`: the task it is about (undefined: the run's); `code`: its class, when it
   * has one (reporters and `--json` readers filter on it).
   */
  warn(task: string | undefined, code: WarningCode | undefined, message: string): void {
    this.o.emit({
      type: 'warning',
      time: Date.now(),
      ...(task !== undefined ? { task } : {}),
      message,
      ...(code ? { code } : {}),
    })
  }

  /** The context {@link decide} reads for `task` (`cache` undefined: no cache look-up). */
  decideContext(task: string, cache: Cache | undefined): DecideContext {
    return {
      root: this.o.root,
      fingerprinter: this.fingerprinter,
      state: this.state,
      cache,
      force: this.o.force,
      signal: this.signal,
      statusOf: (d) => this.results.get(d)?.status,
      warn: (m, code) => this.warn(task, code, m),
    }
  }

  /** The context the store functions (`store.ts`) use for `task`. */
  storeContext(task: string): StoreContext {
    return {
      root: this.o.root,
      state: this.state,
      cache: this.o.cache,
      warn: (m, code) => this.warn(task, code, m),
    }
  }

  /**
   * End task `name`: build its result and emit its `task:end`. `durationMs` is measured from
   * `started` (epoch ms) unless `extra` gives it; a skipped task took 0 ms.
   */
  end(name: string, status: TaskStatus, started: number, extra: EndExtra): TaskResult {
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

  /**
   * Per-run process hygiene and the task locks (`runtime.ts`): temp folder, stale temp files and
   * locks swept, leftover trees reaped. Call once, when the run starts.
   */
  startRuntime(): Runtime {
    return (this.runtime = startRuntime({
      root: this.o.root,
      dir: join(this.o.root, '.tasks'),
      signal: this.signal,
      dryRun: this.o.dryRun,
      warn: (task, code, message) => this.warn(task, code, message),
    }))
  }

  /** This run's services, or undefined when its graph has none (`service.ts`). Call once. */
  startServices(): RunServices | undefined {
    if (!RunServices.needed(this.o.graph)) return undefined
    return (this.services = new RunServices({
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
    }))
  }

  /** Record that `window`'s task started executing (a service: its window closes when it ends in this run). */
  executing(window: RanWindow, service = false): void {
    if (service) this.serviceWindows.set(window.task.name, window)
    this.ran.push(window)
  }

  /** The signal one task's execution runs under: the run's, plus a service it needs exiting, plus watch mode's per-task one. */
  taskSignal(name: string): AbortSignal {
    const extra = this.o.taskSignal?.(name)
    const signal = this.services ? this.services.signalFor(name, this.signal) : this.signal
    return extra ? AbortSignal.any([signal, extra]) : signal
  }

  /** When a service `name` needs exited early: the task ends failed with the service's exit code; else undefined. */
  serviceFailure(
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

  /** End of the run's tasks: the procs file brought up to date and the state store closed. Never throws. */
  close(): void {
    this.runtime?.close()
    this.state.close()
  }

  /** After a run where tasks executed: name the files they wrote outside every declared output (`undeclared.ts`). */
  async reportUndeclaredWrites(runStart: number): Promise<void> {
    let found: ReturnType<typeof findUndeclaredWrites>
    try {
      // In a git work tree, git lists the candidates (one native walk); elsewhere the whole tree is walked.
      const candidates = await this.fingerprinter.writtenCandidates()
      found = findUndeclaredWrites(this.o.root, runStart, this.ran, [...this.o.graph.tasks.values()], candidates)
    } catch {
      return
    }
    for (const w of undeclaredWarnings(found)) this.warn(w.task, 'undeclared-write', w.message)
  }
}
