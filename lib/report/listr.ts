/**
 * The terminal reporter: a listr2 view with one line per task (waiting, running with its last
 * output line, ran in X ms, cache hit, up to date, failed, skipped). listr2's default renderer
 * redraws everything on each change (quadratic, see DEPS.md), so graphs larger than
 * {@link MAX_LINES} get a bounded view instead: one line with counters and the running tasks.
 * listr2 is imported on demand (only when a terminal is drawn).
 */
import type { RunEvent, RunSummary, TaskStatus } from '../types.js'
import { formatMs, formatReason, summaryLine } from './format.js'
import type { Reporter } from './reporter.js'

export type { Reporter }

/** Graphs with more tasks than this get the bounded one-line view. */
export const MAX_LINES = 30


interface Slot {
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
export async function createListrReporter(tasks: readonly string[], write: (text: string) => void): Promise<Reporter> {
  const { Listr } = await import('listr2')
  const kleur = (await import('kleur')).default
  const failedLogs: { task: string; log: string }[] = []
  const warnings: string[] = []
  let summary: RunSummary | undefined
  const bounded = tasks.length > MAX_LINES
  const slots = new Map<string, Slot>()
  let applySlot: (name: string) => void = () => {}
  const statusText = (status: TaskStatus, e: Extract<RunEvent, { type: 'task:end' }>) =>
    ({
      ran: `ran in ${formatMs(e.durationMs)}`, 'cache-hit': `cache hit (saved ${formatMs(e.savedMs)})`, 'up-to-date': 'up to date', failed: formatReason(e.reason),
      interrupted: `interrupted after ${formatMs(e.durationMs)}`, skipped: `skipped: ${formatReason(e.reason)}`,
    })[status]

  let listrDone: Promise<void>
  const counters = { done: 0, running: new Set<string>(), failed: 0 }
  if (!bounded) {
    const listr = new Listr(
      tasks.map((name) => ({
        title: `${name} ${kleur.dim('waiting')}`,
        rendererOptions: { outputBar: 1 },
        task: (_: unknown, t: { title: string; output: string; skip(m?: string): void }) =>
          new Promise<void>((resolve, reject) => {
            slots.set(name, { resolve, reject, setTitle: (s) => (t.title = s), setOutput: (s) => (t.output = s), skip: (m) => t.skip(m) })
            applySlot(name)
          }),
      })),
      // registerSignalListeners: listr2's own SIGINT handler exits 127 without the summary; bin/signals.ts handles signals.
      { concurrent: true, exitOnError: false, registerSignalListeners: false, rendererOptions: { collapseErrors: false, showSkipMessage: true, collapseSkips: true } },
    )
    listrDone = listr.run().then(() => undefined, () => undefined)
  } else {
    let slot: Slot | undefined
    let ended = false
    const settle = () => (counters.failed ? slot?.reject(new Error(`${counters.failed} failed`)) : slot?.resolve())
    const listr = new Listr([{
      title: `${tasks.length} tasks`,
      rendererOptions: { outputBar: 1 },
      task: (_: unknown, t: { title: string; output: string }) => new Promise<void>((resolve, reject) => {
        slot = { resolve, reject, setTitle: (s) => (t.title = s), setOutput: (s) => (t.output = s), skip: () => {} }
        // The run may have ended before listr2 started this task (a fast no-op): settle it now.
        refresh()
        if (ended) settle()
      }),
    }], { exitOnError: false, registerSignalListeners: false, rendererOptions: {} })
    listrDone = listr.run().then(() => undefined, () => undefined)
    const refresh = () => {
      const running = [...counters.running]
      slot?.setTitle(`${counters.done}/${tasks.length} tasks done${counters.failed ? kleur.red(`, ${counters.failed} failed`) : ''}` +
        (running.length ? ` | running: ${running.slice(0, 4).join(', ')}${running.length > 4 ? ` +${running.length - 4}` : ''}` : ''))
    }
    return {
      onEvent(e) {
        if (e.type === 'task:start') counters.running.add(e.task)
        else if (e.type === 'task:output' && !e.replay) slot?.setOutput(`[${e.task}] ${lastLine(e.text)}`)
        else if (e.type === 'task:end') {
          counters.running.delete(e.task)
          counters.done++
          if (e.status === 'failed' || e.status === 'interrupted') { counters.failed++; if (e.log) failedLogs.push({ task: e.task, log: e.log }) }
        } else if (e.type === 'warning') warnings.push(`${e.task ? `[${e.task}] ` : ''}${e.message}`)
        else if (e.type === 'run:end') summary = e.summary
        refresh()
        if (e.type === 'run:end') {
          ended = true
          settle()
        }
      },
      async close() {
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
  const info = new Map<string, { title?: string; output?: string; end?: End }>()
  applySlot = (name: string) => {
    const s = slots.get(name)
    const i = info.get(name)
    if (!s || !i) return
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
      s.resolve()
    }
    slots.delete(name)
    info.delete(name)
  }
  const update = (name: string, patch: { title?: string; output?: string; end?: End }) => {
    info.set(name, { ...info.get(name), ...patch })
    applySlot(name)
  }
  return {
    onEvent(e) {
      if (e.type === 'task:start') update(e.task, { title: `${e.task} ${kleur.dim(formatReason(e.reason))}` })
      else if (e.type === 'task:ready') update(e.task, { title: `${e.task} ${kleur.green('running')} ${kleur.dim(`ready${e.waited && e.waited !== 'started' ? `: ${e.waited}` : ''}`)}` })
      else if (e.type === 'task:output' && !e.replay) {
        const l = lastLine(e.text)
        if (l) update(e.task, { output: l })
      } else if (e.type === 'task:end') {
        if (e.status === 'failed' && e.error?.startsWith('service `')) failedLogs.push({ task: e.task, log: e.error })
        else if (e.status === 'failed' && e.log) failedLogs.push({ task: e.task, log: e.log })
        update(e.task, { end: e })
      } else if (e.type === 'warning') warnings.push(`${e.task ? `[${e.task}] ` : ''}${e.message}`)
      else if (e.type === 'run:end') summary = e.summary
    },
    async close() {
      // Let listr2 start every slot, then settle the ones that never got an end event.
      await new Promise((r) => setTimeout(r, 0))
      for (const [name, s] of slots) { if (!info.get(name)?.end) { s.skip(`${name} not run`); s.resolve() } }
      await listrDone
      finish()
    },
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trimEnd()).filter(Boolean)
  return lines[lines.length - 1] ?? ''
}
