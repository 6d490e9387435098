/**
 * `tasks --watch <task...>`: the library's `watch()` with the CLI's reporters. Each run gets a
 * fresh reporter (listr2 in a terminal, plain lines otherwise); after each run one line says what
 * changed, what ran and the summary, then `watching for changes`. Ends on Ctrl-C (exit 130).
 */
import type { RunResult, WatchEvent } from '../../lib/model/events.js'
import type { LoadedConfig } from '../../lib/model/internal.js'
import type { Reporter } from '../../lib/report/reporter.js'
import { TasksError } from '../../lib/errors.js'
import { parseVarArgs } from '../../lib/config/vars.js'
import { renderError } from '../render-error.js'
import { loadCliConfig, type CommandContext } from '../project.js'
import { outputLogsOf, varItems } from '../read-options.js'

/**
 * `tasks --watch`: check the options watch cannot take, then {@link runWatch} with the CLI's
 * terminal settings until the context's signal aborts.
 * @returns 0 (the caller maps an ending signal to its exit code)
 * @throws {TasksError} `usage` for `--json`, `--dry-run`, `--affected`, the run-report flags or `--profile`
 */
export async function watchCommand(ctx: CommandContext): Promise<number> {
  const { opts, config, cwd } = ctx
  const vars = parseVarArgs(varItems(opts.var))
  const clash = opts.json
    ? '--json'
    : opts.dryRun
      ? '--dry-run'
      : (['affected', 'report', 'summarize', 'compare', 'failOnRegression', 'profile'] as const).find(
          (k) => opts[k] !== undefined && opts[k] !== false,
        )
  if (clash)
    throw new TasksError(
      'usage',
      `--watch cannot be combined with ${clash.startsWith('--') ? clash : `--${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`}`,
    )
  const outputLogs = await outputLogsOf(opts)
  const tty = !!process.stderr.isTTY && process.env.CI !== 'true'
  return runWatch({
    config,
    tasks: ctx.requested,
    args: opts['--'] ?? [],
    force: !!opts.force,
    cache: opts.cache !== false,
    git: opts.git !== false,
    continue: !!opts.continue,
    concurrency: ctx.concurrency,
    outputLogs,
    vars,
    signal: ctx.signal,
    tty,
    color: process.env.NO_COLOR ? false : process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : tty,
    reload: () => loadCliConfig(opts, true),
    write: (t) => process.stderr.write(t),
    renderError: (err) => renderError(err, cwd, !!process.stderr.isTTY && !process.env.NO_COLOR),
  })
}

/** What {@link runWatch} needs from {@link watchCommand}. */
export interface WatchCommandOptions {
  config: LoadedConfig
  tasks: readonly string[]
  args: readonly string[]
  force: boolean
  cache: boolean
  git: boolean
  continue: boolean
  concurrency?: number
  /** `--var name=value` values (`run({ vars })`). */
  vars?: Readonly<Record<string, string>>
  /** `--output-logs`: what is printed of each task's log. @default 'full' */
  outputLogs?: import('../../lib/report/output-logs.js').OutputLogs
  signal: AbortSignal
  tty: boolean
  color: boolean
  /** Reload the config after an edit (the same search as at start-up, loaded fresh). */
  reload(): Promise<LoadedConfig>
  /** Where progress goes (stderr, batched). */
  write(text: string): void
  /** Render an error the way the CLI does. */
  renderError(err: unknown): string
}

/** Run watch mode until the signal aborts. @returns 0 (the caller maps the signal to its exit code) */
export async function runWatch(o: WatchCommandOptions): Promise<number> {
  const view = await createWatchView(o)
  const { watch } = await import('../../lib/watch/watch.js')
  const queue: WatchEvent[] = []
  let draining = false
  // Events are handled in order; a run's reporter is created (async) on its run:start.
  const drain = async () => {
    if (draining) return
    draining = true
    while (queue.length) {
      const e = queue.shift()!
      await view.handle(e)
    }
    draining = false
  }
  await watch({
    config: o.config,
    tasks: o.tasks,
    args: o.args,
    force: o.force,
    cache: o.cache,
    git: o.git,
    continue: o.continue,
    concurrency: o.concurrency,
    vars: o.vars,
    signal: o.signal,
    reload: () => o.reload(),
    onEvent: (e) => {
      queue.push(e)
      void drain()
    },
  })
  while (draining || queue.length) await new Promise((r) => setTimeout(r, 10))
  await view.close()
  return 0
}

/**
 * What watch mode prints: `[watch]` lines for its own events, and each run through a fresh reporter
 * (created on the run's `run:start`, closed on its `run:end`, then one line for the run).
 */
async function createWatchView(
  o: WatchCommandOptions,
): Promise<{ handle(e: WatchEvent): Promise<void>; close(): Promise<void> }> {
  const { summaryLine } = await import('../../lib/report/format.js')
  const { pickReporter } = await import('../reporter.js')
  const kleur = (await import('kleur')).default
  const tag = kleur.magenta('[watch]')
  let reporter: (Reporter & { setResult(r: RunResult): void }) | undefined
  let pendingReporter: Promise<void> = Promise.resolve()
  let iteration = 0
  // Changes seen since the last run started (they are what the next run is for), and the current run's.
  let pending = { files: new Set<string>(), config: false }
  let current = pending
  let ran: string[] = []
  const closed = new WeakSet<object>()
  const handle = async (e: WatchEvent) => {
    switch (e.type) {
      case 'watch:ready':
        o.write(`${tag} watching ${e.paths.join(', ')}${e.polling ? ' (polling)' : ''}\n`)
        return
      case 'watch:change':
        for (const f of e.files) pending.files.add(f)
        pending.config ||= e.config
        o.write(
          `${tag} changed: ${describe(e.files, e.config)}${e.queued ? ' (a run is in progress: one follow-up run queued)' : ''}\n`,
        )
        return
      case 'watch:error':
        o.write(
          `${tag} ${kleur.red('error')}: ${e.error instanceof TasksError ? o.renderError(e.error) : `${e.message}\n`}`,
        )
        return
      case 'run:start':
        await pendingReporter
        iteration++
        ran = []
        current = pending
        pending = { files: new Set(), config: false }
        reporter = await pickReporter({
          tty: o.tty,
          color: o.color,
          json: false,
          order: e.tasks,
          write: o.write,
          outputLogs: o.outputLogs,
        })
        reporter.onEvent(e)
        return
      case 'task:end':
        if (e.status === 'ran' || e.status === 'failed' || e.status === 'interrupted') ran.push(e.task)
        reporter?.onEvent(e)
        return
      case 'run:end': {
        const r = reporter
        r?.onEvent(e)
        if (r) closed.add(r)
        pendingReporter = (async () => {
          await r?.close()
        })()
        await pendingReporter
        const what = iteration === 1 ? 'first run' : `changed: ${describe([...current.files].sort(), current.config)}`
        o.write(
          `${tag} #${iteration} ${what} | reran: ${ran.length ? ran.join(', ') : 'nothing (up to date)'} | ${summaryLine(e.summary)}\n${tag} watching for changes (Ctrl-C to stop)\n`,
        )
        return
      }
      default:
        // Service output between runs still goes to the last run's reporter.
        reporter?.onEvent(e)
    }
  }
  const close = async () => {
    if (!closed.has(reporter!)) await reporter?.close().catch(() => {})
    o.write(`${tag} stopped\n`)
  }
  return { handle, close }
}

function describe(files: readonly string[], config: boolean): string {
  const list = files.length
    ? `${files.slice(0, 3).join(', ')}${files.length > 3 ? ` (+${files.length - 3} more)` : ''}`
    : ''
  return [config ? 'the config (reloaded)' : '', list].filter(Boolean).join(', ') || '(nothing)'
}
