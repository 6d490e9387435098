/**
 * GitHub Actions output from a {@link RunModel}: `::error` workflow commands for failed tasks and
 * the Markdown run summary for `$GITHUB_STEP_SUMMARY`. Formats as GitHub documents them
 * ("Workflow commands for GitHub Actions"; escaping as in actions/toolkit's `command.ts`):
 *
 *     ::error title=<task>,file=<path>,line=<n>,col=<n>::<message>
 *
 * The message escapes `%` `\r` `\n` as `%25` `%0D` `%0A`; property values also escape `:` and `,`
 * as `%3A` and `%2C` (task names like `go:api` contain colons).
 */
import type { RunModel, TaskModel } from './model.js'
import { formatMs } from './format.js'

/** Escape a workflow command's message (`%`, CR, LF). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** Escape a workflow command's property value (`%`, CR, LF, `:`, `,`). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/** One workflow command line (with its newline), e.g. `workflowCommand('error', { title: 'build' }, 'boom')`. */
export function workflowCommand(
  command: string,
  properties: Record<string, string | number | undefined>,
  message: string,
): string {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
  return `::${command}${props.length ? ' ' + props.join(',') : ''}::${escapeData(message)}\n`
}

/**
 * The `::error` annotation of a failed task: its first error lines, and `file`/`line`/`col` when
 * they name a project file. Locations are relative to the project root; `prefix` (e.g. the root's
 * path inside `$GITHUB_WORKSPACE`, ending in `/`) makes them relative to the repository.
 */
export function errorAnnotation(t: TaskModel, prefix = ''): string {
  const lines = t.failure?.lines?.length ? t.failure.lines : [t.reason]
  const loc = t.failure?.location
  return workflowCommand(
    'error',
    { title: t.name, file: loc ? prefix + loc.file : undefined, line: loc?.line, col: loc?.col },
    lines.join('\n'),
  )
}

/** Every annotation of a run: one `::error` per failed task, in end order. */
export function annotations(m: RunModel, prefix = ''): string {
  return m.tasks
    .filter((t) => t.status === 'failed')
    .sort((a, b) => (a.endMs ?? 0) - (b.endMs ?? 0))
    .map((t) => errorAnnotation(t, prefix))
    .join('')
}

const STATUS_MARK: Record<string, string> = {
  ran: '✅ ran',
  'cache-hit': '♻️ cache hit',
  'up-to-date': '✔️ up to date',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  interrupted: '⛔ interrupted',
  'not-run': '… not run',
}

/** Escape text for a Markdown table cell. */
function cell(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
    .replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'))
}

/**
 * The run as GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY`: a headline (passed/failed,
 * wall time), the counts table, each failed task with its first error lines, the slowest tasks,
 * the critical path and, when known, the tasks slower than the baseline. Stays far below GitHub's
 * 1 MiB limit per step (at most 20 failures and 10 slow tasks are listed).
 */
export function stepSummary(m: RunModel, reportPath?: string): string {
  const c = m.counts
  const out: string[] = []
  out.push(
    `### ${m.ok ? '✅' : '❌'} \`${m.command}\` ${m.ok ? 'passed' : m.interrupted ? 'was interrupted' : 'failed'} in ${formatMs(m.wallMs)}`,
    '',
  )
  out.push(
    '| tasks | ran | cache hits (local / remote) | up to date | failed | skipped | time saved | CPU | parallelism |',
  )
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  out.push(
    `| ${c.tasks} | ${c.ran} | ${c.cacheHits} (${c.localHits} / ${c.remoteHits}) | ${c.upToDate} | ${c.failed} | ${c.skipped + c.interrupted + c.notRun} | ${formatMs(c.savedMs)} | ${formatMs(m.cpu.totalMs)} | ${m.parallelism.average.toFixed(2)}× (peak ${m.parallelism.peak}) |`,
    '',
  )
  const failed = m.tasks.filter((t) => t.status === 'failed').sort((a, b) => (a.endMs ?? 0) - (b.endMs ?? 0))
  for (const t of failed.slice(0, 20)) {
    const loc = t.failure?.location
    out.push(`#### ❌ \`${t.name}\`: ${cell(t.reason)}${loc ? ` at \`${loc.file}:${loc.line}\`` : ''}`, '')
    out.push('```text', ...(t.failure?.lines ?? [t.reason]).map((l) => l.replace(/```/g, "'''")), '```', '')
  }
  if (failed.length > 20) out.push(`… and ${failed.length - 20} more failed tasks.`, '')
  if (m.slowest.length) {
    out.push('<details><summary>Slowest tasks</summary>', '', '| task | status | duration |', '|---|---|---:|')
    for (const s of m.slowest)
      out.push(`| \`${cell(s.task)}\` | ${STATUS_MARK[s.status] ?? s.status} | ${formatMs(s.durationMs)} |`)
    out.push('', '</details>', '')
  }
  if (m.criticalPath.tasks.length)
    out.push(
      `**Critical path** (${formatMs(m.criticalPath.durationMs)}): ${m.criticalPath.tasks.map((t) => `\`${t}\``).join(' → ')}`,
      '',
    )
  const cmp = m.comparison
  if (cmp && cmp.slower.length) {
    out.push(
      `**Slower than ${cell(cmp.against)}** (> ${Math.round(cmp.threshold.ratio * 100)} % and > ${cmp.threshold.ms} ms):`,
      '',
      '| task | baseline | now | change |',
      '|---|---:|---:|---:|',
    )
    for (const s of cmp.slower.slice(0, 10))
      out.push(
        `| \`${cell(s.task)}\` | ${formatMs(s.baselineMs)} | ${formatMs(s.currentMs)} | +${formatMs(s.deltaMs)} (+${Math.round(s.ratio * 100)} %) |`,
      )
    out.push('')
  }
  if (reportPath) out.push(`Report: \`${reportPath}\``, '')
  return out.join('\n') + '\n'
}
