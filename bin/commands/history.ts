/**
 * `tasks history [task]`: the last runs from `.tasks/history.jsonl` with their trends (median
 * duration per task over its last runs that ran it, hit rate), one task's runs, and
 * `tasks history --baseline save NAME [--run ID]` to pin a run as a baseline for `--compare NAME`.
 * `--json` prints the same data as JSON. (A project with its own task named `history` runs that
 * task instead; see README.)
 */
import { relative } from 'node:path'
import type { LoadedConfig } from '../../lib/model/internal.js'
import { EXIT, TasksError } from '../../lib/errors.js'
import * as h from '../../lib/report/history.js'
import type { CliOptions } from '../options.js'

type Opts = CliOptions

const f = (ms: number) =>
  Number.isNaN(ms)
    ? '–'
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : ms < 60_000
        ? `${(ms / 1000).toFixed(2)} s`
        : `${Math.floor(ms / 60_000)} m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`

/** What the three views share: the project, the history read, and where to print. */
interface HistoryView {
  config: LoadedConfig
  opts: Opts
  cwd: string
  runs: h.HistoryEntry[]
  /** The history file, relative to `cwd`. */
  file: string
  /** The warning line for unreadable lines, or ''. */
  warn: string
  out(text: string): void
}

/**
 * Run the subcommand; `args` are the positionals after `history`.
 * @returns the exit code
 * @throws {TasksError} `usage` for a bad `--baseline` action, name, `--last` or unknown run
 */
export async function historyCommand(
  config: LoadedConfig,
  args: readonly string[],
  opts: Opts,
  cwd: string,
  out: (text: string) => void,
): Promise<number> {
  const root = config.root
  const { runs, skipped } = h.readHistory(root)
  const file = relative(cwd, h.historyFile(root)) || h.historyFile(root)
  const warn = skipped ? `warning: ${skipped} unreadable line${skipped === 1 ? '' : 's'} in ${file} skipped\n` : ''
  const view: HistoryView = { config, opts, cwd, runs, file, warn, out }
  if (opts.baseline !== undefined) return saveBaseline(view, args[0])
  const last = opts.last === undefined ? 10 : Number(opts.last)
  if (!Number.isInteger(last) || last < 1)
    throw new TasksError('usage', `--last must be a whole number >= 1, got \`${String(opts.last)}\``)
  return args[0] ? taskHistory(view, args[0], last) : allHistory(view, last)
}

/** `tasks history --baseline save NAME [--run ID]`. */
function saveBaseline({ config, opts, cwd, runs, file, warn, out }: HistoryView, name: string | undefined): number {
  if (opts.baseline !== 'save')
    throw new TasksError(
      'usage',
      `--baseline takes \`save\`, got \`${String(opts.baseline)}\``,
      {},
      'usage: `tasks history --baseline save NAME [--run ID]`',
    )
  if (!name)
    throw new TasksError(
      'usage',
      '`tasks history --baseline save` needs a NAME',
      {},
      'usage: `tasks history --baseline save NAME [--run ID]`',
    )
  const id = opts.run === undefined ? undefined : String(opts.run)
  const run = id ? runs.filter((r) => r.id.startsWith(id)) : runs.slice(-1)
  if (run.length !== 1) {
    throw new TasksError(
      'usage',
      id ? `\`--run ${id}\` matches ${run.length} runs in ${file}` : `no runs in ${file} yet`,
      {},
      id ? '`tasks history` lists run ids' : 'run a task first',
    )
  }
  const saved = h.saveBaseline(config.root, name, run[0]!) // run.length === 1 (checked above)
  out(
    `${warn}saved run ${run[0]!.id} (\`${run[0]!.command}\`) as baseline \`${name}\`: ${relative(cwd, saved) || saved}\n`,
  )
  return EXIT.ok
}

/** `tasks history TASK`: one task's trend and its runs. */
function taskHistory({ config, opts, runs, file, warn, out }: HistoryView, task: string, last: number): number {
  const rows = runs.map((r) => ({ run: r, t: r.tasks.find((x) => x.name === task) })).filter((x) => x.t)
  if (!rows.length) {
    out(`${warn}no runs of \`${task}\` in ${file}\n`)
    return config.tasks.has(task) ? EXIT.ok : EXIT.config
  }
  const trend = h.taskTrends(
    rows.map((x) => ({ ...x.run, tasks: [x.t!] })),
    last,
  )[0]! // one task, in rows.length > 0 runs: one trend
  if (opts.json) {
    out(
      JSON.stringify(
        {
          task,
          trend,
          runs: rows.slice(-last).map((x) => ({ id: x.run.id, time: x.run.time, command: x.run.command, ...x.t })),
        },
        null,
        2,
      ) + '\n',
    )
    return EXIT.ok
  }
  const lines = [
    `${warn}${task}: ${trend.runs} runs, ran ${trend.ran}, median ${f(trend.medianMs)} over its last ${Math.min(last, trend.ran)} runs that ran it, hit rate ${Math.round(trend.hitRate * 100)} %`,
  ]
  for (const { run, t } of rows.slice(-last).reverse()) {
    lines.push(
      `  ${run.id}  ${run.time.slice(0, 19).replace('T', ' ')}  ${t!.status.padEnd(11)} ${f(t!.durationMs).padStart(9)}  ${t!.reason}${t!.cacheSource === 'remote' ? ' (remote)' : ''}  ${run.command}`,
    )
  }
  out(lines.join('\n') + '\n')
  return EXIT.ok
}

/** `tasks history`: the last runs, the tasks' trends and the saved baselines. */
function allHistory({ config, opts, runs, file, warn, out }: HistoryView, last: number): number {
  const root = config.root
  const recent = runs.slice(-last)
  const trends = h.taskTrends(runs, last)
  if (opts.json) {
    out(JSON.stringify({ runs: recent, trends, baselines: h.listBaselines(root) }, null, 2) + '\n')
    return EXIT.ok
  }
  if (!runs.length) {
    out(`${warn}no runs in ${file} yet\n`)
    return EXIT.ok
  }
  const lines = [`${warn}last ${recent.length} of ${runs.length} runs (${file}):`]
  for (const r of [...recent].reverse()) {
    const c = r.totals
    const git = r.git?.head ? ` ${r.git.head.slice(0, 8)}${r.git.dirty ? '+' : ''}` : ''
    lines.push(
      `  ${r.id}  ${r.time.slice(0, 19).replace('T', ' ')}${git}  ${r.interrupted ? 'interrupted' : r.ok ? 'ok    ' : 'FAILED'}  ${f(r.wallMs).padStart(9)}  ran ${c.ran}, hits ${c.cacheHits}, up to date ${c.upToDate}, failed ${c.failed}  ${r.command}`,
    )
  }
  const width = Math.min(40, Math.max(4, ...trends.map((t) => t.task.length)))
  lines.push('', `tasks (median of the last ${last} runs that ran each, hit rate = cache hits + up to date):`)
  for (const t of trends.slice(0, 30))
    lines.push(
      `  ${t.task.padEnd(width)}  median ${f(t.medianMs).padStart(9)}  ran ${String(t.ran).padStart(3)}/${String(t.runs).padEnd(3)}  hit rate ${String(Math.round(t.hitRate * 100)).padStart(3)} %  last: ${t.last}`,
    )
  if (trends.length > 30) lines.push(`  … ${trends.length - 30} more tasks (\`tasks history <task>\` for one)`)
  const baselines = h.listBaselines(root)
  if (baselines.length) lines.push('', `baselines: ${baselines.join(', ')}`)
  out(lines.join('\n') + '\n')
  return EXIT.ok
}
