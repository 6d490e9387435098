/**
 * The engine's internal normal forms: a task after validation ({@link ResolvedTask}) and a
 * loaded config ({@link LoadedConfig}). NOT exported from the package: the public view of them is
 * `Project` and `TaskInfo` (`./project.ts`), which these extend. Every `Project` the engine is
 * given was made by `loadConfig`, so it is a `LoadedConfig`: the public entry points (`run`,
 * `explain`, `watch`, `computeAffected`) take a `Project` and read it as one. Types only.
 */
import type { FingerprintMode, TaskDefinition } from './config.js'
import type { Project, TaskInfo } from './project.js'

/**
 * A task after validation and normalisation: every optional key filled in, paths POSIX and
 * relative to the project root. Built by `loadConfig`; what the graph, fingerprint and runner use.
 * Its public view is {@link TaskInfo}.
 */
export interface ResolvedTask extends TaskInfo {
  /** The `depfile`, POSIX and relative to the project root (not to `cwd`). */
  readonly depfile?: string
  readonly env: readonly string[]
  readonly passEnv: readonly string[]
  readonly setEnv: Readonly<Record<string, string>>
  readonly fingerprint: FingerprintMode
  readonly platform: boolean
  readonly toolVersions: readonly string[]
  /** The normalised command text that enters the fingerprint (commands joined, or `version`/source of a function). */
  readonly command: string
  readonly check?: TaskDefinition['check']
  /** Ms; undefined: no timeout. */
  readonly timeoutMs?: number
  /** Extra attempts after a failure. */
  readonly retries: number
  /** Watch mode: restart it on a change instead of waiting for it. */
  readonly interruptible?: boolean
}

/** A loaded, validated config as the engine uses it: a {@link Project} whose tasks are {@link ResolvedTask}s. */
export type LoadedConfig = Project<ResolvedTask>
