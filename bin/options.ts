/**
 * The CLI's options, declared once: {@link OPTIONS} is the one table the parser's options (cac),
 * the help text, the unknown-option check, the hyphenated-flag fix of `args.ts` and the shell
 * completion scripts (`completion.ts`) are all generated from, and {@link CliOptions} is the typed
 * result of parsing, derived from the same table (an option added here is known everywhere).
 *
 * This module is imported before the arguments are parsed, so it imports nothing at the top but
 * cac and `args.ts`. It is the entry chunk's alone: the commands read the values through
 * `read-options.ts` (a module both imported would become a chunk of its own on the run path).
 */
import { cac, type CAC } from 'cac'
import { cleanHelp, normaliseAffectedArgv, normaliseArgv } from './args.js'
import type { FlagInfo } from './completion.js'

/**
 * How an option takes its value:
 * - `flag`: `--force`, true when given;
 * - `negated`: `--no-cache`, its key (`cache`) true unless given (cac's default), false when given;
 * - `value`: `--concurrency <n>`, a value is required;
 * - `optional`: `--graph [format]`, a value or `true` when given bare.
 */
export type OptionKind = 'flag' | 'negated' | 'value' | 'optional'

/** One option of the table. */
export interface OptionSpec {
  /** Long name as typed, without the dashes: `force`, `dry-run`, `no-cache`. */
  readonly name: string
  /** One-letter alias without the dash, e.g. `v`. */
  readonly short?: string
  readonly kind: OptionKind
  /** Placeholder of the value in the help (`value`, `optional`), e.g. `n` for `--concurrency <n>`. */
  readonly value?: string
  /** The help text (also the completion scripts' description). */
  readonly description: string
}

/** Every option of `tasks`, in help order. */
export const OPTIONS = [
  {
    name: 'force',
    short: 'B',
    kind: 'flag',
    description: 'Run every task, ignoring up-to-date state and the cache (results are still stored)',
  },
  {
    name: 'no-cache',
    kind: 'negated',
    description: 'Neither restore from nor store to the cache (up-to-date checks still apply)',
  },
  {
    name: 'no-git',
    kind: 'negated',
    description: 'Find and digest input files by walking the tree instead of asking git',
  },
  {
    name: 'dry-run',
    short: 'n',
    kind: 'flag',
    description: 'Show what would run and why, without running or writing anything',
  },
  {
    name: 'explain',
    kind: 'flag',
    description: 'Say which inputs, env or dependencies changed since the named tasks last ran',
  },
  { name: 'list', kind: 'flag', description: 'List the tasks and their descriptions' },
  {
    name: 'graph',
    kind: 'optional',
    value: 'format',
    description: 'Print the task graph as `dot` (default) or `mermaid`',
  },
  {
    name: 'json',
    kind: 'flag',
    description: 'Print a machine-readable RunResult as JSON on stdout (progress goes to stderr)',
  },
  { name: 'continue', short: 'k', kind: 'flag', description: 'Keep running independent tasks after a failure' },
  {
    name: 'watch',
    kind: 'flag',
    description: 'Run, then rerun what changed on every edit of an input or the config (Ctrl-C stops)',
  },
  {
    name: 'concurrency',
    short: 'j',
    kind: 'value',
    value: 'n',
    description: 'Tasks running at once (default: available parallelism)',
  },
  {
    name: 'affected',
    kind: 'optional',
    value: 'ref',
    description:
      'Only tasks a change since the merge base with <ref> touches (default: main, or TASKS_AFFECTED_BASE), and what they need',
  },
  {
    name: 'var',
    kind: 'value',
    value: 'name=value',
    description: 'Set a task variable declared in `vars` (repeatable)',
  },
  {
    name: 'filter',
    kind: 'value',
    value: 'workspaces',
    description:
      'Only these workspaces: a name, a glob, ./path, ...name (and its dependents), name... (and its dependencies); repeatable',
  },
  {
    name: 'cwd',
    short: 'C',
    kind: 'value',
    value: 'dir',
    description: 'Folder to start from (default: the current folder)',
  },
  {
    name: 'config',
    short: 'f',
    kind: 'value',
    value: 'file',
    description: 'Config file to use instead of searching for tasks.config.*',
  },
  { name: 'profile', kind: 'value', value: 'file', description: 'Write a Chrome trace of the run to <file>' },
  {
    name: 'remote-cache',
    kind: 'value',
    value: 'url',
    description:
      'Remote cache: http(s):// Bazel HTTP, grpc(s):// Bazel gRPC, turbo+http(s):// Turborepo (also TASKS_REMOTE_CACHE)',
  },
  { name: 'no-remote-cache', kind: 'negated', description: 'Turn the remote cache off for this run' },
  {
    name: 'remote-cache-read-only',
    kind: 'flag',
    description: 'Restore from the remote cache, never upload (also TASKS_REMOTE_CACHE_READ_ONLY=1)',
  },
  // The run report (bin/run-report.ts) and `tasks history` (bin/commands/history.ts).
  {
    name: 'report',
    kind: 'optional',
    value: 'file',
    description: 'Write an HTML report of the run (default .tasks/reports/<run-id>.html)',
  },
  {
    name: 'summarize',
    kind: 'optional',
    value: 'file',
    description:
      'Write the run summary as JSON, schema in docs/reference/run-summary.md (default .tasks/runs/<run-id>.json, `-` for stdout)',
  },
  {
    name: 'compare',
    kind: 'optional',
    value: 'run',
    description:
      'Compare durations with a run id or saved baseline (default: the median of the last 5 runs of the same command)',
  },
  {
    name: 'fail-on-regression',
    kind: 'flag',
    description: 'With --compare: exit 1 when a task got slower than the baseline (> 20 % and > 100 ms)',
  },
  {
    name: 'output-logs',
    kind: 'value',
    value: 'mode',
    description: 'Task logs to print: full (default), new-only, errors-only or none',
  },
  {
    name: 'baseline',
    kind: 'value',
    value: 'action',
    description: '`tasks history --baseline save NAME [--run ID]` pins a run as a named baseline',
  },
  { name: 'last', kind: 'value', value: 'n', description: '`tasks history`: how many runs to show (default 10)' },
  {
    name: 'run',
    kind: 'value',
    value: 'id',
    description: '`tasks history --baseline save`: the run to pin (default the newest)',
  },
  { name: 'version', short: 'v', kind: 'flag', description: 'Print the version' },
  { name: 'help', short: 'h', kind: 'flag', description: 'Print this help' },
] as const satisfies readonly OptionSpec[]

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S
type Spec = (typeof OPTIONS)[number]
/** The key an option is parsed into: camel case, without `no-` for a negated one. */
type KeyOf<O extends Spec> = O extends { kind: 'negated'; name: `no-${infer K}` } ? Camel<K> : Camel<O['name']>
/**
 * A value as mri parses it: numbers for numeric text (`--concurrency 4` is `4`), an array when
 * repeated (`--var a=1 --var b=2`), `true` for a value option given bare.
 */
export type OptionValue = string | number | boolean | (string | number | boolean)[]
type ValueOf<O extends Spec> = O['kind'] extends 'flag' | 'negated' ? boolean : OptionValue

/**
 * The parsed options, typed from {@link OPTIONS}: `opts.dryRun`, `opts.cache` (false for
 * `--no-cache`), `opts.remoteCache` (the URL, or false for `--no-remote-cache`), ...; `--` holds
 * the arguments after `--`. Every key is optional: only given options (and negated ones' defaults)
 * are set.
 */
export type CliOptions = { -readonly [O in Spec as KeyOf<O>]?: ValueOf<O> } & { '--'?: string[] }

/** The parsed command line: the positionals (task names or a subcommand and its arguments) and the options. */
export interface ParsedArgs {
  args: string[]
  opts: CliOptions
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

/** The option as cac declares it, e.g. `-v, --version`, `--concurrency <n>`, `--graph [format]`. */
function rawName(o: OptionSpec): string {
  const long = `--${o.name}${o.kind === 'value' ? ` <${o.value}>` : o.kind === 'optional' ? ` [${o.value}]` : ''}`
  return o.short ? `-${o.short}, ${long}` : long
}

/**
 * Hyphenated `flag` options (`dry-run`, ...): cac registers them camel-cased as booleans while mri
 * sees them as written, so `normaliseArgv` rewrites them first (see `args.ts`).
 */
export const HYPHENATED_FLAGS: readonly string[] = OPTIONS.filter((o) => o.kind === 'flag' && o.name.includes('-')).map(
  (o) => o.name,
)

/** Every key cac may report for the table's options: camel and kebab names, short aliases, and `--`. */
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  '--',
  ...OPTIONS.flatMap((o: OptionSpec) => {
    const name = o.kind === 'negated' ? o.name.slice(3) : o.name
    return [name, camel(name), ...(o.short ? [o.short] : [])]
  }),
])

/** The `tasks` parser: usage, the table's options, the examples, and the help without cac's `(default: true)`. */
export function createCli(): CAC {
  const cli = cac('tasks')
  cli.usage("[task...] [options] [-- args for the tasks' commands]")
  for (const o of OPTIONS) cli.option(rawName(o), o.description)
  cli
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
  // Not `cli.help()`: that declares a second `-h, --help` and prints the help during parse (the
  // CLI prints it after, once).
  cli.globalCommand.helpCallback = cleanHelp
  return cli
}

/**
 * Parse `argv` (process.argv: node and script included) with the CLI's fixes applied first
 * (hyphenated flags, a bare `--affected`).
 * @throws cac's error for a malformed command line (e.g. a missing value)
 */
export function parseArgv(cli: CAC, argv: readonly string[]): ParsedArgs {
  const parsed = cli.parse(normaliseAffectedArgv(normaliseArgv(argv, HYPHENATED_FLAGS)), { run: false })
  return { args: parsed.args.map(String), opts: parsed.options as CliOptions }
}

/** The first option key of `opts` that is not in the table (as cac reported it, e.g. `fooBar`), or undefined. */
export function unknownOption(opts: CliOptions): string | undefined {
  return Object.keys(opts).find((k) => !KNOWN_KEYS.has(k))
}

/**
 * The unknown option `key` (as cac reports it: `dryRn`, `x`) as the user typed it (`--dry-rn`,
 * `-x`), and the nearest option of the table when it is a likely typo (`--dry-run`).
 */
export async function describeUnknown(key: string): Promise<{ typed: string; nearest?: string }> {
  const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
  const typed = key.length === 1 ? `-${key}` : `--${kebab}`
  if (key.length === 1) return { typed }
  const { suggest } = await import('../lib/util/suggest.js')
  const near = suggest(
    kebab,
    OPTIONS.map((o) => o.name),
  )
  return { typed, nearest: near && `--${near}` }
}

/** The table as the completion scripts list it (`completion.ts`). */
export function completionFlags(): FlagInfo[] {
  return OPTIONS.map((o: OptionSpec) => ({
    name: o.name,
    short: o.short,
    description: o.description,
    value: o.kind === 'value' || o.kind === 'optional',
  }))
}
