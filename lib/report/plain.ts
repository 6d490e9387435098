/**
 * The plain reporter for CI and pipes: every line prefixed with its task's name, output streamed
 * as it comes, and a failed task's whole log printed once at the end when it was not already shown.
 * With `GITHUB_ACTIONS=true` each task's output is held until it ends and printed as one
 * `::group::` block (parallel tasks would otherwise interleave inside each other's groups).
 */
import kleur from 'kleur'
import type { RunEvent } from '../model/events.js'
import { formatMs, formatReason, summaryLine } from './format.js'
import { showsFailedLog, streamsOutput, type OutputLogs } from './output-logs.js'
import type { Reporter } from './reporter.js'

/** Options of {@link createPlainReporter}. */
export interface PlainReporterOptions {
  /** Where lines go (e.g. `process.stderr`). */
  write(text: string): void
  /** Colour the status words. */
  color: boolean
  /** Wrap each task's lines in `::group::`/`::endgroup::`. */
  githubActions: boolean
  /** Stream task output as it comes (true), or only show the logs of failed tasks (false). @default true */
  streamOutput?: boolean
  /** What is printed of each task's log (Turborepo's `--output-logs`). @default 'full' */
  outputLogs?: OutputLogs
}

/** A {@link Reporter} printing plain prefixed lines (`close()` has nothing to wait for: every line is written by `run:end`). */
export function createPlainReporter(o: PlainReporterOptions): Reporter {
  const onEvent = plainHandler(o)
  return { onEvent, close: async () => {} }
}

function plainHandler(o: PlainReporterOptions): (e: RunEvent) => void {
  kleur.enabled = o.color
  const partial = new Map<string, string>()
  const shown = new Set<string>()
  const stream = o.streamOutput ?? true
  const logs = o.outputLogs ?? 'full'
  const line = (task: string, text: string) => o.write(`${kleur.dim(`[${task}]`)} ${text}\n`)
  const flush = (task: string) => {
    const rest = partial.get(task)
    if (rest) line(task, rest)
    partial.delete(task)
  }
  const failedLogs: { task: string; log: string }[] = []
  const held = new Map<string, string>()
  let dryRun = false
  return (e) => {
    switch (e.type) {
      case 'run:start':
        dryRun = e.dryRun
        break
      case 'task:start':
        if (!o.githubActions) line(e.task, `${kleur.cyan('run')}: ${formatReason(e.reason)}`)
        else held.set(e.task, `run: ${formatReason(e.reason)}\n`)
        break
      case 'task:ready':
        line(
          e.task,
          `${kleur.green('ready')}${e.waited && e.waited !== 'started' ? ` (${e.waited})` : ''}: service running`,
        )
        break
      case 'task:output': {
        if (!streamsOutput(logs, e.replay)) break
        if (o.githubActions) {
          held.set(e.task, (held.get(e.task) ?? '') + e.text)
          break
        }
        if (!stream && !e.replay) break
        shown.add(e.task)
        const text = (partial.get(e.task) ?? '') + e.text
        const lines = text.split('\n')
        partial.set(e.task, lines.pop()!)
        for (const l of lines) line(e.task, l.replace(/\r$/, ''))
        break
      }
      case 'task:end': {
        flush(e.task)
        if (o.githubActions && held.has(e.task)) {
          const text = held.get(e.task)!
          held.delete(e.task)
          o.write(`::group::${e.task}\n${text.endsWith('\n') ? text : text + '\n'}::endgroup::\n`)
          shown.add(e.task)
        }
        const msg = {
          ran: dryRun
            ? kleur.cyan(formatReason(e.reason, { dryRun }))
            : kleur.green(`ran in ${formatMs(e.durationMs)}`),
          'cache-hit': dryRun
            ? kleur.blue(formatReason(e.reason, { dryRun }))
            : kleur.blue(`cache hit: ${formatReason(e.reason)} (saved ${formatMs(e.savedMs)})`),
          'up-to-date': kleur.dim('up to date'),
          failed: kleur.red(
            `${e.reason.code === 'timed-out' ? formatReason(e.reason) : `failed${e.exitCode !== undefined ? ` (exit code ${e.exitCode})` : ''}`} in ${formatMs(e.durationMs)}`,
          ),
          interrupted: kleur.red(`interrupted in ${formatMs(e.durationMs)}`),
          skipped: kleur.yellow(`skipped: ${formatReason(e.reason)}`),
        }[e.status]
        line(e.task, msg)
        // A service's failure says what it waited for and ends with its last log lines: all of it.
        if (e.status === 'failed' && e.error?.startsWith('service `'))
          for (const l of e.error.split('\n')) line(e.task, l)
        else if (e.status === 'failed' && e.error && e.exitCode === undefined) line(e.task, e.error.split('\n')[0]!)
        if (
          (e.status === 'failed' || e.status === 'interrupted') &&
          e.log &&
          (!shown.has(e.task) || !stream) &&
          showsFailedLog(logs)
        )
          failedLogs.push({ task: e.task, log: e.log })
        break
      }
      case 'warning':
        o.write(`${kleur.yellow('warning')}${e.task ? ` ${kleur.dim(`[${e.task}]`)}` : ''}: ${e.message}\n`)
        break
      case 'run:end':
        for (const f of failedLogs) {
          o.write(kleur.red(`--- log of failed task ${f.task} ---\n`))
          o.write(f.log.endsWith('\n') ? f.log : f.log + '\n')
        }
        o.write(summaryLine(e.summary) + '\n')
        break
    }
  }
}
