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

/**
 * @param tasks task names in the order they are shown (the run's topological order)
 * @param write where the summary and failed logs go after the view is done (e.g. stderr)
 */
export async function createListrReporter(
  tasks: readonly string[],
  write: (text: string) => void,
  options: ListrReporterOptions = {},
): Promise<Reporter> {
  const { Listr, ListrTaskState } = await import('listr2')
  const logs = options.outputLogs ?? 'full'
  const keep = options.keepLines ?? 3
  const keepTail = new Map<string, string>()
  const kleur = (await import('kleur')).default
  const failedLogs: { task: string; log: string }[] = []
  const warnings: string[] = []
  let summary: RunSummary | undefined
  const bounded = tasks.length > MAX_LINES
  const slots = new Map<string, Slot>()
  let applySlot: (name: string) => void = () => {}
  const statusText = (status: TaskStatus, e: Extract<RunEvent, { type: 'task:end' }>) =>
    ({
      ran: `ran in ${formatMs(e.durationMs)}`,
      'cache-hit': `cache hit (saved ${formatMs(e.savedMs)})`,
      'up-to-date': 'up to date',
      failed: formatReason(e.reason),
      interrupted: `interrupted after ${formatMs(e.durationMs)}`,
      skipped: `skipped: ${formatReason(e.reason)}`,
    })[status]

  let listrDone: Promise<void>
  const counters = { done: 0, running: new Map<string, number>(), failed: 0 }
  if (!bounded) {
    const listr = new Listr(
      tasks.map((name) => ({
        title: `${name} ${kleur.dim('waiting')}`,
        // One output entry: the last line while running, or with `full` the last `keep` lines, kept after the end.
        rendererOptions: logs === 'full' ? { outputBar: 1, persistentOutput: true } : { outputBar: 1 },
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
    listrDone = listr.run().then(
      () => undefined,
      () => undefined,
    )
  } else {
    let slot: Slot | undefined
    let ended = false
    const settle = () => (counters.failed ? slot?.reject(new Error(`${counters.failed} failed`)) : slot?.resolve())
    const listr = new Listr(
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
    listrDone = listr.run().then(
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
              failedLogs.push({ task: e.task, log: e.error })
            else if (e.log && showsFailedLog(logs)) failedLogs.push({ task: e.task, log: e.log })
          }
        } else if (e.type === 'warning') warnings.push(`${e.task ? `[${e.task}] ` : ''}${e.message}`)
        else if (e.type === 'run:end') summary = e.summary
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
        finish()
      },
    }
  }

  function finish() {
    for (const w of warnings) write(`${kleur.yellow('warning')}: ${w}\n`)
    for (const f of failedLogs) {
      write(kleur.red(`--- log of failed task ${f.task} ---\n`))
      write(f.log.endsWith('\n') ? f.log : f.log + '\n')
    }
    if (summary) write(summaryLine(summary) + '\n')
  }

  // Events may arrive before listr2 has started a task's slot: keep the latest state and apply it when it does.
  type End = Extract<RunEvent, { type: 'task:end' }>
  const info = new Map<string, { title?: string; output?: string; end?: End; started?: number; why?: string }>()
  applySlot = (name: string) => {
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
      s.setOutput(logs === 'full' && tail ? lastLines(tail, keep) : '')
      s.resolve()
    }
    slots.delete(name)
    info.delete(name)
  }
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
  const update = (
    name: string,
    patch: { title?: string; output?: string; end?: End; started?: number; why?: string },
  ) => {
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
        if (e.status === 'failed' && e.error?.startsWith('service `')) failedLogs.push({ task: e.task, log: e.error })
        else if ((e.status === 'failed' || e.status === 'interrupted') && e.log && showsFailedLog(logs))
          failedLogs.push({ task: e.task, log: e.log })
        update(e.task, { end: e })
      } else if (e.type === 'warning') warnings.push(`${e.task ? `[${e.task}] ` : ''}${e.message}`)
      else if (e.type === 'run:end') summary = e.summary
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
      finish()
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
