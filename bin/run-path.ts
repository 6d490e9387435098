/**
 * Everything a plain `tasks [task...]` run (and `--explain`, `--list`, `--graph`, `--dry-run`)
 * needs after the arguments are parsed, in one module the CLI imports once (issue 8, the no-op
 * run). It names the library's modules directly instead of `lib/index.ts`, so the modules only
 * other commands use (watch, the HTML report, remote tiers, recipes, cache collection, import) are
 * not loaded on a run; they stay behind their own `import()`. `scripts/bundle.mjs` puts this
 * module's whole static graph in one chunk of `dist/cli/`.
 *
 * Nothing here runs at import: re-exports only.
 */
import { loadConfig as loadProject, type LoadConfigOptions } from '../lib/config/load.js'
import type { LoadedConfig } from '../lib/model/internal.js'

/** `loadConfig`, its result read as the engine's form (the CLI hands it to internal modules too). */
export const loadConfig = loadProject as (options?: LoadConfigOptions) => Promise<LoadedConfig>
export { TasksError, exitCodeFor } from '../lib/errors.js'
export { parseVarArgs } from '../lib/config/vars.js'
export { run, explain } from '../lib/run/run.js'
export { buildGraph, toDot, toMermaid } from '../lib/graph/graph.js'
export { selectTasks } from '../lib/graph/select.js'
export { CHANGE_LABELS } from '../lib/fingerprint/record.js'
export { renderError } from './render-error.js'
export { pickReporter } from './reporter.js'
export { startRunReport } from './run-report.js'
export { openRunCache, afterRun, remoteFlags } from './cache-command.js'
