/**
 * The terminal reporter: a listr2 view with one line per task (waiting, running with its last
 * output line, ran in X ms, cache hit, up to date, failed, skipped). listr2's default renderer
 * redraws everything on each change (quadratic, see DEPS.md), so graphs larger than
 * {@link MAX_LINES} get a bounded view instead: one line with counters and the running tasks.
 * listr2 is imported on demand (only when a terminal is drawn).
 */
import type { RunEvent, RunSummary, TaskStatus } from '../model/events.js'
import { formatMs, formatReason, summaryLine } from './format.js'
import { showsFailedLog, streamsOutput, type OutputLogs } from './output-logs.js'
import type { Reporter } from './reporter.js'

export type { Reporter }

/** Graphs with more tasks than this get the bounded one-line view. */
export const MAX_LINES = 30

/** Options of {@link createListrReporter}. */
export interface ListrReporterOptions {
  /** What is shown of each task's log (Turborepo's `--output-logs`); `full` keeps the last lines of a successful task's log under it. @default 'full' */
  outputLogs?: OutputLogs
  /** Lines of log kept visible under a finished task with `outputLogs: 'full'`. @default 3 */
  keepLines?: number
}

interface Slot {
  /** Show the task as running (it waits, paused, until its `task:start` or end arrives). */
  start(): void
  resolve(): void
  reject(err: Error): void
  setTitle(t: string): void
  setOutput(t: string): void
  skip(t: string): void
}

type End = Extract<RunEvent, { type: 'task:end' }>
type Listr2 = typeof import('listr2')
type Kleur = typeof import('kleur')
/** The latest state of a task's row, kept until listr2 has started its slot. */
interface RowState {
  title?: string
  output?: string
  end?: End
  started?: number
  why?: string
}

/** What both views share: the options, the modules loaded on demand, and what is written after the view. */
interface View {
  tasks: readonly string[]
  write: (text: string) => void
  logs: OutputLogs
  keep: number
  listr2: Listr2
  kleur: Kleur
  failedLogs: { task: string; log: string }[]
  warnings: string[]
  summary?: RunSummary
}

/**
 * @param tasks task names in the order they are shown (the run's topological order)
 * @param write where the summary and failed logs go after the view is done (e.g. stderr)
 */
export async function createListrReporter(
  tasks: readonly string[],
  write: (text: string) => void,
  options: ListrReporterOptions = {},
): Promise<Reporter> {
  const listr2 = await import('listr2')
  const view: View = {
    tasks,
    write,
    logs: options.outputLogs ?? 'full',
    keep: options.keepLines ?? 3,
    listr2,
    kleur: (await import('kleur')).default,
    failedLogs: [],
    warnings: [],
  }
  return tasks.length > MAX_LINES ? boundedView(view) : taskListView(view)
}

/** A finished task's title text (`ran in 1.2s`, `cache hit (saved …)`, `skipped: …`, …). */
function statusText(status: TaskStatus, e: End): string {
  return {
    ran: `ran in ${formatMs(e.durationMs)}`,
    'cache-hit': `cache hit (saved ${formatMs(e.savedMs)})`,
    'up-to-date': 'up to date',
    failed: formatReason(e.reason),
    interrupted: `interrupted after ${formatMs(e.durationMs)}`,
    skipped: `skipped: ${formatReason(e.reason)}`,
  }[status]
}

/** After the view: the warnings, the failed tasks' logs, the summary line. */
function finish(v: View): void {
  const { kleur, write } = v
  for (const w of v.warnings) write(`${kleur.yellow('warning')}: ${w}\n`)
  for (const f of v.failedLogs) {
    write(kleur.red(`--- log of failed task ${f.task} ---\n`))
    write(f.log.endsWith('\n') ? f.log : f.log + '\n')
  }
  if (v.summary) write(summaryLine(v.summary) + '\n')
}

/** The bounded view of a large graph: one line with counters and the running tasks, refreshed every second. */
function boundedView(v: View): Reporter {
  const { kleur, tasks, logs } = v
  const counters = { done: 0, running: new Map<string, number>(), failed: 0 }
  let slot: Slot | undefined
  let ended = false
  const settle = () => (counters.failed ? slot?.reject(new Error(`${counters.failed} failed`)) : slot?.resolve())
  const listr = new v.listr2.Listr(
    [
      {
        title: `${tasks.length} tasks`,
        rendererOptions: { outputBar: 1 },
        task: (_: unknown, t: { title: string; output: string }) =>
          new Promise<void>((resolve, reject) => {
            slot = {
              start: () => {},
              resolve,
              reject,
              setTitle: (s) => (t.title = s),
              setOutput: (s) => (t.output = s),
              skip: () => {},
            }
            // The run may have ended before listr2 started this task (a fast no-op): settle it now.
            refresh()
            if (ended) settle()
          }),
      },
    ],
    { exitOnError: false, registerSignalListeners: false, rendererOptions: {} },
  )
  const listrDone = listr.run().then(
    () => undefined,
    () => undefined,
  )
  const refresh = () => {
    const now = Date.now()
    // Longest-running first, each with its elapsed time.
    const running = [...counters.running]
      .sort((a, b) => a[1] - b[1])
      .map(([n, t]) => `${n} ${kleur.dim(formatMs(now - t))}`)
    slot?.setTitle(
      `${counters.done}/${tasks.length} tasks done${counters.failed ? kleur.red(`, ${counters.failed} failed`) : ''}` +
        `, ${tasks.length - counters.done - running.length} waiting` +
        (running.length
          ? ` | running: ${running.slice(0, 4).join(', ')}${running.length > 4 ? ` +${running.length - 4}` : ''}`
          : ''),
    )
  }
  const ticker = setInterval(refresh, 1000)
  ticker.unref?.()
  return {
    onEvent(e) {
      if (e.type === 'task:start') counters.running.set(e.task, e.time)
      else if (e.type === 'task:output' && !e.replay && streamsOutput(logs, false))
        slot?.setOutput(`[${e.task}] ${lastLine(e.text)}`)
      else if (e.type === 'task:end') {
        counters.running.delete(e.task)
        counters.done++
        if (e.status === 'failed' || e.status === 'interrupted') {
          counters.failed++
          if (e.status === 'failed' && e.error?.startsWith('service `'))
            v.failedLogs.push({ task: e.task, log: e.error })
          else if (e.log && showsFailedLog(logs)) v.failedLogs.push({ task: e.task, log: e.log })
        }
      } else if (e.type === 'warning') v.warnings.push(`${e.task ? `[${e.task}] ` : ''}${e.message}`)
      else if (e.type === 'run:end') v.summary = e.summary
      refresh()
      if (e.type === 'run:end') {
        ended = true
        settle()
      }
    },
    async close() {
      clearInterval(ticker)
      ended = true
      settle()
      await listrDone
      finish(v)
    },
  }
}

/**
 * Start listr2 with one row per task, each waiting (paused) until its slot is driven; `slots` gets
 * each row's {@link Slot} as listr2 starts it, then `applySlot(name)` runs.
 * @returns a promise that settles when listr2 is done (never rejects)
 */
function runTaskList(v: View, slots: Map<string, Slot>, applySlot: (name: string) => void): Promise<void> {
  const { Listr, ListrTaskState } = v.listr2
  const listr = new Listr(
    v.tasks.map((name) => ({
      title: `${name} ${v.kleur.dim('waiting')}`,
      // One output entry: the last line while running, or with `full` the last `keep` lines, kept after the end.
      rendererOptions: v.logs === 'full' ? { outputBar: 1, persistentOutput: true } : { outputBar: 1 },
      task: (
        _: unknown,
        t: { title: string; output: string; skip(m?: string): void; task: { state$: unknown; isPaused(): boolean } },
      ) =>
        new Promise<void>((resolve, reject) => {
          // Waiting tasks are paused (a still square), not spinning like the running ones.
          t.task.state$ = ListrTaskState.PAUSED
          const start = () => {
            if (t.task.isPaused()) t.task.state$ = ListrTaskState.STARTED
          }
          slots.set(name, {
            start,
            resolve: () => {
              start()
              resolve()
            },
            reject: (err) => {
              start()
              reject(err)
            },
            setTitle: (s) => (t.title = s),
            setOutput: (s) => (t.output = s),
            skip: (m) => {
              start()
              t.skip(m)
            },
          })
          applySlot(name)
        }),
    })),
    // registerSignalListeners: listr2's own SIGINT handler exits 127 without the summary; bin/signals.ts handles signals.
    // pausedTimer off: a waiting (paused) task has no countdown to show.
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      rendererOptions: {
        collapseErrors: false,
        showSkipMessage: true,
        collapseSkips: true,
        pausedTimer: { field: () => '', condition: false },
      },
    },
  )
  return listr.run().then(
    () => undefined,
    () => undefined,
  )
}

/**
 * Apply the latest state of `name`'s row (`info`) to its slot, once both exist; a row that ended
 * is settled and forgotten. `keepTail`: the last log lines of each task (for `outputLogs: 'full'`).
 */
function applyRow(
  v: View,
  name: string,
  slots: Map<string, Slot>,
  info: Map<string, RowState>,
  keepTail: ReadonlyMap<string, string>,
): void {
  const { kleur } = v
  const s = slots.get(name)
  const i = info.get(name)
  if (!s || !i) return
  if (i.started !== undefined) s.start()
  if (i.title) s.setTitle(i.title)
  if (i.output) s.setOutput(i.output)
  const e = i.end
  if (!e) return
  const text = statusText(e.status, e)
  if (e.status === 'failed' || e.status === 'interrupted') {
    s.setTitle(e.task)
    s.reject(new Error(text))
  } else if (e.status === 'skipped' || e.status === 'up-to-date') {
    s.skip(`${e.task} ${kleur.dim(text)}`)
    s.resolve()
  } else {
    s.setTitle(`${e.task} ${e.status === 'cache-hit' ? kleur.blue(text) : kleur.green(text)}`)
    // --output-logs full: the last lines of the log stay under the finished task.
    const tail = keepTail.get(name)
    s.setOutput(v.logs === 'full' && tail ? lastLines(tail, v.keep) : '')
    s.resolve()
  }
  slots.delete(name)
  info.delete(name)
}

/** The view of a small graph: one row per task, running rows with their elapsed time and last output. */
function taskListView(v: View): Reporter {
  const { kleur, logs, keep } = v
  const keepTail = new Map<string, string>()
  const slots = new Map<string, Slot>()
  // Events may arrive before listr2 has started a task's slot: keep the latest state and apply it when it does.
  const info = new Map<string, RowState>()
  const applySlot = (name: string) => applyRow(v, name, slots, info, keepTail)
  const listrDone = runTaskList(v, slots, applySlot)
  // Running rows show their elapsed time, refreshed every second.
  const running = new Map<string, number>()
  const runningTitle = (name: string) => {
    const i = info.get(name)
    return `${name} ${kleur.cyan(`running ${formatMs(Date.now() - (i?.started ?? Date.now()))}`)}${i?.why ? ` ${kleur.dim(i.why)}` : ''}`
  }
  const ticker = setInterval(() => {
    for (const name of running.keys()) update(name, { title: runningTitle(name) })
  }, 1000)
  ticker.unref?.()
  const update = (name: string, patch: RowState) => {
    info.set(name, { ...info.get(name), ...patch })
    applySlot(name)
  }
  return {
    onEvent(e) {
      if (e.type === 'task:start') {
        running.set(e.task, e.time)
        update(e.task, { started: e.time, why: formatReason(e.reason) })
        update(e.task, { title: runningTitle(e.task) })
      } else if (e.type === 'task:ready') {
        // A service stays "running" (its elapsed time ticks on), now with what it waited for.
        update(e.task, { why: `ready${e.waited && e.waited !== 'started' ? `: ${e.waited}` : ''}` })
        update(e.task, { title: runningTitle(e.task) })
      } else if (e.type === 'task:output') {
        if (logs === 'full') keepTail.set(e.task, lastLines((keepTail.get(e.task) ?? '') + e.text, keep))
        if (!streamsOutput(logs, e.replay) || e.replay) return
        const l = logs === 'full' ? keepTail.get(e.task) : lastLine(e.text)
        if (l) update(e.task, { output: l })
      } else if (e.type === 'task:end') {
        running.delete(e.task)
        // A service's failure says what it waited for and ends with its last log lines: show that.
        if (e.status === 'failed' && e.error?.startsWith('service `')) v.failedLogs.push({ task: e.task, log: e.error })
        else if ((e.status === 'failed' || e.status === 'interrupted') && e.log && showsFailedLog(logs))
          v.failedLogs.push({ task: e.task, log: e.log })
        update(e.task, { end: e })
      } else if (e.type === 'warning') v.warnings.push(`${e.task ? `[${e.task}] ` : ''}${e.message}`)
      else if (e.type === 'run:end') v.summary = e.summary
    },
    async close() {
      // Let listr2 start every slot, then settle the ones that never got an end event.
      await new Promise((r) => setTimeout(r, 0))
      clearInterval(ticker)
      for (const [name, s] of slots) {
        if (!info.get(name)?.end) {
          s.skip(`${name} not run`)
          s.resolve()
        }
      }
      await listrDone
      finish(v)
    },
  }
}

/** The last `n` non-empty lines of `text`, joined by newlines. */
function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-n)
    .join('\n')
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
  return lines[lines.length - 1] ?? ''
}
