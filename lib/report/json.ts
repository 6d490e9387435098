/**
 * `--json`: the {@link RunResult} as one JSON document, with each task's typed reason kept under
 * `reasonData` / `runReasonData` and given in prose under `reason` / `runReason` (`formatReason`),
 * so scripts can match either the code or the words the CLI prints.
 */
import type { RunEvent, RunResult, TaskReason, TaskResult } from '../model/events.js'
import { formatReason } from './format.js'
import type { Reporter } from './reporter.js'

/** One task in the `--json` document. */
export type JsonTaskResult = Omit<TaskResult, 'reason' | 'runReason'> & {
  reason: string
  reasonData: TaskReason
  runReason?: string
  runReasonData?: TaskReason
}

/** The `--json` document: a {@link RunResult} whose tasks are {@link JsonTaskResult}s. */
export type JsonRunResult = Omit<RunResult, 'tasks'> & { tasks: JsonTaskResult[] }

/** A {@link RunResult} as the `--json` document (dry runs word reasons as predictions). */
export function toJsonResult(result: RunResult): JsonRunResult {
  const dryRun = result.summary.dryRun
  return {
    ...result,
    tasks: result.tasks.map(({ reason, runReason, ...t }) => ({
      ...t,
      reason: formatReason(reason, { dryRun }),
      reasonData: reason,
      ...(runReason ? { runReason: formatReason(runReason, { dryRun }), runReasonData: runReason } : {}),
    })),
  }
}

/**
 * A {@link Reporter} that prints nothing while the run goes and writes the JSON document on
 * `close()`. Give it the run's result with `setResult` before closing (events do not carry the
 * tasks' returned values).
 */
export function createJsonReporter(write: (text: string) => void): Reporter & { setResult(result: RunResult): void } {
  let result: RunResult | undefined
  return {
    onEvent(_e: RunEvent) {},
    setResult(r) {
      result = r
    },
    async close() {
      if (result) write(JSON.stringify(toJsonResult(result), null, 2) + '\n')
    },
  }
}
