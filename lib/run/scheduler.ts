/**
 * The scheduler walks the task graph: it starts each task as soon as its dependencies succeeded
 * (up to `concurrency` at once, with p-queue), skips the dependents of a failed or skipped task,
 * stops starting tasks after a failure (unless `--continue`), and ends with the run's summary.
 * What happens to one task (decide, restore or execute, store) is its pipeline's (`pipeline.ts`);
 * the parts the run shares are its context's (`run-context.ts`). Never prints, never calls
 * `process.exit`, never touches the file system itself.
 */
import type { Runtime } from './runtime.js'
import { keysOnOutputs } from './cutoff.js'
import type { Executor } from './executor.js'
import { TaskPipeline } from './pipeline.js'
import { RunContext, type RunContextOptions } from './run-context.js'
import type { RunServices } from './service.js'
import type { RunResult, RunSummary, TaskReason, TaskResult, TaskStatus } from '../model/events.js'

/** Longest wait for a cache's background uploads at the end of a run, ms. */
const UPLOAD_FLUSH_MS = 20_000

/** What a {@link Scheduler} needs (resolved from `RunOptions` by `run.ts`): the run context's options. */
export type SchedulerOptions = RunContextOptions

/** One run of the graph. Use once. */
export class Scheduler {
  readonly ctx: RunContext
  private readonly pipeline: TaskPipeline

  /** @param executor runs each attempt of a task (default: the local executor) */
  constructor(o: SchedulerOptions, executor?: Executor) {
    this.ctx = new RunContext(o)
    this.pipeline = new TaskPipeline(this.ctx, executor)
  }

  /** Run the graph: every task decided, restored or executed, stored; resolves when all have ended. */
  async run(): Promise<RunResult> {
    const unlink = this.ctx.link()
    try {
      return await this.runGraph()
    } finally {
      unlink()
    }
  }

  private async runGraph(): Promise<RunResult> {
    const { ctx } = this
    const { o, fingerprinter } = ctx
    const start = Date.now()
    o.emit({ type: 'run:start', time: start, tasks: o.graph.order, concurrency: o.concurrency, dryRun: o.dryRun })
    const [{ default: PQueue }] = await Promise.all([import('p-queue'), fingerprinter.prepare()])
    const runtime = ctx.startRuntime()
    // A stale git index (copied or touched tree) is refreshed beside the run, so the next run's `git status` is fast again.
    const refresh = o.dryRun ? undefined : fingerprinter.refreshGitIndex()
    const queue = new PQueue({ concurrency: o.concurrency })
    const services = ctx.startServices()
    await this.walk((name, job) => {
      // A remote look-up waits for the network outside the slots: the task queues once it has ended.
      const ahead = this.pipeline.prefetch(o.graph.tasks.get(name)!)
      if (ahead) void ahead.then(() => queue.add(() => job(runtime, services)))
      else void queue.add(() => job(runtime, services))
    })
    if (services) for (const [n, r] of await services.settle()) ctx.results.set(n, r)
    ctx.close()
    await refresh
    if (!o.dryRun) fingerprinter.save()
    if (!o.dryRun && ctx.ran.length) await ctx.reportUndeclaredWrites(start)
    // Background uploads of a remote tier: a bounded wait, then abandoned with a warning (the cache warns).
    if (o.cache?.flush) await o.cache.flush(UPLOAD_FLUSH_MS).catch(() => {})
    return this.summarize(start)
  }

  /**
   * Walk the graph: the roots first, then each task once its dependencies have finished. A task
   * that must not run (not affected, a dependency failed or was skipped) ends at once; the others
   * are handed to `enqueue` with the job that runs them. Resolves when every task has ended.
   */
  private walk(
    enqueue: (name: string, job: (runtime: Runtime, services?: RunServices) => Promise<void>) => void,
  ): Promise<void> {
    const { ctx } = this
    const { graph } = ctx.o
    const waiting = new Map(graph.order.map((n) => [n, graph.tasks.get(n)!.deps.length]))
    return new Promise<void>((resolveAll) => {
      let left = graph.order.length
      if (left === 0) return resolveAll()
      const finish = (name: string, result: TaskResult) => {
        this.settle(name, result)
        if (--left === 0) resolveAll()
        for (const d of graph.dependents.get(name)!) {
          const n = waiting.get(d)! - 1
          waiting.set(d, n)
          if (n === 0) schedule(d)
        }
      }
      const schedule = (name: string) => {
        const ended = this.endEarly(name)
        if (ended) return finish(name, ended)
        enqueue(name, async (runtime, services) => {
          const result = await this.runTask(name, runtime, services)
          if (result.status === 'failed' && !ctx.o.continue) ctx.stopped = true
          finish(name, result)
        })
      }
      // The roots first: a task finished at once (not affected) may make others ready while this loops.
      for (const n of graph.order.filter((m) => waiting.get(m) === 0)) schedule(n)
    })
  }

  /** The result of a task that ends before it is queued: not affected, or a dependency did not succeed; else undefined. */
  private endEarly(name: string): TaskResult | undefined {
    const { ctx } = this
    const { graph, notAffected } = ctx.o
    // Not affected: its dependents are not affected either (`affected.ts` keeps what affected tasks need).
    if (notAffected?.tasks.has(name))
      return ctx.end(name, 'skipped', Date.now(), { reason: { code: 'not-affected', base: notAffected.base } })
    const blocked = graph.tasks.get(name)!.deps.find((d) => {
      const r = ctx.results.get(d)
      const s = r?.status
      return s === 'failed' || (s === 'skipped' && r!.reason.code !== 'not-affected') || s === 'interrupted'
    })
    if (!blocked) return undefined
    const s = ctx.results.get(blocked)!.status
    const reason: TaskReason =
      s === 'interrupted'
        ? { code: 'run-interrupted' }
        : s === 'skipped'
          ? { code: 'dependency-skipped', dependency: blocked }
          : { code: 'dependency-failed', dependency: blocked }
    return ctx.end(name, 'skipped', Date.now(), { reason })
  }

  /** Record a task's result; what its dependents key on: the output digest its outcome left (early cutoff), else the fingerprint. */
  private settle(name: string, result: TaskResult): void {
    const { ctx } = this
    ctx.results.set(name, result)
    ctx.services?.finished(name)
    if (keysOnOutputs(ctx.o.graph.tasks.get(name)!))
      ctx.fingerprinter.settle(
        name,
        result.status === 'failed' || result.status === 'skipped' || result.status === 'interrupted'
          ? undefined
          : ctx.digests.get(name),
      )
  }

  /** One task in its slot: the lock-free up-to-date check, else its pipeline under its lock (or a service's start). */
  private async runTask(name: string, runtime: Runtime, services?: RunServices): Promise<TaskResult> {
    const { ctx } = this
    const task = ctx.o.graph.tasks.get(name)!
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
      if (task.run !== undefined && !services && !ctx.o.dryRun && runtime.lockFree(task)) {
        const result = await this.pipeline.upToDate(task)
        if (result) return result
      }
      if (task.service && services) return await this.pipeline.startService(task)
      return await runtime.withTaskLock(task, (waited) => {
        // A task another process held the lock of may have new outputs: its dependents walk the disk.
        if (waited) ctx.fingerprinter.markExecuted(name)
        return this.pipeline.process(task)
      })
    } catch (err) {
      return ctx.end(name, 'failed', Date.now(), {
        reason: { code: 'error', message: `internal error: ${(err as Error)?.message ?? err}` },
        error: (err as Error)?.stack ?? String(err),
      })
    }
  }

  /** The run's summary (`run:end` emitted) and result, from every task's result in graph order. */
  private summarize(start: number): RunResult {
    const { ctx } = this
    const remote = ctx.cache?.remoteStats?.()
    const tasks = ctx.o.graph.order.map((n) => ctx.results.get(n)!)
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
      interrupted: ctx.signal.aborted,
      dryRun: ctx.o.dryRun,
      ...(remote ? { remote } : {}),
    }
    ctx.o.emit({ type: 'run:end', time: Date.now(), summary })
    const ok =
      summary.failed === 0 && summary.skipped === notAffected && summary.interruptedTasks === 0 && !summary.interrupted
    return { ok, interrupted: summary.interrupted, tasks, summary }
  }
}
