/**
 * `tasks --explain [task...]`: which inputs, env or dependencies changed since the tasks last ran,
 * as an indented tree (or JSON with `--json`); with `--affected[=REF]`, why each task of the run is
 * or is not affected by the change since the merge base. The logic is the library's (`explain`,
 * `lib/run/affected.ts`).
 */
import type { AffectedBecause, AffectedReport } from '../../lib/model/events.js'
import type { Explanation } from '../../lib/run/run.js'
import { EXIT } from '../../lib/errors.js'
import { explain } from '../../lib/run/run.js'
import { buildGraph } from '../../lib/graph/graph.js'
import { CHANGE_LABELS } from '../../lib/fingerprint/record.js'
import { parseVarArgs } from '../../lib/config/vars.js'
import type { CommandContext } from '../project.js'
import { affectedRef, varItems } from '../read-options.js'

/**
 * Explain the context's requested tasks on stdout.
 * @returns the exit code (0)
 * @throws {TasksError} for a bad `--var`, or what `explain` / `computeAffected` throw
 */
export async function explainCommand(ctx: CommandContext): Promise<number> {
  const { opts, config, requested } = ctx
  const vars = parseVarArgs(varItems(opts.var))
  if (opts.affected !== undefined) {
    const { computeAffected } = await import('../../lib/run/affected.js')
    const report = await computeAffected({
      config,
      graph: buildGraph(config, requested),
      ref: affectedRef(opts.affected),
      warn: (m) => process.stderr.write(`warning: ${m}\n`),
    })
    process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : explainAffected(report))
    return EXIT.ok
  }
  const explained: Explanation[] = []
  for (const task of requested)
    explained.push(await explain({ config, task, args: opts['--'] ?? [], git: opts.git !== false, vars }))
  if (opts.json) {
    process.stdout.write(JSON.stringify(explained.length === 1 ? explained[0] : explained, null, 2) + '\n')
    return EXIT.ok
  }
  process.stdout.write(explainTree(explained))
  return EXIT.ok
}

/** The explanations as an indented tree: a task's reason, fingerprint and changes, then its dependencies'. */
function explainTree(explained: readonly Explanation[]): string {
  const lines: string[] = []
  // Depth first with an explicit stack: a chain of changed dependencies may be thousands deep.
  const stack = explained.map((x) => ({ x, indent: '' })).reverse()
  while (stack.length) {
    const { x, indent } = stack.pop()!
    lines.push(`${indent}${x.task}: ${x.reason}`)
    if (x.fingerprint)
      lines.push(
        `${indent}  fingerprint: ${x.fingerprint.slice(0, 16)}${x.previousFingerprint ? ` (last run: ${x.previousFingerprint.slice(0, 16)})` : ''}`,
      )
    for (const c of x.changes) lines.push(`${indent}  ${CHANGE_LABELS[c.kind]}: ${c.what}`)
    if (x.changedOutput) lines.push(`${indent}  output missing or changed: ${x.changedOutput}`)
    for (let i = x.deps.length - 1; i >= 0; i--) stack.push({ x: x.deps[i]!, indent: indent + '    ' })
  }
  return lines.join('\n') + '\n'
}

function words(b: AffectedBecause): string {
  switch (b.kind) {
    case 'file':
      return `affected: ${b.file} changed`
    case 'definition':
      return `affected: its definition in ${b.file} changed`
    case 'dependency':
      return `affected: dependency \`${b.dependency}\` is affected`
    case 'needed-by':
      return `not affected, needed by \`${b.task}\``
    case 'everything':
      return `affected: ${b.why}`
  }
}

/** `--explain --affected`: one line per task of the run, then the base and the changed files. */
export function explainAffected(r: AffectedReport): string {
  const lines = [
    `affected since ${r.ref}${r.base ? ` (merge base ${r.base.slice(0, 12)})` : ''}: ${r.files.length} changed file${r.files.length === 1 ? '' : 's'}`,
    ...r.tasks.map((t) => `  ${t.task}: ${words(t.because)}`),
    ...r.notAffected.map((n) => `  ${n}: not affected`),
  ]
  return lines.join('\n') + '\n'
}
