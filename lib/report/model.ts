/**
 * The run model: one value that says what happened in a run, built from the run's events only (a
 * {@link Reporter} like the others) plus the task graph. The HTML report, `--summarize` JSON,
 * the history line and the GitHub step summary are all renderings of it.
 *
 * What it derives: per task its status, why it ran (the explain diff of its typed reason), when it
 * started and ended (ms from the run's start), its log cut to a budget (the full log stays with
 * the collector, see {@link RunCollector.fullLog}), outputs and cache source; the totals; the
 * critical path (the longest chain of dependencies weighted by this run's durations, as in
 * CPM scheduling); parallelism achieved (busy task time / wall time, and the peak of tasks running
 * at once); CPU time (see `cpu.ts`).
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { RunEvent } from '../model/events.js'
import { cpuBetween, sampleCpu, type CpuSample, type CpuTime } from './cpu.js'
import { excerptLog, findSourceLocation, firstErrorLines, type LogExcerpt, type SourceLocation } from './excerpt.js'
import { reasonCode, reasonDetails, reasonText, type ReasonDetail, type ReasonLike } from './reasons.js'

/** Version of {@link RunModel}'s JSON shape (`--summarize`); see docs/reference/run-summary.md. */
export const RUN_MODEL_SCHEMA = 1

/** A task's outcome in the model: the engine's statuses, plus `'not-run'` for a task that got no end event. */
export type ModelStatus = 'ran' | 'cache-hit' | 'up-to-date' | 'failed' | 'skipped' | 'interrupted' | 'not-run'

/** One task of the run. Times are ms from the run's start. */
export interface TaskModel {
  name: string
  status: ModelStatus
  /** The end reason's code (`input-changed`, `restored`, `exit-code`, …; see docs/design/engine-v2.md). */
  reasonCode: string
  /** The end reason in one line. */
  reason: string
  /** Why it ran (for ran, failed, interrupted): the must-run reason's code. */
  whyCode?: string
  /** Why it ran, in one line. */
  why?: string
  /** The explain diff of why it ran (files, env, deps, …). */
  whyDetails: ReasonDetail[]
  /** Direct dependencies (graph). */
  deps: string[]
  /** ms from the run's start; undefined for a task that never started. */
  startMs?: number
  endMs?: number
  /** Time the task took in this run, ms. */
  durationMs: number
  /** For cache hits and up to date: the stored duration of the run that made the result, ms. */
  savedMs: number
  cacheSource?: 'local' | 'remote'
  exitCode?: number
  error?: string
  /** The log cut for the report (undefined when the task printed nothing). */
  log?: LogExcerpt & { /** Where the whole log was written, when it was. */ path?: string }
  /** First error lines of a failed task, and the project file they point at. */
  failure?: { lines: string[]; location?: SourceLocation }
  outputs?: string[]
  fingerprint?: string
  /** On the critical path. */
  critical: boolean
}

/** A task whose duration moved against the baseline beyond the noise threshold. */
export interface DurationChange {
  task: string
  /** Median of the baseline's runs of the task, ms. */
  baselineMs: number
  currentMs: number
  /** currentMs - baselineMs, ms. */
  deltaMs: number
  /** currentMs / baselineMs - 1 (0.25 = 25 % slower). */
  ratio: number
}

/** The comparison with a baseline (the previous runs of the same command, or a saved baseline). */
export interface Comparison {
  /** What was compared against, e.g. `last 5 runs of \`tasks build\`` or `baseline \`main\``. */
  against: string
  /** Run ids the baseline medians come from. */
  runs: string[]
  /** Threshold used: slower/faster by more than `ratio` and more than `ms`. */
  threshold: { ratio: number; ms: number }
  slower: DurationChange[]
  faster: DurationChange[]
  /** Tasks whose status differs from the previous run: `{ task, from, to }`. */
  statusChanges: { task: string; from: string; to: string }[]
  /** Wall time of the previous run, ms. */
  previousWallMs?: number
}

/** Totals of a run. */
export interface RunCounts {
  tasks: number
  ran: number
  cacheHits: number
  localHits: number
  remoteHits: number
  upToDate: number
  failed: number
  skipped: number
  interrupted: number
  notRun: number
  /** Sum of the stored durations of the cache hits and up-to-date tasks, ms. */
  savedMs: number
}

/** The whole run, as `--summarize` writes it (see docs/reference/run-summary.md). */
export interface RunModel {
  schema: typeof RUN_MODEL_SCHEMA
  runId: string
  /** The command line, e.g. `tasks build test`. */
  command: string
  /** Tasks named on the command line. */
  requested: string[]
  /** ISO 8601 start time. */
  startedAt: string
  root: string
  git?: { head?: string; dirty?: boolean }
  ok: boolean
  interrupted: boolean
  dryRun: boolean
  concurrency?: number
  wallMs: number
  cpu: CpuTime
  parallelism: {
    /** Sum of the tasks' durations in this run / wall time. */
    average: number
    /** Most tasks running at the same time. */
    peak: number
  }
  counts: RunCounts
  criticalPath: { tasks: string[]; durationMs: number }
  /** The first task (by end time) that failed, with its first error lines. */
  firstFailure?: { task: string; lines: string[]; location?: SourceLocation; reason: string }
  /** Up to 10 tasks that took longest in this run. */
  slowest: { task: string; durationMs: number; status: ModelStatus }[]
  /** Tasks in graph order. */
  tasks: TaskModel[]
  warnings: { task?: string; message: string }[]
  comparison?: Comparison
}

/** Options of {@link createRunCollector}. */
export interface CollectorOptions {
  /** Project root (absolute), to find the project files failed logs point at. */
  root: string
  /** Task name -> its direct dependencies (the run's graph). */
  deps: ReadonlyMap<string, readonly string[]>
  /** Task name -> its cwd relative to the root (for paths in logs). */
  cwds?: ReadonlyMap<string, string>
  /** The command line shown in the report, e.g. `tasks build`. @default 'tasks' */
  command?: string
  /** Tasks named on the command line. @default [] */
  requested?: readonly string[]
  /** @default a new id: `YYYYMMDDTHHMMSSZ-xxxxxx` of the start time */
  runId?: string
  /**
   * Characters of log kept per task in the model (failed tasks get 4×). @default
   * 600,000 / tasks, between 400 and 8,000 (1,000 tasks: 600 each).
   */
  logBudget?: number
  /** Keep at most this many characters of each task's whole log for {@link RunCollector.fullLog}. @default 8 MiB */
  maxFullLog?: number
}

/** A reporter that builds the {@link RunModel}. */
export interface RunCollector {
  onEvent(e: RunEvent): void
  close(): Promise<void>
  /** The model of what was seen so far (complete after `run:end`). */
  model(): RunModel
  /** A task's whole log as printed (fresh output and replayed logs), or undefined. */
  fullLog(task: string): string | undefined
  /** The run id. */
  readonly runId: string
}

/** A run id: the start time in UTC (`20261201T081500Z`) and 6 random hex digits. Sorts by time. */
export function newRunId(time = Date.now()): string {
  return `${new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`
}

type End = Extract<RunEvent, { type: 'task:end' }>

/** What the collector saw of one task. */
interface Seen {
  start?: number
  startReason?: ReasonLike
  end?: End
  log: string
  logCapped: boolean
}

/** What the collector saw of the run, filled in by {@link collect}. Times are epoch ms. */
interface Collected {
  seen: Map<string, Seen>
  /** Tasks seen in events but absent from the graph, in order of first sight. */
  order: string[]
  warnings: { task?: string; message: string }[]
  t0?: number
  tEnd?: number
  cpu0?: CpuSample
  cpu1?: CpuSample
  concurrency?: number
  dryRun: boolean
  interrupted: boolean
  /** The run summary's wall time, ms. */
  summaryWall?: number
}

/**
 * Start collecting a run. Feed it every event (`onEvent`), then read `model()`.
 * @example
 * const c = createRunCollector({ root: config.root, deps: new Map([...graph.tasks].map(([n, t]) => [n, t.deps])) })
 * await run({ config, tasks, onEvent: c.onEvent })
 * writeFileSync('summary.json', JSON.stringify(c.model()))
 */
export function createRunCollector(o: CollectorOptions): RunCollector {
  const state: Collected = { seen: new Map(), order: [], warnings: [], dryRun: false, interrupted: false }
  const maxFull = o.maxFullLog ?? 8 * 1024 * 1024
  const runId = o.runId ?? newRunId()
  return {
    runId,
    onEvent: (e) => collect(state, o, maxFull, e),
    async close() {},
    fullLog: (task) => {
      const s = state.seen.get(task)
      return s && s.log ? s.log : undefined
    },
    model: () => buildModel(o, state, runId),
  }
}

/** The record of `task` in `state`, created (and, outside the graph `o.deps`, appended to the order) when first seen. */
function seenTask(state: Collected, o: CollectorOptions, task: string): Seen {
  let s = state.seen.get(task)
  if (!s) {
    state.seen.set(task, (s = { log: '', logCapped: false }))
    if (!o.deps.has(task)) state.order.push(task)
  }
  return s
}

/** Record one event in `state`; each task's streamed log is kept up to `maxFull` characters. */
function collect(state: Collected, o: CollectorOptions, maxFull: number, e: RunEvent): void {
  switch (e.type) {
    case 'run:start':
      state.t0 = e.time
      state.cpu0 = sampleCpu()
      state.concurrency = e.concurrency
      state.dryRun = e.dryRun
      break
    case 'task:start': {
      const s = seenTask(state, o, e.task)
      s.start = e.time
      s.startReason = e.reason
      break
    }
    case 'task:output': {
      const s = seenTask(state, o, e.task)
      if (s.log.length + e.text.length <= maxFull) s.log += e.text
      else s.logCapped = true
      break
    }
    case 'task:ready':
      break
    case 'task:end': {
      const s = seenTask(state, o, e.task)
      s.end = e
      // The end event's log wins when it holds more than was streamed.
      if (e.log && e.log.length > s.log.length) s.log = e.log.slice(0, maxFull)
      break
    }
    case 'warning':
      state.warnings.push({ ...(e.task ? { task: e.task } : {}), message: e.message })
      break
    case 'run:end':
      state.tEnd = e.time
      state.cpu1 = sampleCpu()
      state.summaryWall = e.summary.wallMs
      state.interrupted = e.summary.interrupted
      break
  }
}

/** The model of what `state` holds (complete after `run:end`). Reads the clock when the run has not ended. */
function buildModel(o: CollectorOptions, state: Collected, runId: string): RunModel {
  const start = state.t0 ?? Date.now()
  const names = [...o.deps.keys(), ...state.order]
  const n = names.length
  const budget = o.logBudget ?? Math.max(400, Math.min(8000, Math.floor(600_000 / Math.max(1, n))))
  const tasks = names.map((name) => taskModel(o, name, state.seen.get(name), start, budget))
  const byName = new Map(tasks.map((t) => [t.name, t]))
  const critical = criticalPath(
    names,
    (t) => byName.get(t)?.deps ?? [],
    (t) => byName.get(t)?.durationMs ?? 0,
  )
  for (const c of critical.tasks) byName.get(c)!.critical = true
  const wallMs = state.summaryWall ?? (state.tEnd ?? Date.now()) - start
  const counts = countsOf(tasks)
  const first = tasks.filter((t) => t.status === 'failed').sort((a, b) => (a.endMs ?? 0) - (b.endMs ?? 0))[0]
  const busy = tasks.filter((t) => t.durationMs > 0 && t.startMs !== undefined)
  const interrupted = state.interrupted
  return {
    schema: RUN_MODEL_SCHEMA,
    runId,
    command: o.command ?? 'tasks',
    requested: [...(o.requested ?? [])],
    startedAt: new Date(start).toISOString(),
    root: o.root,
    ok: counts.failed === 0 && counts.skipped === 0 && counts.interrupted === 0 && counts.notRun === 0 && !interrupted,
    interrupted,
    dryRun: state.dryRun,
    ...(state.concurrency !== undefined ? { concurrency: state.concurrency } : {}),
    wallMs,
    cpu:
      state.cpu0 && state.cpu1
        ? cpuBetween(state.cpu0, state.cpu1)
        : { selfMs: 0, totalMs: 0, note: 'the run did not start and end in this collector' },
    parallelism: {
      average: wallMs > 0 ? round2(busy.reduce((a, t) => a + t.durationMs, 0) / wallMs) : 0,
      peak: peakOverlap(busy.map((t) => [t.startMs!, t.startMs! + t.durationMs])),
    },
    counts,
    criticalPath: critical,
    ...(first
      ? {
          firstFailure: {
            task: first.name,
            lines: first.failure!.lines,
            reason: first.reason,
            ...(first.failure!.location ? { location: first.failure!.location } : {}),
          },
        }
      : {}),
    slowest: [...tasks]
      .filter((t) => t.durationMs > 0)
      .sort((a, b) => b.durationMs - a.durationMs)
      .slice(0, 10)
      .map((t) => ({ task: t.name, durationMs: t.durationMs, status: t.status })),
    tasks,
    warnings: state.warnings,
  }
}

/** The totals of `tasks`. */
function countsOf(tasks: readonly TaskModel[]): RunCounts {
  const count = (s: ModelStatus) => tasks.filter((t) => t.status === s).length
  const hits = tasks.filter((t) => t.status === 'cache-hit')
  return {
    tasks: tasks.length,
    ran: count('ran'),
    cacheHits: hits.length,
    localHits: hits.filter((t) => t.cacheSource !== 'remote').length,
    remoteHits: hits.filter((t) => t.cacheSource === 'remote').length,
    upToDate: count('up-to-date'),
    failed: count('failed'),
    skipped: count('skipped'),
    interrupted: count('interrupted'),
    notRun: count('not-run'),
    savedMs: tasks.reduce((a, t) => a + t.savedMs, 0),
  }
}

/**
 * One task of the model from what was seen of it (`s`, undefined when nothing was). `start`: the
 * run's start, epoch ms; `budget`: characters of log kept (4× for a failed task).
 */
function taskModel(o: CollectorOptions, name: string, s: Seen | undefined, start: number, budget: number): TaskModel {
  s ??= { log: '', logCapped: false }
  const e = s.end
  const deps = [...(o.deps.get(name) ?? [])]
  if (!e) {
    return {
      name,
      status: 'not-run',
      reasonCode: 'other',
      reason: s.start !== undefined ? 'started, no end seen' : 'not reached',
      whyDetails: [],
      deps,
      durationMs: 0,
      savedMs: 0,
      critical: false,
      ...(s.start !== undefined
        ? { startMs: s.start - start, whyCode: reasonCode(s.startReason), why: reasonText(s.startReason) }
        : {}),
    }
  }
  const status: ModelStatus = e.status
  const executed = status === 'ran' || status === 'failed' || status === 'interrupted'
  const whyReason = executed ? (e.runReason ?? (status === 'ran' ? e.reason : s.startReason)) : undefined
  const endMs = e.time - start
  const t: TaskModel = {
    name,
    status,
    reasonCode: reasonCode(e.reason),
    reason: reasonText(e.reason),
    whyDetails: reasonDetails(whyReason),
    deps,
    startMs: s.start !== undefined ? s.start - start : Math.max(0, endMs - (e.durationMs ?? 0)),
    endMs,
    durationMs: e.durationMs ?? 0,
    savedMs: e.savedMs ?? 0,
    critical: false,
  }
  if (whyReason !== undefined) {
    t.whyCode = reasonCode(whyReason)
    t.why = reasonText(whyReason)
  }
  if (status === 'cache-hit')
    t.cacheSource = e.cacheSource ?? (e.reason.code === 'restored' ? e.reason.source : 'local')
  if (e.exitCode !== undefined) t.exitCode = e.exitCode
  if (e.error) t.error = e.error
  if (e.outputs) t.outputs = [...e.outputs]
  if (e.fingerprint) t.fingerprint = e.fingerprint
  if (s.log) t.log = excerptLog(s.log, status === 'failed' ? budget * 4 : budget)
  if (s.log && s.logCapped) t.log!.truncated = true
  if (status === 'failed') {
    const lines = firstErrorLines(s.log, e.error)
    const cwd = join(o.root, o.cwds?.get(name) ?? '.')
    const location = findSourceLocation(lines, o.root, cwd)
    t.failure = { lines, ...(location ? { location } : {}) }
  }
  return t
}

const round2 = (x: number) => Math.round(x * 100) / 100

/**
 * The longest path through the graph where each task weighs `weight(task)` ms (the critical path
 * method): `tasks` from the first dependency to the last dependent, and their summed duration.
 * `names` may be in any order; dependencies outside `names` are ignored.
 */
export function criticalPath(
  names: readonly string[],
  deps: (task: string) => readonly string[],
  weight: (task: string) => number,
): { tasks: string[]; durationMs: number } {
  const known = new Set(names)
  const best = new Map<string, { total: number; via?: string }>()
  const visiting = new Set<string>()
  const visit = (t: string): number => {
    const b = best.get(t)
    if (b) return b.total
    if (visiting.has(t)) return 0 // a cycle cannot reach here from the engine; stay finite anyway
    visiting.add(t)
    let top = 0
    let via: string | undefined
    for (const d of deps(t)) {
      if (!known.has(d)) continue
      const v = visit(d)
      if (v > top || via === undefined) {
        top = v
        via = d
      }
    }
    visiting.delete(t)
    const total = top + Math.max(0, weight(t))
    best.set(t, { total, via })
    return total
  }
  let end: string | undefined
  let max = -1
  for (const t of names) {
    const v = visit(t)
    if (v > max) {
      max = v
      end = t
    }
  }
  const path: string[] = []
  for (let t = end; t !== undefined; t = best.get(t)!.via) path.unshift(t)
  return { tasks: max > 0 ? path : [], durationMs: Math.max(0, max) }
}

/** Most intervals `[start, end)` open at the same time. */
export function peakOverlap(intervals: readonly (readonly [number, number])[]): number {
  const points: [number, number][] = []
  for (const [a, b] of intervals) {
    points.push([a, 1])
    points.push([b, -1])
  }
  points.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  let cur = 0,
    peak = 0
  for (const [, d] of points) {
    cur += d
    peak = Math.max(peak, cur)
  }
  return peak
}
