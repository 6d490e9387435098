/**
 * `--output-logs`: how much of each task's log a reporter prints, with Turborepo's names and
 * meanings (`turbo run --output-logs`):
 * - `full`: everything, fresh output and logs replayed from the cache (the default);
 * - `new-only`: fresh output only; a cache hit prints its status line, not its replayed log;
 * - `errors-only`: only the logs of failed tasks, once, when they fail;
 * - `none`: no task logs at all (status lines, the summary and annotations still print).
 */

/** One of Turborepo's `--output-logs` modes. */
export type OutputLogs = 'full' | 'new-only' | 'errors-only' | 'none'

/** Every mode, in the order of the help text. */
export const OUTPUT_LOGS: readonly OutputLogs[] = ['full', 'new-only', 'errors-only', 'none']

/** Whether `value` is a mode. */
export function isOutputLogs(value: unknown): value is OutputLogs {
  return typeof value === 'string' && (OUTPUT_LOGS as readonly string[]).includes(value)
}

/** Whether a chunk of output is printed as it arrives (`replay`: a log replayed on a cache hit). */
export function streamsOutput(mode: OutputLogs, replay: boolean): boolean {
  return mode === 'full' || (mode === 'new-only' && !replay)
}

/** Whether a failed task's log is printed (when it was not streamed already). */
export function showsFailedLog(mode: OutputLogs): boolean {
  return mode !== 'none'
}
