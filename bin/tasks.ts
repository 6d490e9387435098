#!/usr/bin/env node
/**
 * The `tasks` CLI: arguments -> library API -> reporter -> exit code. The only place that prints
 * errors, picks a reporter and calls `process.exit`. The library is imported after the arguments
 * are parsed, so `--version` and `--help` load nothing else.
 */
import { cac } from 'cac'
import { readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
// A leaf module (no imports), so --version and --help stay cheap.
import { EXIT } from '../lib/errors.js'
import { cleanHelp, normaliseArgv } from './args.js'
import { affectedRef, explainAffected, normaliseAffectedArgv, varItems } from './affected.js'
import { exitCodeForSignal, installSignalHandlers } from './signals.js'
import { addReportOptions, outputLogsOf, REPORT_OPTION_KEYS } from './report-options.js'

const cli = cac('tasks')
cli
  .usage("[task...] [options] [-- args for the tasks' commands]")
  .option('--force', 'Run every task, ignoring up-to-date state and the cache (results are still stored)')
  .option('--no-cache', 'Neither restore from nor store to the cache (up-to-date checks still apply)')
  .option('--no-git', 'Find and digest input files by walking the tree instead of asking git')
  .option('--dry-run', 'Show what would run and why, without running or writing anything')
  .option('--explain', 'Say which inputs, env or dependencies changed since the named tasks last ran')
  .option('--list', 'List the tasks and their descriptions')
  .option('--graph [format]', 'Print the task graph as `dot` (default) or `mermaid`')
  .option('--json', 'Print a machine-readable RunResult as JSON on stdout (progress goes to stderr)')
  .option('--continue', 'Keep running independent tasks after a failure')
  .option('--watch', 'Run, then rerun what changed on every edit of an input or the config (Ctrl-C stops)')
  .option('--concurrency <n>', 'Tasks running at once (default: available parallelism)')
  .option(
    '--affected [ref]',
    'Only tasks a change since the merge base with <ref> touches (default: main, or TASKS_AFFECTED_BASE), and what they need',
  )
  .option('--var <name=value>', 'Set a task variable declared in `vars` (repeatable)')
  .option(
    '--filter <workspaces>',
    'Only these workspaces: a name, a glob, ./path, ...name (and its dependents), name... (and its dependencies); repeatable',
  )
  .option('--cwd <dir>', 'Folder to start from (default: the current folder)')
  .option('--config <file>', 'Config file to use instead of searching for tasks.config.*')
  .option('--profile <file>', 'Write a Chrome trace of the run to <file>')
  .option(
    '--remote-cache <url>',
    'Remote cache: http(s):// Bazel HTTP, grpc(s):// Bazel gRPC, turbo+http(s):// Turborepo (also TASKS_REMOTE_CACHE)',
  )
  .option('--no-remote-cache', 'Turn the remote cache off for this run')
  .option(
    '--remote-cache-read-only',
    'Restore from the remote cache, never upload (also TASKS_REMOTE_CACHE_READ_ONLY=1)',
  )
addReportOptions(cli)
cli
  .option('-v, --version', 'Print the version')
  .option('-h, --help', 'Print this help')
  .example('tasks build test')
  .example('tasks build -- --verbose')
  .example('tasks --explain build')
  .example('tasks --watch build test')
  .example('tasks --affected=origin/main test      (CI: what the branch touched)')
  .example('tasks deploy --var env=prod')
  .example('tasks build --filter web...      (workspaces: web and what it depends on)')
  .example('tasks import Makefile | tasks import package.json | tasks init')
  .example('source <(tasks completion bash)  (also zsh, fish)')
  .example('tasks cache status   (also: tasks cache prune, tasks cache clean)')
  .help(cleanHelp)

let parsed: ReturnType<typeof cli.parse>
try {
  parsed = cli.parse(
    normaliseAffectedArgv(normaliseArgv(process.argv, ['dry-run', 'remote-cache-read-only', 'fail-on-regression'])),
    { run: false },
  )
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n  help: run \`tasks --help\`\n`)
  process.exit(EXIT.config)
}
const opts = parsed.options as Record<string, unknown> & { '--'?: string[] }

if (opts.version) {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.version}\n`)
  process.exit(EXIT.ok)
}
if (opts.help) {
  cli.outputHelp()
  process.exit(EXIT.ok)
}

const KNOWN = new Set([
  'force',
  'cache',
  'git',
  'dryRun',
  'dry-run',
  'explain',
  'list',
  'graph',
  'json',
  'continue',
  'concurrency',
  'cwd',
  'config',
  'profile',
  'filter',
  'affected',
  'var',
  'watch',
  'version',
  'v',
  'help',
  'h',
  '--',
  ...REPORT_OPTION_KEYS,
])
for (const k of ['remoteCache', 'remote-cache', 'remoteCacheReadOnly', 'remote-cache-read-only']) KNOWN.add(k)
for (const key of Object.keys(opts)) {
  if (!KNOWN.has(key)) {
    process.stderr.write(
      `error: unknown option \`--${key}\`\n  help: run \`tasks --help\`; to pass it to the task's command, put it after \`--\`\n`,
    )
    process.exit(EXIT.config)
  }
}

process.exitCode = await main()

async function main(): Promise<number> {
  // Subcommands (import, init, completion): their own module, loaded only for them.
  if (['import', 'init', 'completion', '__complete'].includes(String(parsed.args[0]))) {
    const { runSubcommand } = await import('./import-command.js')
    const flags = cli.globalCommand.options.map((o) => ({
      name: /--([\w-]+)/.exec(o.rawName)?.[1] ?? o.name,
      short: /(?:^|,\s*)-(\w)(?:,|\s|$)/.exec(o.rawName)?.[1],
      description: o.description,
      value: /[<[]/.test(o.rawName),
    }))
    const code = await runSubcommand(
      parsed.args.map(String),
      {
        cwd: opts.cwd as string | undefined,
        config: opts.config as string | undefined,
        force: !!opts.force,
        dryRun: !!opts.dryRun,
      },
      flags,
    )
    if (code !== undefined) return code
  }
  // `tasks cache status|prune|clean` (bin/cache-command.ts).
  if (
    parsed.args[0] === 'cache' &&
    parsed.args.length === 2 &&
    ['status', 'prune', 'clean'].includes(String(parsed.args[1]))
  ) {
    const { runCacheCommand, remoteFlags } = await import('./cache-command.js')
    const { renderError } = await import('./render-error.js')
    try {
      return await runCacheCommand(
        String(parsed.args[1]),
        {
          cwd: opts.cwd as string | undefined,
          config: opts.config as string | undefined,
          flags: remoteFlags(opts),
          json: !!opts.json,
        },
        (t) => process.stdout.write(t),
      )
    } catch (err) {
      process.stderr.write(renderError(err, process.cwd(), !!process.stderr.isTTY && !process.env.NO_COLOR))
      return (await import('../lib/errors.js')).exitCodeFor(err)
    }
  }
  const ac = new AbortController()
  const signalled = installSignalHandlers(ac)
  // A run (or --explain) needs git's view of the tree: start it before loading the library.
  if (!opts.list && opts.graph === undefined && opts.git !== false) {
    const { prefetchRun } = await import('../lib/prefetch.js')
    prefetchRun({ cwd: opts.cwd as string | undefined, config: opts.config as string | undefined })
    // The run's scheduler: start loading it now, alongside the library (errors surface where run() imports it).
    import('p-queue').catch(() => {})
  }
  // One module (bin/run-path.ts: one chunk of the bundle) holds everything a run needs.
  const lib = await import('./run-path.js')
  const { renderError } = lib
  const cwd = process.cwd()

  try {
    const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency)
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
      throw new lib.TasksError('usage', `--concurrency must be a whole number >= 1, got \`${opts.concurrency}\``)
    }
    const config = await lib.loadConfig({
      cwd: opts.cwd as string | undefined,
      config: opts.config as string | undefined,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      readOnly: !!(opts.dryRun || opts.explain || opts.list || opts.graph !== undefined),
    })
    if (String(parsed.args[0]) === 'history' && !config.tasks.has('history')) {
      return await (
        await import('./history-command.js')
      ).historyCommand(config, parsed.args.slice(1).map(String), opts, cwd, (t) => process.stdout.write(t))
    }
    // --list and --graph run nothing, but a cyclic config is still an error there.
    if (opts.list || opts.graph !== undefined) lib.buildGraph(config, [...config.tasks.keys()])
    // Workspaces: short names mean the current workspace's tasks (or every workspace's, at the root).
    const here = opts.cwd ? resolve(cwd, String(opts.cwd)) : cwd
    const select = (n: string[]) =>
      lib.selectTasks(config, n, { cwd: here, filter: [opts.filter ?? []].flat().map(String) })
    let names =
      parsed.args.length || (opts.filter && !opts.list)
        ? select(parsed.args.length ? parsed.args.map(String) : ['default'])
        : []
    if (!names.length && config.workspaces && !config.tasks.has('default'))
      names.push(
        ...(() => {
          try {
            return select(['default'])
          } catch {
            return []
          }
        })(),
      )

    if (
      opts.list ||
      (names.length === 0 && !config.tasks.has('default') && !opts.explain && opts.graph === undefined)
    ) {
      const rows = [...config.tasks.values()]
      const width = Math.min(40, Math.max(...rows.map((t) => t.name.length), 4))
      const out = rows.map((t) =>
        `  ${t.name.padEnd(width)}  ${t.description ?? (t.run === undefined ? `runs ${t.deps.join(', ')}` : '')}`.trimEnd(),
      )
      process.stdout.write(`tasks in ${relative(cwd, config.file) || config.file}:\n${out.join('\n')}\n`)
      return EXIT.ok
    }
    const requested = names.length ? names : ['default']

    if (opts.graph !== undefined) {
      let format = opts.graph === true || opts.graph === '' ? 'dot' : String(opts.graph)
      // `tasks --graph build`: cac gave the task name to --graph as its value.
      if (format !== 'dot' && format !== 'mermaid' && config.tasks.has(format))
        [names, format] = [[format, ...names], 'dot']
      if (format !== 'dot' && format !== 'mermaid')
        throw new lib.TasksError('usage', `--graph takes \`dot\` or \`mermaid\`, got \`${format}\``)
      const graph = lib.buildGraph(config, names.length ? names : [...config.tasks.keys()])
      process.stdout.write(format === 'dot' ? lib.toDot(graph) : lib.toMermaid(graph))
      return EXIT.ok
    }

    const vars = lib.parseVarArgs(varItems(opts.var))
    if (opts.explain && opts.affected !== undefined) {
      const { computeAffected } = await import('../lib/run/affected.js')
      const report = await computeAffected({
        config,
        graph: lib.buildGraph(config, requested),
        ref: affectedRef(opts.affected),
        warn: (m) => process.stderr.write(`warning: ${m}\n`),
      })
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : explainAffected(report))
      return EXIT.ok
    }
    if (opts.explain) {
      const explained: import('../lib/run/run.js').Explanation[] = []
      for (const task of requested)
        explained.push(await lib.explain({ config, task, args: opts['--'] ?? [], git: opts.git !== false, vars }))
      if (opts.json) {
        process.stdout.write(JSON.stringify(explained.length === 1 ? explained[0] : explained, null, 2) + '\n')
        return EXIT.ok
      }
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
        for (const c of x.changes) lines.push(`${indent}  ${lib.CHANGE_LABELS[c.kind]}: ${c.what}`)
        if (x.changedOutput) lines.push(`${indent}  output missing or changed: ${x.changedOutput}`)
        for (let i = x.deps.length - 1; i >= 0; i--) stack.push({ x: x.deps[i]!, indent: indent + '    ' })
      }
      process.stdout.write(lines.join('\n') + '\n')
      return EXIT.ok
    }

    if (opts.watch) {
      const clash = opts.json
        ? '--json'
        : opts.dryRun
          ? '--dry-run'
          : ['affected', 'report', 'summarize', 'compare', 'failOnRegression', 'profile'].find(
              (k) => opts[k] !== undefined && opts[k] !== false,
            )
      if (clash)
        throw new lib.TasksError(
          'usage',
          `--watch cannot be combined with ${clash.startsWith('--') ? clash : `--${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`}`,
        )
      const { runWatch } = await import('./watch-command.js')
      const outputLogs = await outputLogsOf(opts)
      const tty = !!process.stderr.isTTY && process.env.CI !== 'true'
      await runWatch({
        config,
        tasks: requested,
        args: opts['--'] ?? [],
        force: !!opts.force,
        cache: opts.cache !== false,
        git: opts.git !== false,
        continue: !!opts.continue,
        concurrency,
        outputLogs,
        vars,
        signal: ac.signal,
        tty,
        color: process.env.NO_COLOR ? false : process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : tty,
        reload: () =>
          lib.loadConfig({
            cwd: opts.cwd as string | undefined,
            config: opts.config as string | undefined,
            fresh: true,
            onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
          }),
        write: (t) => process.stderr.write(t),
        renderError: (err) => renderError(err, cwd, !!process.stderr.isTTY && !process.env.NO_COLOR),
      })
      const sig = signalled()
      return sig ? exitCodeForSignal(sig) : EXIT.ok
    }

    const runGraph = lib.buildGraph(config, requested)
    const graphOrder = runGraph.order
    const outputLogs = await outputLogsOf(opts)
    const runReport = await lib.startRunReport({
      opts,
      config,
      deps: new Map([...runGraph.tasks].map(([n, t]) => [n, t.deps])),
      requested,
      args: opts['--'] ?? [],
      cwd,
    })
    // An interactive task owns the terminal while it runs: the plain reporter, never listr2's redrawing view.
    const interactive = graphOrder.some((n) => config.tasks.get(n)!.interactive)
    const tty = !!process.stderr.isTTY && process.env.CI !== 'true' && !opts.json && !interactive
    const color = process.env.NO_COLOR ? false : process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : tty
    // Batch writes: one write per event-loop turn instead of one per line (~0.3 ms each on a pipe).
    let pending = ''
    const flush = () => {
      if (pending) process.stderr.write(pending)
      pending = ''
    }
    const write = (t: string) => {
      // An interactive task's prompt must come after its start line: no batching then.
      if (interactive) return void process.stderr.write(t)
      if (!pending) setImmediate(flush)
      pending += t
    }
    const reporter = await lib.pickReporter({
      tty,
      color,
      json: !!opts.json,
      profile: opts.profile ? String(opts.profile) : undefined,
      order: graphOrder,
      write,
      outputLogs,
    })

    // The remote cache tier (bin/cache-command.ts), when one is configured.
    const tiered =
      opts.cache === false
        ? undefined
        : await lib.openRunCache(config, lib.remoteFlags(opts), (message, task) =>
            reporter.onEvent({ type: 'warning', time: Date.now(), task, message, code: 'remote-cache' }),
          )
    const result = await lib.run({
      config,
      tasks: requested,
      args: opts['--'] ?? [],
      force: !!opts.force,
      cache: tiered ?? opts.cache !== false,
      git: opts.git !== false,
      dryRun: !!opts.dryRun,
      continue: !!opts.continue,
      concurrency,
      vars,
      ...(opts.affected !== undefined ? { affected: { base: affectedRef(opts.affected) } } : {}),
      signal: ac.signal,
      onEvent: (e) => {
        reporter.onEvent(e)
        runReport.onEvent(e)
      },
    })
    reporter.setResult(result)
    await reporter.close()
    await lib.afterRun(config, result, tiered)
    const failedNames = result.tasks.filter((t) => t.status === 'failed').map((t) => t.name)
    if (failedNames.length) write(`failed: ${failedNames.join(', ')}\n`)
    const reportCode = await runReport.finish(result, write)
    flush()
    // A function task abandoned after its timeout may still hold the event loop: do not wait for it
    // (armed only now, so the reports and the cache's housekeeping above are never cut short).
    if (result.tasks.some((t) => t.reason.code === 'timed-out')) setTimeout(() => process.exit(), 2000).unref()
    const sig = signalled()
    if (sig) return exitCodeForSignal(sig)
    return result.ok ? (reportCode ?? EXIT.ok) : EXIT.taskFailed
  } catch (err) {
    process.stderr.write(renderError(err, cwd, !!process.stderr.isTTY && !process.env.NO_COLOR))
    return lib.exitCodeFor(err)
  }
}
