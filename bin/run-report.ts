/**
 * The report side of every run, a {@link Reporter} the CLI combines with the console's: the run model is collected from the events, one
 * line is appended to `.tasks/history.jsonl` (not for `--dry-run`), and `--report`, `--summarize`,
 * `--compare`, `--fail-on-regression` and the GitHub Actions output are written after the run.
 * The modules every run needs (the model, the git state, the history) are imported at the top so
 * the bundle keeps them in the run's chunk; the HTML report and the GitHub output load on demand.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { LoadedConfig } from '../lib/model/internal.js'
import { EXIT, TasksError } from '../lib/errors.js'
import { createRunCollector, type Comparison, type RunCollector, type RunModel } from '../lib/report/model.js'
import type { Reporter } from '../lib/report/reporter.js'
import { readGitState } from '../lib/report/git-info.js'
import * as history from '../lib/report/history.js'
import type { CliOptions } from './options.js'

/** What a run needs to report itself. */
export interface RunReportInput {
  opts: CliOptions
  config: LoadedConfig
  /** The run's graph: task -> direct dependencies. */
  deps: ReadonlyMap<string, readonly string[]>
  requested: readonly string[]
  args: readonly string[]
  /** The folder paths are printed relative to. */
  cwd: string
  /** Where the report's lines go (the paths written, the comparison, warnings): the CLI's stderr. */
  write(text: string): void
  env?: NodeJS.ProcessEnv
  /** The raw arguments (default `process.argv`). */
  argv?: readonly string[]
}

/**
 * The report side of one run, as a {@link Reporter}: feed it every run event (combined with the
 * console's reporter), and `close()` after the run writes the history line, the report, the
 * summary and the GitHub output, and prints their paths and the comparison.
 */
export interface RunReportReporter extends Reporter {
  /**
   * After `close()`: an exit code that overrides a successful run's (`--fail-on-regression` with a
   * slower task), or undefined.
   */
  exitCode(): number | undefined
}

/** The command line a run is recorded and compared by, e.g. `tasks build -- --verbose`. */
export function commandLine(requested: readonly string[], args: readonly string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)
  return ['tasks', ...requested.map(quote), ...(args.length ? ['--', ...args.map(quote)] : [])].join(' ')
}

/**
 * Start collecting a run for the history, `--report`, `--summarize`, `--compare` and GitHub.
 * @throws {TasksError} `usage` for `--summarize -` with `--json`, or a `--compare` target that does not exist
 */
export async function startRunReport(input: RunReportInput): Promise<RunReportReporter> {
  const { opts, config } = input
  const root = config.root
  const dryRun = !!opts.dryRun
  // A dry run writes no history, so it needs no git state (and must not touch .git).
  const gitState: Promise<{ head?: string; dirty?: boolean }> = dryRun ? Promise.resolve({}) : readGitState(root)
  const command = commandLine(input.requested, input.args)
  const collector = createRunCollector({
    root,
    deps: input.deps,
    command,
    requested: input.requested,
    cwds: new Map([...config.tasks].filter(([n]) => input.deps.has(n)).map(([n, t]) => [n, t.cwd])),
  })
  // cac drops a lone `-` after an option: `--summarize -` arrives as `true`.
  const argv = input.argv ?? process.argv
  if (opts.summarize === true && argv[argv.indexOf('--summarize') + 1] === '-') opts.summarize = '-'
  if (opts.summarize === '-' && opts.json) {
    throw new TasksError(
      'usage',
      '`--summarize -` and `--json` both write to stdout',
      {},
      'give `--summarize` a file, or drop `--json`',
    )
  }
  // A bad `--compare` value is a usage error before anything runs.
  let target: history.CompareTarget | undefined
  if (opts.compare !== undefined) {
    target = history.resolveCompareTarget(root, opts.compare as string | true, history.readHistory(root).runs)
  }
  let code: number | undefined
  return {
    onEvent: collector.onEvent,
    async close() {
      const model = collector.model()
      const git = await gitState
      if (git.head || git.dirty !== undefined) model.git = git
      code = compareAndRecord(input, model, target)
      if (opts.report !== undefined && opts.report !== false) await writeHtml(input, model, collector)
      writeSummary(input, model)
      if ((input.env ?? process.env).GITHUB_ACTIONS === 'true' && !dryRun) await writeGithub(input, model)
    },
    exitCode: () => code,
  }
}

const show = (input: RunReportInput, p: string) => relative(input.cwd, p) || p

/**
 * The comparison (`--compare`, or against the previous run for `--report`) and the history line
 * (not for `--dry-run`).
 * @returns the `--fail-on-regression` exit code, or undefined
 */
function compareAndRecord(
  input: RunReportInput,
  model: RunModel,
  target: history.CompareTarget | undefined,
): number | undefined {
  const { opts, write } = input
  const root = input.config.root
  const entry = history.toHistoryEntry(model)
  const wantsReport = opts.report !== undefined && opts.report !== false
  let past: history.HistoryEntry[] = []
  if (opts.compare !== undefined || wantsReport) {
    const h = history.readHistory(root)
    past = h.runs
    if (h.skipped)
      write(
        `warning: ${h.skipped} unreadable line${h.skipped === 1 ? '' : 's'} in ${show(input, history.historyFile(root))} skipped\n`,
      )
  }
  let code: number | undefined
  if (target) {
    const cmp = history.compareRun(entry, target, [...past, entry], root)
    if (!cmp) write(`compare: no previous run of \`${model.command}\` to compare with\n`)
    else {
      model.comparison = cmp
      write(compareText(cmp))
      if (opts.failOnRegression && cmp.slower.length) {
        write(
          `regression: ${cmp.slower.length} task${cmp.slower.length === 1 ? '' : 's'} slower than ${cmp.against} (--fail-on-regression)\n`,
        )
        code = EXIT.taskFailed
      }
    }
  } else if (wantsReport) {
    model.comparison = history.compareRun(entry, { kind: 'previous' }, [...past, entry], root)
  }
  if (!opts.dryRun) {
    try {
      history.appendHistory(root, entry)
    } catch (err) {
      write(`warning: could not append to the run history: ${(err as Error).message}\n`)
    }
  }
  return code
}

/** `--report [FILE]`: the HTML page, with failed and cut logs written whole beside it. */
async function writeHtml(input: RunReportInput, model: RunModel, collector: RunCollector): Promise<void> {
  const { opts } = input
  const file =
    typeof opts.report === 'string' && opts.report
      ? resolve(input.cwd, opts.report)
      : join(input.config.root, '.tasks', 'reports', `${model.runId}.html`)
  const logDir = `${file.replace(/\.html?$/, '')}.logs`
  // The report keeps a cut of each log; failed and cut logs are written whole beside it.
  let n = 0
  for (const t of model.tasks) {
    if (!t.log || !(t.log.truncated || t.status === 'failed')) continue
    const full = collector.fullLog(t.name)
    if (!full) continue
    const p = join(logDir, `${String(n++).padStart(4, '0')}-${t.name.replace(/[^\w.-]+/g, '_').slice(0, 80)}.log`)
    try {
      mkdirSync(logDir, { recursive: true })
      writeFileSync(p, full)
      t.log.path = p
    } catch {}
  }
  const { renderHtml } = await import('../lib/report/html.js')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, renderHtml(model, { baseDir: dirname(file) }))
  input.write(`report: ${show(input, file)}\n`)
}

/** `--summarize [FILE|-]`: the run model as JSON. */
function writeSummary(input: RunReportInput, model: RunModel): void {
  const { opts } = input
  if (opts.summarize === undefined || opts.summarize === false) return
  const json = JSON.stringify(model, null, 2) + '\n'
  if (opts.summarize === '-') return void process.stdout.write(json)
  const file =
    typeof opts.summarize === 'string' && opts.summarize
      ? resolve(input.cwd, opts.summarize)
      : join(input.config.root, '.tasks', 'runs', `${model.runId}.json`)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, json)
  input.write(`summary: ${show(input, file)}\n`)
}

/** In GitHub Actions: the annotations, and the step summary when `$GITHUB_STEP_SUMMARY` is set. */
async function writeGithub(input: RunReportInput, model: RunModel): Promise<void> {
  const env = input.env ?? process.env
  const github = await import('../lib/report/github.js')
  const ws = env.GITHUB_WORKSPACE
  const rel = ws ? relative(ws, input.config.root) : ''
  const prefix = ws && rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') + '/' : ''
  input.write(github.annotations(model, prefix))
  if (env.GITHUB_STEP_SUMMARY) {
    try {
      appendFileSync(env.GITHUB_STEP_SUMMARY, github.stepSummary(model))
    } catch (err) {
      input.write(`warning: could not write $GITHUB_STEP_SUMMARY: ${(err as Error).message}\n`)
    }
  }
}

/** The `--compare` table as text. */
function compareText(cmp: Comparison): string {
  const f = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`)
  const lines = [
    `compare: against ${cmp.against} (flagged: > ${Math.round(cmp.threshold.ratio * 100)} % and > ${cmp.threshold.ms} ms)`,
  ]
  const width = Math.min(40, Math.max(4, ...[...cmp.slower, ...cmp.faster].map((c) => c.task.length)))
  for (const [label, xs] of [
    ['slower', cmp.slower],
    ['faster', cmp.faster],
  ] as const) {
    for (const c of xs)
      lines.push(
        `  ${label}  ${c.task.padEnd(width)}  ${f(c.baselineMs).padStart(9)} -> ${f(c.currentMs).padStart(9)}  (${c.deltaMs >= 0 ? '+' : '-'}${f(Math.abs(c.deltaMs))}, ${c.ratio >= 0 ? '+' : ''}${Number.isFinite(c.ratio) ? Math.round(c.ratio * 100) : '∞'} %)`,
      )
  }
  if (!cmp.slower.length && !cmp.faster.length) lines.push('  no task got slower or faster beyond the noise band')
  return lines.join('\n') + '\n'
}
