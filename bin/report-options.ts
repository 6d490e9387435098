/**
 * The CLI's run-report flags: `--report [FILE]`, `--summarize [FILE]`, `--compare [RUN|baseline]`,
 * `--fail-on-regression`, `--output-logs MODE`. What happens around every run with them (the run
 * model, the history line, the report, the summary, the GitHub output) is `bin/run-report.ts`.
 *
 * This module is imported before the arguments are parsed (to declare the flags), so it imports
 * nothing at the top but cac's types and the error module (a leaf); the library parts load on demand.
 */
import type { CAC } from 'cac'
import type { OutputLogs } from '../lib/report/output-logs.js'
import { TasksError } from '../lib/errors.js'

/** Option keys (as cac reports them) this module adds, for bin/tasks.ts's unknown-option check. */
export const REPORT_OPTION_KEYS = [
  'report',
  'summarize',
  'compare',
  'failOnRegression',
  'fail-on-regression',
  'outputLogs',
  'output-logs',
  'baseline',
  'last',
  'run',
]

/** Declare the flags on the CLI (help text included). */
export function addReportOptions(cli: CAC): void {
  cli
    .option('--report [file]', 'Write an HTML report of the run (default .tasks/reports/<run-id>.html)')
    .option(
      '--summarize [file]',
      'Write the run summary as JSON, schema in docs/reference/run-summary.md (default .tasks/runs/<run-id>.json, `-` for stdout)',
    )
    .option(
      '--compare [run]',
      'Compare durations with a run id or saved baseline (default: the median of the last 5 runs of the same command)',
    )
    .option(
      '--fail-on-regression',
      'With --compare: exit 1 when a task got slower than the baseline (> 20 % and > 100 ms)',
    )
    .option('--output-logs <mode>', 'Task logs to print: full (default), new-only, errors-only or none')
    .option('--baseline <action>', '`tasks history --baseline save NAME [--run ID]` pins a run as a named baseline')
    .option('--last <n>', '`tasks history`: how many runs to show (default 10)')
    .option('--run <id>', '`tasks history --baseline save`: the run to pin (default the newest)')
}

type Opts = Record<string, unknown>

/**
 * The `--output-logs` mode; `full` when not given.
 * @throws {TasksError} `usage` for another value
 */
export async function outputLogsOf(opts: Opts): Promise<OutputLogs> {
  const v = opts.outputLogs
  if (v === undefined) return 'full'
  const { isOutputLogs, OUTPUT_LOGS } = await import('../lib/report/output-logs.js')
  if (isOutputLogs(v)) return v
  throw new TasksError(
    'usage',
    `--output-logs takes ${OUTPUT_LOGS.map((m) => `\`${m}\``).join(', ')}, got \`${String(v)}\``,
  )
}

export type { RunReport, RunReportInput } from './run-report.js'
