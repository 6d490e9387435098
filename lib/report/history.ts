/**
 * Run history: one JSON line per run in `.tasks/history.jsonl` (schema in docs/reference/run-summary.md),
 * bounded in size, saved baselines in `.tasks/baselines/<name>.json`, and the duration
 * comparison behind `--compare` and `--fail-on-regression`: a task is slower when it took more
 * than 20 % *and* more than 100 ms over its baseline (the median of its last 5 runs of the same
 * command that ran it, by default), like a benchmark's noise band.
 *
 * Everything read back is validated line by line; a broken line is skipped and counted, never fatal.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { TasksError } from '../errors.js'
import { writeFileAtomic } from '../util/fs.js'
import type { Comparison, DurationChange, ModelStatus, RunCounts, RunModel } from './model.js'

/** Version of a history line. */
export const HISTORY_SCHEMA = 1

/** One task in a history line. */
export interface HistoryTask {
  name: string
  status: ModelStatus
  /** The reason code (docs/design/engine-v2.md), e.g. `input-changed`, `restored`, `exit-code`. */
  reason: string
  /** ms in this run. */
  durationMs: number
  cacheSource?: 'local' | 'remote'
}

/** One line of `.tasks/history.jsonl`. */
export interface HistoryEntry {
  v: typeof HISTORY_SCHEMA
  id: string
  /** ISO 8601 start time. */
  time: string
  /** e.g. `tasks build -- --verbose`: what runs are compared by. */
  command: string
  git?: { head?: string; dirty?: boolean }
  ok: boolean
  interrupted: boolean
  wallMs: number
  cpuMs?: number
  totals: RunCounts
  tasks: HistoryTask[]
}

/** Limits of the history file. */
export interface HistoryLimits {
  /** When the file grows beyond this many bytes, it is rewritten with the newest runs that fit in half of it. @default 16 MiB */
  maxBytes?: number
  /** At most this many runs are kept when trimming. @default 1000 */
  maxRuns?: number
}

/** The comparison's noise band. */
export interface Threshold {
  /** Relative change, 0.2 = 20 %. @default 0.2 */
  ratio: number
  /** Absolute change, ms. @default 100 */
  ms: number
}

/** Default noise band: > 20 % and > 100 ms. */
export const DEFAULT_THRESHOLD: Threshold = { ratio: 0.2, ms: 100 }
/** Default number of previous runs whose median is the baseline. */
export const DEFAULT_BASELINE_RUNS = 5

/** `.tasks/history.jsonl` under a project root. */
export function historyFile(root: string): string {
  return join(root, '.tasks', 'history.jsonl')
}

/** The history line of a run model. */
export function toHistoryEntry(m: RunModel): HistoryEntry {
  return {
    v: HISTORY_SCHEMA,
    id: m.runId,
    time: m.startedAt,
    command: m.command,
    ...(m.git ? { git: m.git } : {}),
    ok: m.ok,
    interrupted: m.interrupted,
    wallMs: m.wallMs,
    ...(m.cpu.totalMs ? { cpuMs: Math.round(m.cpu.totalMs) } : {}),
    totals: m.counts,
    tasks: m.tasks.map((t) => ({
      name: t.name,
      status: t.status,
      reason: t.reasonCode,
      durationMs: t.durationMs,
      ...(t.cacheSource ? { cacheSource: t.cacheSource } : {}),
    })),
  }
}

/**
 * Append one run to the history (one `write` of one line with O_APPEND, so concurrent runs do not
 * interleave), then trim the file when it outgrew `maxBytes`.
 * @throws the fs error when the folder cannot be written
 */
export function appendHistory(root: string, entry: HistoryEntry, limits: HistoryLimits = {}): void {
  const file = historyFile(root)
  mkdirSync(join(root, '.tasks'), { recursive: true })
  appendFileSync(file, JSON.stringify(entry) + '\n')
  const maxBytes = limits.maxBytes ?? 16 * 1024 * 1024
  if (statSync(file).size > maxBytes) trimHistory(file, Math.floor(maxBytes / 2), limits.maxRuns ?? 1000)
}

function trimHistory(file: string, keepBytes: number, maxRuns: number): void {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
  const kept: string[] = []
  let size = 0
  for (let i = lines.length - 1; i >= 0 && kept.length < maxRuns; i--) {
    const line = lines[i]!
    if (size + line.length + 1 > keepBytes && kept.length > 0) break
    kept.unshift(line)
    size += line.length + 1
  }
  writeFileAtomic(file, kept.join('\n') + '\n')
}

/** Whether `x` has the shape of a {@link HistoryEntry}. */
export function isHistoryEntry(x: unknown): x is HistoryEntry {
  const e = x as HistoryEntry
  return (
    !!e &&
    typeof e === 'object' &&
    e.v === HISTORY_SCHEMA &&
    typeof e.id === 'string' &&
    typeof e.time === 'string' &&
    typeof e.command === 'string' &&
    typeof e.wallMs === 'number' &&
    Array.isArray(e.tasks) &&
    !!e.totals &&
    typeof e.totals === 'object' &&
    e.tasks.every(
      (t) =>
        t &&
        typeof t.name === 'string' &&
        typeof t.status === 'string' &&
        typeof t.durationMs === 'number' &&
        Number.isFinite(t.durationMs),
    )
  )
}

/** Every valid run of the history, oldest first; `skipped` counts the lines that were not. */
export function readHistory(root: string): { runs: HistoryEntry[]; skipped: number } {
  let text = ''
  try {
    text = readFileSync(historyFile(root), 'utf8')
  } catch {
    return { runs: [], skipped: 0 }
  }
  const runs: HistoryEntry[] = []
  let skipped = 0
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const x = JSON.parse(line)
      if (isHistoryEntry(x)) runs.push(x)
      else skipped++
    } catch {
      skipped++
    }
  }
  return { runs, skipped }
}

const baselineDir = (root: string) => join(root, '.tasks', 'baselines')
const NAME = /^[\w.-]{1,64}$/

/**
 * Pin a run as the baseline `name` (`tasks history --baseline save NAME`).
 * @throws {TasksError} `usage` for a bad name or when there is no such run
 */
export function saveBaseline(root: string, name: string, run: HistoryEntry): string {
  if (!NAME.test(name))
    throw new TasksError(
      'usage',
      `baseline name \`${name}\` is not valid`,
      {},
      'use letters, digits, `.`, `_` and `-` (at most 64)',
    )
  mkdirSync(baselineDir(root), { recursive: true })
  const file = join(baselineDir(root), `${name}.json`)
  writeFileAtomic(file, JSON.stringify(run) + '\n')
  return file
}

/** The saved baseline `name`, or undefined (missing or not a valid run). */
export function readBaseline(root: string, name: string): HistoryEntry | undefined {
  if (!NAME.test(name)) return undefined
  try {
    const x = JSON.parse(readFileSync(join(baselineDir(root), `${name}.json`), 'utf8'))
    return isHistoryEntry(x) ? x : undefined
  } catch {
    return undefined
  }
}

/** Names of the saved baselines. */
export function listBaselines(root: string): string[] {
  if (!existsSync(baselineDir(root))) return []
  return readdirSync(baselineDir(root))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort()
}

/** The median of `xs` (the mean of the two middle values for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2 // 0 <= m - 1 < m < s.length: s is not empty
}

/** What a comparison is against. */
export type CompareTarget =
  { kind: 'previous'; runs?: number } | { kind: 'run'; id: string } | { kind: 'baseline'; name: string }

/**
 * Resolve `--compare [RUN|baseline]`: no value = the previous runs of the same command; a saved
 * baseline's name; or a run id (a unique prefix is enough).
 * @throws {TasksError} `usage` when the value names neither
 */
export function resolveCompareTarget(
  root: string,
  value: string | true | undefined,
  history: readonly HistoryEntry[],
): CompareTarget {
  if (value === undefined || value === true || value === '' || value === 'previous') return { kind: 'previous' }
  if (readBaseline(root, value)) return { kind: 'baseline', name: value }
  const ids = history.filter((r) => r.id.startsWith(value))
  if (ids.length === 1) return { kind: 'run', id: ids[0]!.id }
  const names = listBaselines(root)
  throw new TasksError(
    'usage',
    ids.length > 1
      ? `\`--compare ${value}\` matches ${ids.length} runs`
      : `\`--compare ${value}\` is neither a saved baseline nor a run id`,
    {},
    names.length
      ? `saved baselines: ${names.map((n) => `\`${n}\``).join(', ')}; \`tasks history\` lists run ids`
      : 'save one with `tasks history --baseline save NAME`; `tasks history` lists run ids',
  )
}

/** Durations of executed tasks (`ran`) in a run. */
const ranDurations = (r: HistoryEntry) =>
  new Map(r.tasks.filter((t) => t.status === 'ran').map((t) => [t.name, t.durationMs]))

/**
 * Compare `current` with `target` in `history` (which may include `current` itself: it is left
 * out). Only tasks that ran (a command executed) in both are compared; for `previous`, each task's
 * baseline is the median of its last `runs` (default 5) runs of the same command that ran it.
 * @returns undefined when there is nothing to compare against (no previous run of the command)
 */
export function compareRun(
  current: HistoryEntry,
  target: CompareTarget,
  history: readonly HistoryEntry[],
  root: string,
  threshold: Threshold = DEFAULT_THRESHOLD,
): Comparison | undefined {
  const others = history.filter((r) => r.id !== current.id)
  let base = new Map<string, number>()
  let runs: string[]
  let against: string
  let previous: HistoryEntry | undefined
  if (target.kind === 'previous') {
    const same = others.filter((r) => r.command === current.command && !r.interrupted)
    if (same.length === 0) return undefined
    previous = same[same.length - 1]
    const n = target.runs ?? DEFAULT_BASELINE_RUNS
    const used = new Set<string>()
    const names = new Set(current.tasks.map((t) => t.name))
    for (const name of names) {
      const xs: number[] = []
      for (let i = same.length - 1; i >= 0 && xs.length < n; i--) {
        const t = same[i]!.tasks.find((x) => x.name === name && x.status === 'ran')
        if (t) {
          xs.push(t.durationMs)
          used.add(same[i]!.id)
        }
      }
      if (xs.length) base.set(name, median(xs))
    }
    runs = same.filter((r) => used.has(r.id)).map((r) => r.id)
    against = `the median of the last ${n} runs of \`${current.command}\` that ran each task`
  } else {
    previous = target.kind === 'run' ? others.find((r) => r.id === target.id) : readBaseline(root, target.name)
    if (!previous)
      throw new TasksError(
        'usage',
        target.kind === 'run' ? `no run \`${target.id}\` in the history` : `no saved baseline \`${target.name}\``,
      )
    base = ranDurations(previous)
    runs = [previous.id]
    against = target.kind === 'run' ? `run \`${previous.id}\`` : `baseline \`${target.name}\` (run ${previous.id})`
  }
  const slower: DurationChange[] = []
  const faster: DurationChange[] = []
  for (const t of current.tasks) {
    if (t.status !== 'ran') continue
    const b = base.get(t.name)
    if (b === undefined) continue
    const delta = t.durationMs - b
    const change = {
      task: t.name,
      baselineMs: Math.round(b),
      currentMs: t.durationMs,
      deltaMs: Math.round(delta),
      ratio: b > 0 ? Math.round((t.durationMs / b - 1) * 1000) / 1000 : Infinity,
    }
    if (delta > threshold.ms && t.durationMs > b * (1 + threshold.ratio)) slower.push(change)
    else if (-delta > threshold.ms && t.durationMs < b * (1 - threshold.ratio)) faster.push(change)
  }
  slower.sort((a, b) => b.deltaMs - a.deltaMs)
  faster.sort((a, b) => a.deltaMs - b.deltaMs)
  const prevStatus = new Map((previous?.tasks ?? []).map((t) => [t.name, t.status]))
  const statusChanges = current.tasks
    .filter((t) => prevStatus.has(t.name) && prevStatus.get(t.name) !== t.status)
    .map((t) => ({ task: t.name, from: prevStatus.get(t.name)!, to: t.status }))
  return {
    against,
    runs,
    threshold,
    slower,
    faster,
    statusChanges,
    ...(previous ? { previousWallMs: previous.wallMs } : {}),
  }
}

/** Per-task trend over the history: runs seen, median duration of the last `n` runs that ran it, hit rate. */
export interface TaskTrend {
  task: string
  /** Runs in which the task appeared. */
  runs: number
  /** Runs in which it ran (a command executed). */
  ran: number
  /** Median duration of its last `n` runs that ran it, ms (NaN when it never ran). */
  medianMs: number
  /** (cache hits + up to date) / runs, 0..1. */
  hitRate: number
  /** Its status in the newest run. */
  last: ModelStatus
}

/** Trends of every task in `runs` (oldest first), by descending median duration. */
export function taskTrends(runs: readonly HistoryEntry[], n = 10): TaskTrend[] {
  const by = new Map<string, HistoryTask[]>()
  for (const r of runs)
    for (const t of r.tasks) {
      let a = by.get(t.name)
      if (!a) by.set(t.name, (a = []))
      a.push(t)
    }
  const trends: TaskTrend[] = []
  for (const [task, ts] of by) {
    const ran = ts.filter((t) => t.status === 'ran')
    const hits = ts.filter((t) => t.status === 'cache-hit' || t.status === 'up-to-date').length
    trends.push({
      task,
      runs: ts.length,
      ran: ran.length,
      medianMs: median(ran.slice(-n).map((t) => t.durationMs)),
      hitRate: ts.length ? hits / ts.length : 0,
      last: ts[ts.length - 1]!.status,
    })
  }
  return trends.sort(
    (a, b) =>
      (Number.isNaN(b.medianMs) ? -1 : b.medianMs) - (Number.isNaN(a.medianMs) ? -1 : a.medianMs) ||
      a.task.localeCompare(b.task),
  )
}
