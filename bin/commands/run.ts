/**
 * `tasks [task...]` (and `--dry-run`): the run itself, with the console's reporter (listr2 in a
 * terminal, plain lines otherwise, plus `--json` and `--profile`) and the run report (history,
 * `--report`, `--summarize`, `--compare`, GitHub) combined into one {@link Reporter}, the remote
 * cache tier when one is configured, and the local cache's upkeep after the run. In the run's
 * chunk (through `run-path.ts`): every module here is one a run needs.
 */
import type { RunResult } from '../../lib/model/events.js'
import { EXIT } from '../../lib/errors.js'
import { parseVarArgs } from '../../lib/config/vars.js'
import { run } from '../../lib/run/run.js'
import { buildGraph } from '../../lib/graph/graph.js'
import { combineReporters, type Reporter } from '../../lib/report/reporter.js'
import { pickReporter } from '../reporter.js'
import { startRunReport } from '../run-report.js'
import { afterRun, openRunCache, remoteFlags } from '../run-cache.js'
import type { CommandContext } from '../project.js'
import { affectedRef, outputLogsOf, varItems } from '../read-options.js'

/**
 * Run the context's requested tasks and report them.
 * @returns the exit code: 0, 1 when a task failed (or `--fail-on-regression` found a slower task)
 * @throws {TasksError} for bad options (`--var`, `--output-logs`, `--compare`, ...) or what `run` throws
 */
export async function runCommand(ctx: CommandContext): Promise<number> {
  const { opts, config, requested, cwd } = ctx
  const vars = parseVarArgs(varItems(opts.var))
  const runGraph = buildGraph(config, requested)
  const graphOrder = runGraph.order
  const outputLogs = await outputLogsOf(opts)
  // An interactive task owns the terminal while it runs: the plain reporter, never listr2's redrawing view.
  const interactive = graphOrder.some((n) => config.tasks.get(n)!.interactive)
  const { write, flush } = stderrWriter(interactive)
  const runReport = await startRunReport({
    opts,
    config,
    deps: new Map([...runGraph.tasks].map(([n, t]) => [n, t.deps])),
    requested,
    args: opts['--'] ?? [],
    cwd,
    write,
  })
  const tty = !!process.stderr.isTTY && process.env.CI !== 'true' && !opts.json && !interactive
  const color = process.env.NO_COLOR ? false : process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : tty
  const consoleReporter = await pickReporter({
    tty,
    color,
    json: !!opts.json,
    profile: opts.profile ? String(opts.profile) : undefined,
    order: graphOrder,
    write,
    outputLogs,
  })
  // The remote cache tier (bin/run-cache.ts), when one is configured.
  const tiered =
    opts.cache === false
      ? undefined
      : await openRunCache(config, remoteFlags(opts), (message, task) =>
          consoleReporter.onEvent({ type: 'warning', time: Date.now(), task, message, code: 'remote-cache' }),
        )
  let result: RunResult | undefined
  // After the console's summary and before the run report's lines: the cache's upkeep and the failed tasks.
  const afterConsole: Reporter = {
    onEvent() {},
    async close() {
      await afterRun(config, result!, tiered)
      const failedNames = result!.tasks.filter((t) => t.status === 'failed').map((t) => t.name)
      if (failedNames.length) write(`failed: ${failedNames.join(', ')}\n`)
    },
  }
  const reporter = combineReporters(consoleReporter, afterConsole, runReport)
  result = await run({
    config,
    tasks: requested,
    args: opts['--'] ?? [],
    force: !!opts.force,
    cache: tiered ?? opts.cache !== false,
    git: opts.git !== false,
    dryRun: !!opts.dryRun,
    continue: !!opts.continue,
    concurrency: ctx.concurrency,
    vars,
    ...(opts.affected !== undefined ? { affected: { base: affectedRef(opts.affected) } } : {}),
    signal: ctx.signal,
    onEvent: reporter.onEvent,
  })
  consoleReporter.setResult(result)
  await reporter.close()
  flush()
  // A function task abandoned after its timeout may still hold the event loop: do not wait for it
  // (armed only now, so the reports and the cache's housekeeping above are never cut short).
  if (result.tasks.some((t) => t.reason.code === 'timed-out')) setTimeout(() => process.exit(), 2000).unref()
  return result.ok ? (runReport.exitCode() ?? EXIT.ok) : EXIT.taskFailed
}

/**
 * Writes to stderr batched: one write per event-loop turn instead of one per line (~0.3 ms each
 * on a pipe); unbatched while an interactive task runs (its prompt must come after its start line).
 */
function stderrWriter(interactive: boolean): { write(text: string): void; flush(): void } {
  let pending = ''
  const flush = () => {
    if (pending) process.stderr.write(pending)
    pending = ''
  }
  const write = (t: string) => {
    if (interactive) return void process.stderr.write(t)
    if (!pending) setImmediate(flush)
    pending += t
  }
  return { write, flush }
}
