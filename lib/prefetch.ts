/**
 * Start-up work a run needs that does not depend on the config's content: finding the config file
 * and git's snapshot of the work tree (`fingerprint/git.ts`). Calling {@link prefetchRun} first
 * lets the git processes run on another core while Node loads the library and evaluates the config;
 * the next `run`/`explain` for that project (with the default `env`, within 5 s) uses the snapshot.
 * A tiny module (no library import) so the CLI can call it before importing the rest.
 */
import { dirname, resolve } from 'node:path'
import { findQuickly } from './config/find.js'
import { prefetchGitSnapshot } from './fingerprint/git.js'

/**
 * Find the config the way `loadConfig` will and start the git snapshot of its folder. Never throws;
 * does nothing when the config is not found without cosmiconfig (`loadConfig` then reports).
 * The caller promises no task writes the tree before the run starts.
 * @param options the same `cwd` and `config` that will be given to `loadConfig`
 */
export function prefetchRun(options: { cwd?: string; config?: string } = {}): void {
  try {
    const cwd = resolve(options.cwd ?? process.cwd())
    const file = options.config ? resolve(cwd, options.config) : findQuickly(cwd)
    if (file) prefetchGitSnapshot(dirname(file))
  } catch {}
}
