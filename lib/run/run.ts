/**
 * The library's entry points: {@link run} (resolve options, hand the graph to the scheduler) and
 * {@link explain} (the decision for one task, file by file). Where each part lives:
 * `run-context.ts` (what one run shares), `scheduler.ts` (the walk and the queue), `pipeline.ts`
 * (one task: decide, restore or execute, store), `decide.ts` (up to date / cache hit / run),
 * `executor.ts` and `executors/` (running one attempt), `store.ts` (storing results),
 * `../fingerprint/fingerprinter.ts` (fingerprints), `../cache/` (the cache).
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { buildGraph } from '../graph/graph.js'
import { diffRecords, type Change } from '../fingerprint/record.js'
import { changedOutput } from '../cache/state.js'
import { LocalCache } from '../cache/local.js'
import type { Cache } from '../cache/cache.js'
import type { RunSession } from './session.js'
import { formatReason } from '../reason.js'
import { decide, type Decision } from './decide.js'
import { RunContext, type RunContextOptions } from './run-context.js'
import { Scheduler } from './scheduler.js'
import { keysOnOutputs } from './cutoff.js'
import { applyVars } from '../config/vars.js'
import type { RunEvent, RunResult, TaskReason } from '../model/events.js'
import type { LoadedConfig } from '../model/internal.js'
import type { Project } from '../model/project.js'

/** Options of {@link run}. */
export interface RunOptions {
  /** A config from `loadConfig`. */
  config: Project
  /** Names of the tasks to run; their dependencies run first. */
  tasks: readonly string[]
  /** Arguments after `--`: appended to every string command of the requested tasks and part of their fingerprints. */
  args?: readonly string[]
  /** Run every task, ignoring "up to date" and cache hits (results are still stored). @default false */
  force?: boolean
  /**
   * The cache to restore from and store to: any {@link Cache} (e.g. `new MemoryCache()`, a remote
   * tier), `true` for the local one in `<root>/.tasks` (`new LocalCache(<root>/.tasks)`), or `false`:
   * up-to-date checks still apply, nothing is restored or stored. @default true
   */
  cache?: boolean | Cache
  /** Decide and report what would happen without running anything or writing any state. @default false */
  dryRun?: boolean
  /** After a failure, keep starting tasks that do not depend on the failed one. @default false */
  continue?: boolean
  /** Tasks running at once. @default config.concurrency ?? os.availableParallelism() */
  concurrency?: number
  /** Abort the run: running process trees are killed, nothing partial is stored. */
  signal?: AbortSignal
  /** Receives every {@link RunEvent}, in order. Exceptions it throws are ignored. */
  onEvent?: (event: RunEvent) => void
  /** Environment the tasks see and declared `env` values are read from. @default process.env */
  env?: NodeJS.ProcessEnv
  /**
   * In a git work tree, list and digest input files from one git snapshot taken at the start of the
   * run (`git ls-files` + `git status`) instead of walking and stat-ing the tree; tasks downstream
   * of a task that ran in this run walk again. False: always walk. @default true
   */
  git?: boolean
  /**
   * Run only the tasks a change since `base` affects, and what they need (`affected.ts`): `base`
   * is a ref (`main`, `origin/main`, a SHA) whose merge base with HEAD is compared with the work
   * tree; the others are skipped with reason `not-affected`. The result carries `affected`.
   * @default off; `base` defaults to `env.TASKS_AFFECTED_BASE`, else `'main'`
   */
  affected?: { base?: string }
  /**
   * Values of task variables (`--var name=value`), for the tasks that declare them in `vars`
   * (environment variables of the task, part of its fingerprint).
   * @throws {TasksError} `usage` (from `run`) for an undeclared name or a value outside the choices.
   */
  vars?: Readonly<Record<string, string>>
}

/** Why a task would run, or that it is up to date: what `--explain` reports. */
export interface Explanation {
  task: string
  /** Whether the task is cached at all (it declares `inputs`). */
  cacheable: boolean
  fingerprint?: string
  previousFingerprint?: string
  /** True when the fingerprint equals the last successful run's and its outputs are on disk unchanged. */
  upToDate: boolean
  /** One-line summary, e.g. `input changed: src/a.c (+1 more)` (`formatReason` of `why`, or `up to date`). */
  reason: string
  /** The decision's typed reason (the cache is not consulted). */
  why: TaskReason
  /** Every difference to the last successful run, inputs file by file. */
  changes: Change[]
  /** An output recorded by the last run that is now missing or changed. */
  changedOutput?: string
  /** Explanations of the dependencies whose outputs (or, for tasks without outputs, fingerprints) changed, recursively; a shared one is the same object. */
  deps: Explanation[]
}

/**
 * `run()`'s options as the engine reads them: the config in its internal form (every `Project`
 * is a `LoadedConfig` made by `loadConfig`) and watch mode's session, when `watch` passed one.
 */
type EngineOptions = Omit<RunOptions, 'config'> & RunSession & { config: LoadedConfig }

/** `options` read as the engine does (see {@link EngineOptions}). */
function engine<O extends { config: Project }>(options: O): Omit<O, 'config'> & RunSession & { config: LoadedConfig } {
  return options as unknown as Omit<O, 'config'> & RunSession & { config: LoadedConfig }
}

function contextOptions(options: EngineOptions, tasks: readonly string[], dryRun: boolean): RunContextOptions {
  const root = options.config.root
  const cache =
    options.cache === false
      ? undefined
      : options.cache === true || options.cache === undefined
        ? new LocalCache(join(root, '.tasks'))
        : options.cache
  const onEvent = options.onEvent
  return {
    root,
    graph: buildGraph(options.config, tasks),
    requested: tasks,
    args: options.args ?? [],
    // One copy for the run: reading process.env goes through an interceptor on every access.
    env: options.env ?? { ...process.env },
    gitEnv: options.env,
    signal: options.signal ?? new AbortController().signal,
    concurrency: Math.max(1, options.concurrency ?? options.config.concurrency ?? availableParallelism()),
    cache,
    force: !!options.force,
    dryRun,
    continue: !!options.continue,
    git: options.git !== false,
    emit: (e) => {
      try {
        onEvent?.(e)
      } catch {}
    },
    services: options.services,
    taskSignal: options.taskSignal,
  }
}

/**
 * Run `options.tasks` and their dependencies.
 * @returns a {@link RunResult}; `ok` is false when a task failed or the run was interrupted.
 * @throws {TasksError} `unknown-task` or `cycle` before anything runs.
 */
export async function run(runOptions: RunOptions): Promise<RunResult> {
  let options = engine(runOptions)
  // Definitions are compared with the merge base's as written (without `--var` values applied).
  const written = options.config
  options = withVars(options, options.tasks)
  const so = contextOptions(options, options.tasks, !!options.dryRun)
  if (!options.affected) return new Scheduler(so).run()
  const { computeAffected } = await import('./affected.js')
  const report = await computeAffected({
    config: written,
    graph: so.graph,
    ref: options.affected.base,
    env: options.env,
    warn: (message, code) => so.emit({ type: 'warning', time: Date.now(), message, code }),
  })
  const result = await new Scheduler({
    ...so,
    notAffected: { tasks: new Set(report.notAffected), base: report.base ?? report.ref },
  }).run()
  return { ...result, affected: report }
}

/** `options` with `options.vars` (and the declared defaults) applied to the run's tasks. */
function withVars(options: EngineOptions, tasks: readonly string[]): EngineOptions {
  const vars = options.vars ?? {}
  const declares = (t: { vars?: object }) => !!t.vars && Object.keys(t.vars).length > 0
  if (!Object.keys(vars).length && ![...options.config.tasks.values()].some(declares)) return options
  const order = buildGraph(options.config, tasks).order
  return { ...options, config: applyVars(options.config, order, vars) }
}

/**
 * Explain why `task` would run: the same decision as a run (without the cache), its fingerprint
 * now versus the last successful run, file by file. Reads only; writes nothing.
 * @throws {TasksError} `unknown-task` or `cycle`.
 */
export async function explain(explainOptions: Omit<RunOptions, 'tasks'> & { task: string }): Promise<Explanation> {
  let options = engine(explainOptions)
  options = { ...options, config: withVars({ ...options, tasks: [options.task] }, [options.task]).config }
  const ctx = new RunContext(contextOptions({ ...options, tasks: [options.task] }, [options.task], true))
  const { graph } = ctx.o
  await ctx.fingerprinter.prepare()
  // Every task decided in graph order (dependencies first), as a dry run without the cache would:
  // an up-to-date dependency settles with its recorded output digest, one that would run is "changed".
  const decisions = new Map<string, Decision>()
  for (const name of graph.order) {
    const task = graph.tasks.get(name)!
    const d = await decide(task, ctx.decideContext(name, undefined))
    decisions.set(name, d)
    if (keysOnOutputs(task)) ctx.fingerprinter.settle(name, d.kind === 'up-to-date' ? d.state?.outputDigest : undefined)
  }
  const explainOne = (name: string): { x: Explanation; depNames: string[] } => {
    const d = decisions.get(name)!
    const { fingerprint: hash, fp } = d
    const upToDate = d.kind === 'up-to-date'
    const base = { task: name, upToDate, why: d.reason, reason: upToDate ? 'up to date' : formatReason(d.reason) }
    if (!fp) return { x: { ...base, cacheable: false, changes: [], deps: [] }, depNames: [] }
    const prev = ctx.state.get(name)
    if (!prev) return { x: { ...base, cacheable: true, fingerprint: hash, changes: [], deps: [] }, depNames: [] }
    const prevRecord = ctx.state.record(name, prev.fingerprint)
    const changes = prevRecord ? diffRecords(prevRecord, fp.record) : []
    const out = prev.fingerprint === hash ? changedOutput(ctx.o.root, prev.outputs) : undefined
    const depNames = changes.filter((c) => c.kind === 'dep' && graph.tasks.has(c.what)).map((c) => c.what)
    return {
      x: {
        ...base,
        cacheable: true,
        fingerprint: hash,
        previousFingerprint: prev.fingerprint,
        changes,
        changedOutput: out,
        deps: [],
      },
      depNames,
    }
  }
  // Iterative (a chain of changed dependencies may be thousands deep); a shared dependency is explained once.
  const made = new Map<string, Explanation>()
  const rootX = explainOne(options.task)
  made.set(options.task, rootX.x)
  const stack = [rootX]
  while (stack.length) {
    const { x, depNames } = stack.pop()!
    for (const dep of depNames) {
      let child = made.get(dep)
      if (!child) {
        const c = explainOne(dep)
        made.set(dep, (child = c.x))
        stack.push(c)
      }
      x.deps.push(child)
    }
  }
  return rootX.x
}
