#!/usr/bin/env node
/**
 * The `tasks` CLI: arguments -> command (`bin/commands/`) -> library API -> reporter -> exit code.
 * The only place that prints parse errors, routes to a command and sets the exit code. The
 * library is imported after the arguments are parsed, so `--version` and `--help` load nothing
 * else; a run loads `run-path.ts` (one chunk of the bundle), every other command its own module.
 */
import { readFileSync } from 'node:fs'
// A leaf module (no imports), so --version and --help stay cheap.
import { EXIT } from '../lib/errors.js'
import { completionFlags, createCli, describeUnknown, parseArgv, unknownOption, type ParsedArgs } from './options.js'
import { splitAssignments } from './args.js'
import { exitCodeForSignal, installSignalHandlers } from './signals.js'

const cli = createCli()
let parsed: ParsedArgs
try {
  parsed = parseArgv(cli, process.argv)
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n  help: run \`tasks --help\`\n`)
  process.exit(EXIT.config)
}
const { opts } = parsed
// `tasks build CFLAGS=-O2`: a NAME=value argument sets a variable for the run, as make does.
const { args, assignments } = splitAssignments(parsed.args)

if (opts.version) {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.version}\n`)
  process.exit(EXIT.ok)
}
if (opts.help) {
  cli.outputHelp()
  process.exit(EXIT.ok)
}
const unknown = unknownOption(opts)
if (unknown !== undefined) {
  const { typed, nearest } = await describeUnknown(unknown)
  process.stderr.write(
    `error: unknown option \`${typed}\`${nearest ? `; did you mean \`${nearest}\`?` : ''}\n  help: run \`tasks --help\`; to pass it to the task's command, put it after \`--\`\n`,
  )
  process.exit(EXIT.config)
}

process.exitCode = await main()

/** Route the parsed command line to its command. @returns the exit code */
async function main(): Promise<number> {
  // Subcommands (import, init, completion): their own module, loaded only for them.
  if (['import', 'init', 'completion', '__complete'].includes(String(args[0]))) {
    const { runSubcommand } = await import('./commands/import.js')
    const cwd = opts.cwd as string | undefined
    const sub = { cwd, config: opts.config as string | undefined, force: !!opts.force, dryRun: !!opts.dryRun }
    const code = await runSubcommand(args, sub, completionFlags())
    if (code !== undefined) return code
  }
  if (args[0] === 'cache' && args.length === 2 && ['status', 'prune', 'clean'].includes(args[1]!))
    return (await import('./commands/cache.js')).cacheCommand(args[1]!, opts)
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
  const cwd = process.cwd()
  try {
    const concurrency = lib.concurrencyOf(opts)
    const config = await lib.loadCliConfig(opts)
    applyAssignments(config, assignments)
    if (args[0] === 'history' && !config.tasks.has('history')) {
      const { historyCommand } = await import('./commands/history.js')
      return await historyCommand(config, args.slice(1), opts, cwd, (t) => process.stdout.write(t))
    }
    // --list and --graph run nothing, but a cyclic config is still an error there.
    if (opts.list || opts.graph !== undefined) lib.buildGraph(config, [...config.tasks.keys()])
    const names = lib.selectNames(config, opts, args, cwd)
    if (opts.list || (!names.length && !config.tasks.has('default') && !opts.explain && opts.graph === undefined))
      return (await import('./commands/list.js')).listCommand(config, cwd)
    if (opts.graph !== undefined) return (await import('./commands/graph.js')).graphCommand(config, names, opts.graph)
    const ctx = {
      opts,
      config,
      names,
      requested: names.length ? names : ['default'],
      cwd,
      concurrency,
      signal: ac.signal,
    }
    if (opts.explain) return await (await import('./commands/explain.js')).explainCommand(ctx)
    const code = opts.watch ? await (await import('./commands/watch.js')).watchCommand(ctx) : await lib.runCommand(ctx)
    const sig = signalled()
    return sig ? exitCodeForSignal(sig) : code
  } catch (err) {
    process.stderr.write(lib.renderError(err, cwd, !!process.stderr.isTTY && !process.env.NO_COLOR))
    return lib.exitCodeFor(err)
  }
}

/**
 * Apply `NAME=value` arguments as make applies command-line variables: each is exported to the
 * environment of every task (so it enters the fingerprint of the tasks that declare it in `env`)
 * and is the value of the task variable `NAME` (`--var NAME=value`) where a task declares one.
 */
function applyAssignments(
  config: { tasks: ReadonlyMap<string, { vars?: Readonly<Record<string, unknown>> }> },
  assignments: readonly (readonly [string, string])[],
): void {
  for (const [name, value] of assignments) {
    process.env[name] = value
    if (![...config.tasks.values()].some((t) => t.vars && name in t.vars)) continue
    const given = opts.var === undefined ? [] : Array.isArray(opts.var) ? opts.var : [opts.var]
    opts.var = [...given, `${name}=${value}`]
  }
}
