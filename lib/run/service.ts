/**
 * The lifecycle of service tasks (`service: true | { readyWhen, timeoutMs }`): long-running tasks
 * that are never cached and never "done". A {@link ServicePool} owns the running services (one
 * per run, or one for a whole watch session: `persistent`); {@link RunServices} is one run's view
 * of it, called by the scheduler: start a service and resolve at readiness, stop it after the last
 * task that depends on it has finished, fail its dependents when it exits early, and keep a
 * service run directly until Ctrl-C. Same model as wireit's services and Nx's continuous tasks.
 */
import { join } from 'node:path'
import { diffRecords, type FingerprintRecord } from '../fingerprint/record.js'
import type { TaskGraph } from '../graph/graph.js'
import { reasonFromChanges } from './decide.js'
import type { Outcome } from './executor.js'
import { taskEnv } from '../util/task-env.js'
import { describeReadyWhen, waitReady } from './readiness.js'
import type { TaskContext } from '../model/config.js'
import type { RunEvent, TaskReason, TaskResult, TaskStatus } from '../model/events.js'
import type { ResolvedTask } from '../model/internal.js'
import { ServiceInstance } from './service-instance.js'

/** How starting a service ended. */
export type StartOutcome =
  | { ok: true; instance: ServiceInstance; reused: boolean; reason: TaskReason }
  | {
      ok: false
      status: TaskStatus
      reason: TaskReason
      runReason: TaskReason
      exitCode?: number
      error: string
      log?: Buffer
    }

/**
 * The running services. A pool for one run stops everything at the run's end; a `persistent` pool
 * (watch mode) keeps services running across runs and restarts one only when its fingerprint
 * changes.
 */
export class ServicePool {
  private readonly live = new Map<string, ServiceInstance>()

  /**
   * @param persistent keep services across runs (watch mode)
   * @param emit where services' `task:output` events go (the current run's or the watch session's `onEvent`)
   */
  constructor(
    readonly persistent: boolean,
    public emit: (e: RunEvent) => void = () => {},
  ) {}

  /** The running (or starting) instance of `name`, if any. */
  get(name: string): ServiceInstance | undefined {
    const i = this.live.get(name)
    return i && i.state !== 'exited' ? i : undefined
  }

  /**
   * Start `task` and wait until it is ready, or (persistent pool) keep the running instance when
   * its fingerprint is unchanged. A running instance with another fingerprint is stopped first.
   * Never throws.
   */
  async start(
    task: ResolvedTask,
    fingerprint: string,
    record: FingerprintRecord | undefined,
    o: {
      root: string
      env: NodeJS.ProcessEnv
      args: readonly string[]
      deps: TaskContext['deps']
      signal: AbortSignal
      onStart(reason: TaskReason): void
    },
  ): Promise<StartOutcome> {
    const name = task.name
    const old = this.live.get(name)
    if (old && old.state !== 'exited' && old.fingerprint === fingerprint && this.persistent) {
      return { ok: true, instance: old, reused: true, reason: { code: 'fingerprint-unchanged' } }
    }
    let reason: TaskReason = { code: 'not-cacheable', why: 'service' }
    if (old) {
      if (old.record && record) {
        const changes = diffRecords(old.record, record)
        if (changes.length) reason = reasonFromChanges(changes, record)
      }
      await old.stop()
      this.live.delete(name)
    }
    o.onStart(reason)
    const svc = task.service!
    const env = taskEnv(task, o.env, o.root) // the service's and its readiness `command` probe's
    const instance = new ServiceInstance(task, fingerprint, record, { ...o, env, emit: (e) => this.emit(e) })
    this.live.set(name, instance)
    const probe = new AbortController()
    const timer = setTimeout(() => probe.abort(), svc.timeoutMs)
    const offExit = instance.onExit(() => probe.abort())
    const onAbort = () => probe.abort()
    o.signal.addEventListener('abort', onAbort, { once: true })
    const ready = await waitReady(svc.readyWhen, {
      cwd: join(o.root, task.cwd),
      env,
      shell: task.shell,
      signal: probe.signal,
      onLine: (l) => instance.onLine(l),
    })
    clearTimeout(timer)
    offExit()
    o.signal.removeEventListener('abort', onAbort)
    if (ready && instance.state !== 'exited') {
      instance.state = 'ready'
      return { ok: true, instance, reused: false, reason }
    }
    const timedOut = instance.state !== 'exited' && !o.signal.aborted
    if (instance.state !== 'exited') await instance.stop()
    this.live.delete(name)
    const x = instance.exit!
    if (o.signal.aborted)
      return {
        ok: false,
        status: 'interrupted',
        reason: { code: 'interrupted' },
        runReason: reason,
        error: 'interrupted',
        log: x.log,
      }
    const tail = instance.lastLines()
    const lastLines = tail.length
      ? `\nlast ${tail.length} line${tail.length === 1 ? '' : 's'} of its log:\n${tail.map((l) => `  ${l}`).join('\n')}`
      : '\nit printed nothing'
    if (timedOut) {
      return {
        ok: false,
        status: 'failed',
        reason: { code: 'timed-out', timeoutMs: svc.timeoutMs },
        runReason: reason,
        error: `service \`${name}\` was not ready after ${svc.timeoutMs} ms (waiting for ${describeReadyWhen(svc.readyWhen)})${lastLines}`,
        log: x.log,
      }
    }
    const exitCode = x.ok ? 0 : x.exitCode
    return {
      ok: false,
      status: 'failed',
      reason: exitCode ? { code: 'exit-code', exitCode } : { code: 'error', message: 'exited before it was ready' },
      runReason: reason,
      exitCode,
      error: `service \`${name}\` exited with code ${exitCode} before it was ready (waiting for ${describeReadyWhen(svc.readyWhen)})${lastLines}`,
      log: x.log,
    }
  }

  /** Stop `name` (its whole tree) and forget it. */
  async stop(name: string): Promise<void> {
    const i = this.live.get(name)
    this.live.delete(name)
    await i?.stop()
  }

  /** Stop every service, in parallel. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((n) => this.stop(n)))
  }
}

/** What {@link RunServices} needs from its scheduler. */
export interface RunServicesOptions {
  root: string
  graph: TaskGraph<ResolvedTask>
  requested: readonly string[]
  env: NodeJS.ProcessEnv
  signal: AbortSignal
  dryRun: boolean
  /** The pool to use (watch mode passes its persistent one); default: a pool of this run only. */
  pool?: ServicePool
  emit(e: RunEvent): void
  argsFor(task: string): readonly string[]
  /** The result of a finished task (for a service's `ctx.deps`). */
  resultOf(task: string): TaskResult | undefined
  /** Emit a task's `task:end` and build its result (the scheduler's). */
  end(
    name: string,
    status: TaskStatus,
    started: number,
    extra: Partial<TaskResult> & { reason: TaskReason; log?: Buffer },
  ): TaskResult
  /** A service failed (its exit stops the run unless `--continue`). */
  onFailure(): void
}

/** One run's services: what the scheduler calls (see the module comment). */
export class RunServices {
  readonly pool: ServicePool
  /** Service -> the tasks of this run that depend on it, directly or not, and have not finished. */
  private readonly waiting = new Map<string, Set<string>>()
  /** Task -> the services it depends on, directly or not. */
  private readonly servicesOf = new Map<string, string[]>()
  private readonly running = new Map<
    string,
    { instance: ServiceInstance; started: number; reason: TaskReason; reused: boolean; ended?: TaskResult }
  >()
  /** Services that ended (exited, stopped or failed to start), with their final results. */
  readonly results = new Map<string, TaskResult>()
  /** Task -> abort controllers of its executions, aborted when a service it needs exits. */
  private readonly controllers = new Map<string, AbortController>()
  private readonly dead = new Map<string, { service: string; exitCode: number }>()

  constructor(private readonly o: RunServicesOptions) {
    this.pool = o.pool ?? new ServicePool(false, o.emit)
    if (o.pool) o.pool.emit = o.emit
    const { graph } = o
    for (const name of graph.order) {
      const deps = new Set<string>()
      for (const d of graph.tasks.get(name)!.deps) {
        if (graph.tasks.get(d)!.service) deps.add(d)
        for (const s of this.servicesOf.get(d) ?? []) deps.add(s)
      }
      this.servicesOf.set(name, [...deps])
      for (const s of deps) {
        if (!this.waiting.has(s)) this.waiting.set(s, new Set())
        this.waiting.get(s)!.add(name)
      }
    }
  }

  /** True when the run has a service. */
  static needed(graph: TaskGraph<ResolvedTask>): boolean {
    return graph.order.some((n) => graph.tasks.get(n)!.service)
  }

  /**
   * Start the service `task` (its dependencies have finished) and resolve at readiness with the
   * provisional result its dependents see (`'ran'`, or `'up-to-date'` when a persistent pool kept
   * it); a failure to start resolves with its final, failed result.
   */
  async start(task: ResolvedTask, fingerprint: string, record: FingerprintRecord | undefined): Promise<TaskResult> {
    const name = task.name
    const started = Date.now()
    if (this.o.signal.aborted)
      return this.final(name, this.o.end(name, 'skipped', started, { reason: { code: 'run-interrupted' } }))
    if (this.o.dryRun)
      return this.final(
        name,
        this.o.end(name, 'ran', started, { reason: { code: 'not-cacheable', why: 'service' }, durationMs: 0 }),
      )
    const deps = Object.fromEntries(
      task.deps.map((d) => [d, { status: this.o.resultOf(d)!.status, value: this.o.resultOf(d)!.value }]),
    )
    const r = await this.pool.start(task, fingerprint, record, {
      root: this.o.root,
      env: this.o.env,
      args: this.o.argsFor(name),
      deps,
      signal: this.o.signal,
      onStart: (reason) => this.o.emit({ type: 'task:start', time: Date.now(), task: name, reason }),
    })
    if (!r.ok) {
      if (r.status === 'failed') this.o.onFailure()
      return this.final(
        name,
        this.o.end(name, r.status, started, {
          reason: r.reason,
          runReason: r.runReason,
          exitCode: r.exitCode,
          error: r.error,
          log: r.log,
        }),
      )
    }
    const waited = describeReadyWhen(task.service!.readyWhen)
    if (!r.reused) this.o.emit({ type: 'task:ready', time: Date.now(), task: name, waited })
    const entry = { instance: r.instance, started, reason: r.reason, reused: r.reused }
    this.running.set(name, entry)
    r.instance.onExit((x) => this.exited(name, entry, x))
    // A service nothing else in this run needs and nobody asked for directly: stop it now.
    if (!this.waiting.get(name)?.size && !this.o.requested.includes(name)) void this.release(name)
    return {
      name,
      status: r.reused ? 'up-to-date' : 'ran',
      durationMs: Date.now() - started,
      savedMs: 0,
      reason: r.reason,
      fingerprint,
    }
  }

  /** A service exited: expected when stopped; else it fails, and so do the tasks still needing it. */
  private exited(
    name: string,
    entry: { instance: ServiceInstance; started: number; reason: TaskReason; ended?: TaskResult },
    x: Outcome,
  ): void {
    if (entry.ended || this.running.get(name) !== entry) return
    this.running.delete(name)
    if (entry.instance.stopping || this.o.signal.aborted) {
      const status: TaskStatus = this.o.signal.aborted && !entry.instance.stopping ? 'interrupted' : 'ran'
      entry.ended = this.final(
        name,
        this.o.end(name, status, entry.started, {
          reason: status === 'ran' ? entry.reason : { code: 'interrupted' },
          runReason: entry.reason,
        }),
      )
      return
    }
    const exitCode = x.ok ? 0 : x.exitCode
    if (!exitCode && !this.waiting.get(name)?.size) {
      entry.ended = this.final(
        name,
        this.o.end(name, 'ran', entry.started, { reason: entry.reason, runReason: entry.reason }),
      )
      return
    }
    this.o.onFailure()
    for (const t of this.waiting.get(name) ?? []) {
      this.dead.set(t, { service: name, exitCode })
      this.controllers.get(t)?.abort()
    }
    entry.ended = this.final(
      name,
      this.o.end(name, 'failed', entry.started, {
        reason: exitCode
          ? { code: 'exit-code', exitCode }
          : { code: 'error', message: 'the service exited while tasks depending on it still ran' },
        runReason: entry.reason,
        exitCode,
        error: `service \`${name}\` exited with code ${exitCode}`,
      }),
    )
  }

  private final(name: string, r: TaskResult): TaskResult {
    this.results.set(name, r)
    return r
  }

  /**
   * The signal a dependent's execution runs under: the run's, also aborted when a service it needs
   * exits (the task then fails with that exit code, see {@link deadService}).
   */
  signalFor(task: string, signal: AbortSignal): AbortSignal {
    if (!this.servicesOf.get(task)?.length) return signal
    const ac = new AbortController()
    this.controllers.set(task, ac)
    if (this.dead.has(task)) ac.abort()
    return AbortSignal.any([signal, ac.signal])
  }

  /** The service `task` needs that exited early, with its exit code (the task fails with it). */
  deadService(task: string): { service: string; exitCode: number } | undefined {
    return this.dead.get(task)
  }

  /** `task` finished: a service whose last dependent it was is stopped (unless requested directly or the pool is persistent). */
  finished(task: string): void {
    this.controllers.delete(task)
    for (const s of this.servicesOf.get(task) ?? []) {
      const w = this.waiting.get(s)!
      w.delete(task)
      if (!w.size && !this.o.requested.includes(s)) void this.release(s)
    }
  }

  private async release(name: string): Promise<void> {
    if (this.pool.persistent) return
    const entry = this.running.get(name)
    if (!entry) return
    await entry.instance.stop()
  }

  /**
   * After every task ended: wait for the services run directly (until they exit or the run is
   * aborted), stop the rest (a persistent pool keeps them and reports them as running), and return
   * their final results.
   */
  async settle(): Promise<Map<string, TaskResult>> {
    if (this.pool.persistent) {
      for (const [name, e] of this.running) {
        if (e.ended) continue
        e.ended = this.final(
          name,
          this.o.end(name, e.reused ? 'up-to-date' : 'ran', e.started, {
            reason: e.reused ? { code: 'fingerprint-unchanged' } : e.reason,
            ...(e.reused ? {} : { runReason: e.reason }),
          }),
        )
      }
      this.running.clear()
      return this.results
    }
    await Promise.all(
      [...this.running.entries()].map(([name, e]) =>
        this.o.requested.includes(name) ? e.instance.exited : e.instance.stop(),
      ),
    )
    // Exits are reported by `exited`; anything still running (never here) is stopped.
    await this.pool.stopAll()
    return this.results
  }
}
