/**
 * Typed readers of the parsed options ({@link CliOptions}, declared in `options.ts`) for the
 * commands: the checks and conversions of `--cwd`, `--concurrency`, `--output-logs`, `--affected`
 * and `--var`. Kept apart from `options.ts` (the CLI's entry imports that one before parsing; the
 * commands, loaded after, import this one).
 */
import type { OutputLogs } from '../lib/report/output-logs.js'
import { TasksError } from '../lib/errors.js'
import type { CliOptions, OptionValue } from './options.js'

/** A value option as text (`--cwd`, `--config`, `--profile`): undefined when not given, else the text mri parsed. */
export function textOption(v: OptionValue | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === 'string' ? v : String(v)
}

/**
 * `--concurrency`; undefined when not given.
 * @throws {TasksError} `usage` unless a whole number >= 1
 */
export function concurrencyOf(opts: CliOptions): number | undefined {
  const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency)
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1))
    throw new TasksError('usage', `--concurrency must be a whole number >= 1, got \`${opts.concurrency}\``)
  return concurrency
}

/**
 * The `--output-logs` mode; `full` when not given.
 * @throws {TasksError} `usage` for another value
 */
export async function outputLogsOf(opts: CliOptions): Promise<OutputLogs> {
  const v = opts.outputLogs
  if (v === undefined) return 'full'
  const { isOutputLogs, OUTPUT_LOGS } = await import('../lib/report/output-logs.js')
  if (isOutputLogs(v)) return v
  throw new TasksError(
    'usage',
    `--output-logs takes ${OUTPUT_LOGS.map((m) => `\`${m}\``).join(', ')}, got \`${String(v)}\``,
  )
}

/** The ref of `--affected` as parsed (`true`/`''`: the default). */
export function affectedRef(value: OptionValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** `--var` as given once (a string) or repeated (an array), as a list. */
export function varItems(value: OptionValue | undefined): string[] {
  return value === undefined ? [] : [value].flat().map(String)
}
