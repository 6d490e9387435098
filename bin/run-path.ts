/**
 * Everything a plain `tasks [task...]` run (and `--dry-run`) needs after the arguments are parsed,
 * in one module the CLI imports once (issue 8, the no-op run): the config and the selection
 * (`project.ts`), the run command with its reporters, run report and cache tier. It names the
 * library's modules directly instead of `lib/index.ts`, so the modules only other commands use
 * (watch, the HTML report, remote tiers, recipes, cache collection, import) are not loaded on a
 * run; they, and the other commands of `bin/commands/`, stay behind their own `import()`.
 * `scripts/bundle.mjs` puts this module's whole static graph in one chunk of `dist/cli/`.
 *
 * Nothing here runs at import: re-exports only.
 */
export { TasksError, exitCodeFor } from '../lib/errors.js'
export { buildGraph } from '../lib/graph/graph.js'
export { renderError } from './render-error.js'
export { loadCliConfig, selectNames, type CommandContext } from './project.js'
export { concurrencyOf } from './read-options.js'
export { runCommand } from './commands/run.js'
