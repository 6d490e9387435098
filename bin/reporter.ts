/**
 * Which {@link Reporter} the CLI uses: the listr2 view in a terminal, plain prefixed lines in CI
 * and pipes, plus the JSON document on stdout (`--json`) and the Chrome trace (`--profile FILE`),
 * combined into one.
 */
import { writeFileSync } from 'node:fs'
import type { RunResult } from '../lib/model/events.js'
import type { Reporter } from '../lib/report/reporter.js'
// Static: a run in CI or a pipe (the common case) needs no further module; listr2's view,
// --json and --profile load on demand.
import { combineReporters } from '../lib/report/reporter.js'
import { createPlainReporter } from '../lib/report/plain.js'

/** What decides the reporter. */
export interface PickReporterOptions {
  /** Draw the listr2 view (stderr is a terminal, not CI, not `--json`). */
  tty: boolean
  color: boolean
  /** `--json`: write the RunResult JSON to stdout on close. */
  json: boolean
  /** `--profile FILE`. */
  profile?: string
  /** The run's tasks in topological order (the listr2 view's lines). */
  order: readonly string[]
  /** Where progress and the summary go (stderr, batched). */
  write(text: string): void
  /** `--output-logs`: what is printed of each task's log. @default 'full' */
  outputLogs?: import('../lib/report/output-logs.js').OutputLogs
}

/**
 * The CLI's reporter. Call `setResult` with the run's result before `close()` (the JSON document needs it).
 * @returns a reporter combining the chosen ones
 */
export async function pickReporter(o: PickReporterOptions): Promise<Reporter & { setResult(result: RunResult): void }> {
  const parts: Reporter[] = []
  if (o.tty) {
    const { createListrReporter } = await import('../lib/report/listr.js')
    parts.push(await createListrReporter(o.order, o.write, { outputLogs: o.outputLogs }))
  } else {
    parts.push(
      createPlainReporter({
        write: o.write,
        color: o.color,
        githubActions: process.env.GITHUB_ACTIONS === 'true',
        outputLogs: o.outputLogs,
      }),
    )
  }
  let json: ReturnType<typeof import('../lib/report/json.js').createJsonReporter> | undefined
  if (o.json) {
    const { createJsonReporter } = await import('../lib/report/json.js')
    parts.push((json = createJsonReporter((t) => process.stdout.write(t))))
  }
  if (o.profile) {
    const file = o.profile
    const { createTraceCollector } = await import('../lib/report/trace.js')
    parts.push(createTraceCollector((text) => writeFileSync(file, text)))
  }
  return { ...combineReporters(...parts), setResult: (r) => json?.setResult(r) }
}
