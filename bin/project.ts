/**
 * What every command after the arguments needs from the project: the config the options name
 * (`--cwd`, `--config`) and the tasks the positionals and `--filter` select. In the run's chunk
 * (through `run-path.ts`).
 */
import { resolve } from 'node:path'
import type { LoadedConfig } from '../lib/model/internal.js'
import { loadConfig } from '../lib/config/load.js'
import { selectTasks } from '../lib/graph/select.js'
import type { CliOptions } from './options.js'
import { textOption } from './read-options.js'

/** What a command (`bin/commands/*.ts`) gets from the CLI. */
export interface CommandContext {
  opts: CliOptions
  config: LoadedConfig
  /** The selected task names (may be empty: then `requested` is `['default']`). */
  names: string[]
  /** The tasks to run or explain: `names`, or `['default']`. */
  requested: string[]
  /** The process's folder (paths are printed relative to it). */
  cwd: string
  /** `--concurrency`, checked. */
  concurrency?: number
  /** Aborted on the first ending signal (`bin/signals.ts`). */
  signal: AbortSignal
}

/**
 * The config for `opts` (`--cwd`, `--config`), warnings written to stderr. Loaded read-only (no
 * state written) for `--dry-run`, `--explain`, `--list` and `--graph`; `fresh` re-imports it (watch).
 * Read as the engine's form (`loadConfig`'s public `Project` is one: the CLI hands it to internal modules).
 * @throws {TasksError} when the config is missing or invalid
 */
export function loadCliConfig(opts: CliOptions, fresh = false): Promise<LoadedConfig> {
  return loadConfig({
    cwd: textOption(opts.cwd),
    config: textOption(opts.config),
    onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
    ...(fresh
      ? { fresh: true }
      : { readOnly: !!(opts.dryRun || opts.explain || opts.list || opts.graph !== undefined) }),
  }) as Promise<LoadedConfig>
}

/**
 * The task names `args` and `--filter` select. Workspaces: short names mean the current
 * workspace's tasks (or every workspace's, at the root); with no names, a monorepo without a
 * `default` task selects the workspaces' `default` tasks, when there are any.
 * @throws {TasksError} for an unknown task or workspace
 */
export function selectNames(config: LoadedConfig, opts: CliOptions, args: readonly string[], cwd: string): string[] {
  const here = opts.cwd ? resolve(cwd, String(opts.cwd)) : cwd
  const select = (n: string[]) => selectTasks(config, n, { cwd: here, filter: [opts.filter ?? []].flat().map(String) })
  const names = args.length || (opts.filter && !opts.list) ? select(args.length ? [...args] : ['default']) : []
  if (!names.length && config.workspaces && !config.tasks.has('default')) {
    try {
      names.push(...select(['default']))
    } catch {}
  }
  return names
}
