/**
 * What a run reports: the events `run` and `watch` emit ({@link RunEvent}, {@link WatchEvent}),
 * why each task ended as it did ({@link TaskReason}), the warnings' codes ({@link WarningCode})
 * and what a run resolves to ({@link RunResult}). Types only; reporters consume these.
 */

/**
 * What a task ended as. `'interrupted'`: it was running when the run was aborted (signal, Ctrl-C,
 * `AbortSignal`); a task that never started because of the abort is `'skipped'` with reason
 * `run-interrupted`.
 */
export type TaskStatus = 'ran' | 'cache-hit' | 'up-to-date' | 'failed' | 'skipped' | 'interrupted'

/** A changed input file (content or mtime digest differs, added or removed). Path root-relative, POSIX. */
export interface InputChange {
  path: string
  change: 'added' | 'removed' | 'modified'
}

/**
 * Why a task ended as it did: data, never prose. Reporters format it with `formatReason` and
 * switch on `code`; nothing branches on text. The contract is `docs/design/engine-v2.md`.
 */
export type TaskReason =
  // must run (status 'ran', or 'failed'/'interrupted' when the run then failed: see `runReason`)
  | { code: 'no-previous-run' }
  /** `--force` / `force: true`. */
  | { code: 'forced' }
  /** No `inputs` key, or `fingerprint: false`: the task always runs. */
  | { code: 'not-cacheable'; why: 'no-inputs' | 'fingerprint-false' | 'interactive' | 'service' }
  /** Every changed input file, sorted by path. */
  | { code: 'input-changed'; files: InputChange[] }
  /** Declared `env` or `setEnv` names whose values changed. */
  | { code: 'env-changed'; variables: string[] }
  /** The new arguments after `--`. */
  | { code: 'args-changed'; args: string[] }
  /** Dependencies whose fingerprints changed. */
  | { code: 'dependency-changed'; dependencies: string[] }
  /**
   * Changed definition fields: `'command'`, `'cwd'`, `'outputs'`, `'tools'`, `'platform'`, `'mode'`, `'format'`;
   * `tools`: the `toolVersions` commands whose output changed (when `'tools'` is among the fields).
   */
  | { code: 'definition-changed'; fields: string[]; tools?: string[] }
  /** A recorded output is missing or changed on disk (root-relative path). */
  | { code: 'output-changed'; path: string }
  /** The task's `check` returned false or threw. */
  | { code: 'check-failed' }
  /** A stored entry was refused (trust rules: shape, paths, blobs) or could not be restored. */
  | { code: 'cache-entry-unusable'; detail: string }
  /** An aggregate task (no `run`) whose dependencies ran. */
  | { code: 'dependencies-ran' }
  // not run
  /** Status `'up-to-date'`. */
  | { code: 'fingerprint-unchanged' }
  /** An aggregate task whose dependencies were all up to date or cache hits; status `'up-to-date'`. */
  | { code: 'dependencies-up-to-date' }
  /** Status `'cache-hit'`: `outputs` files restored, the log replayed when it was not empty. */
  | { code: 'restored'; source: 'local' | 'remote'; outputs: number; replayedLog: boolean }
  /** Status `'skipped'`. */
  | { code: 'dependency-failed'; dependency: string }
  /** Status `'skipped'`. */
  | { code: 'dependency-skipped'; dependency: string }
  /** Status `'skipped'`: a task failed and `continue` is off. */
  | { code: 'stopped-after-failure' }
  /** Status `'skipped'`: the run was aborted before the task started. */
  | { code: 'run-interrupted' }
  /** Status `'skipped'`: `--affected` and no changed file since `base` (the merge base) touched the task or what it needs. */
  | { code: 'not-affected'; base: string }
  // failed
  /** Status `'failed'`: a command exited non-zero (or was killed: 128 + signal). */
  | { code: 'exit-code'; exitCode: number }
  /** Status `'failed'`: a function task threw, or setting the task up failed (e.g. its inputs could not be read). */
  | { code: 'error'; message: string }
  /** Status `'failed'`: the task ran longer than its timeout, ms. */
  | { code: 'timed-out'; timeoutMs: number }
  /** Status `'interrupted'`. */
  | { code: 'interrupted'; signal?: string }

/** The codes of {@link TaskReason}. */
export type TaskReasonCode = TaskReason['code']

/** One summary of a finished run. All durations in ms. */
export interface RunSummary {
  /** Number of tasks in the run (requested tasks and their dependencies). */
  tasks: number
  ran: number
  cacheHits: number
  upToDate: number
  failed: number
  skipped: number
  /** Tasks that were running when the run was aborted (status `'interrupted'`). */
  interruptedTasks: number
  /** Wall time of the run, ms. */
  wallMs: number
  /** Sum of the stored durations of the tasks that were up to date or cache hits, ms. */
  savedMs: number
  /** True when the run was aborted (signal or Ctrl-C). */
  interrupted: boolean
  /**
   * True for `--dry-run`: nothing ran, and the counts are predictions (`ran` = would run,
   * `cacheHits` = would be restored).
   */
  dryRun: boolean
  /**
   * Remote cache figures, when a remote tier is configured: hits served, entries uploaded, why it
   * was turned off (`off`), or why only uploads were (`uploadsOff`: `'read-only'`, a 401/403).
   */
  remote?: { hits: number; uploaded: number; off?: string; uploadsOff?: string }
}

/**
 * What a `warning` event is about, when it is classified (a warning without a code is a finding
 * of its own, e.g. an input pattern that matches no file). Reporters may switch on it.
 * - `affected-no-base`, `affected-base-config`: `--affected` counts every task as affected (a
 *   shallow clone without the merge base; the base's config could not be loaded);
 * - `cache-entry-refused`, `cache-get-failed`, `cache-restore-failed`, `cache-store-failed`: a cache
 *   miss or a result not stored, the run goes on;
 * - `depfile-unreadable`: a task's `depfile` is missing or malformed (it runs again next time);
 * - `state-write-failed`: `.tasks/state` could not be written;
 * - `leftover-trees`, `leftover-trees-killed`: process trees of a killed `tasks` process found;
 * - `lock-wait`, `lock-failed`: another process holds a task's lock; locks could not be taken;
 * - `task-retry`: a failed attempt is retried (`retries`);
 * - `undeclared-write`: a task wrote files outside its declared `outputs`;
 * - `remote-cache`: the remote cache tier (off for the run, an upload refused, ...);
 * - `watch-limit`, `watch-error`: watch mode fell back to polling; the watcher failed.
 */
export type WarningCode =
  | 'affected-no-base'
  | 'affected-base-config'
  | 'cache-entry-refused'
  | 'cache-get-failed'
  | 'cache-restore-failed'
  | 'cache-store-failed'
  | 'depfile-unreadable'
  | 'state-write-failed'
  | 'leftover-trees'
  | 'leftover-trees-killed'
  | 'lock-wait'
  | 'lock-failed'
  | 'task-retry'
  | 'undeclared-write'
  | 'remote-cache'
  | 'watch-limit'
  | 'watch-error'

/** Events emitted by `run` in order; reporters consume them. `time` is `Date.now()` in ms. */
export type RunEvent =
  | { type: 'run:start'; time: number; tasks: readonly string[]; concurrency: number; dryRun: boolean }
  /** A task's command or function starts; `reason` says why it must run. */
  | { type: 'task:start'; time: number; task: string; reason: TaskReason }
  | {
      type: 'task:output'
      time: number
      task: string
      stream: 'stdout' | 'stderr'
      text: string
      /** True when the text is a stored log replayed on a cache hit. */
      replay: boolean
    }
  | {
      type: 'task:end'
      time: number
      task: string
      status: TaskStatus
      /** Why it ended so: for `'ran'` why it had to run; for failures the failure; for skips the cause. */
      reason: TaskReason
      /** For ran / failed / interrupted: why it had to run. */
      runReason?: TaskReason
      /** Time the task took in this run, ms (0 for skipped). */
      durationMs: number
      /** For cache hits and up to date: the stored duration of the run that made the result, ms. */
      savedMs: number
      /** The captured log (failed tasks: shown once by reporters). */
      log?: string
      exitCode?: number
      error?: string
      /** For cache hits: which tier served it. */
      cacheSource?: 'local' | 'remote'
      fingerprint?: string
      /** Root-relative output files stored or restored. */
      outputs?: string[]
    }
  /** A service task is ready (its `readyWhen` holds); `waited` says what was waited for, e.g. `port 5432`. */
  | { type: 'task:ready'; time: number; task: string; waited?: string }
  /** Something the user should know that did not fail the task; `code` classifies it when known (e.g. `'cache-entry-refused'`). */
  | { type: 'warning'; time: number; task?: string; message: string; code?: WarningCode }
  | { type: 'run:end'; time: number; summary: RunSummary }

/**
 * What `watch()` emits: every {@link RunEvent} of each run, plus its own. `watch:ready`: the
 * watcher is watching (at start and after a config reload); `watch:change`: the files that
 * triggered the next run (root-relative, POSIX; `config` when the config was reloaded);
 * `watch:error`: the config could not be reloaded (the previous one stays in use).
 */
export type WatchEvent =
  | RunEvent
  | { type: 'watch:ready'; time: number; paths: readonly string[]; polling: boolean }
  | { type: 'watch:change'; time: number; files: readonly string[]; config: boolean; queued: boolean }
  | { type: 'watch:error'; time: number; message: string; error: unknown }

/** One task's outcome in a {@link RunResult}. */
export interface TaskResult {
  name: string
  status: TaskStatus
  durationMs: number
  savedMs: number
  /** Why it ended so (see the `task:end` event). Format with `formatReason`. */
  reason: TaskReason
  /** For ran / failed / interrupted: why it had to run. */
  runReason?: TaskReason
  fingerprint?: string
  exitCode?: number
  error?: string
  /** For cache hits: which tier served it. */
  cacheSource?: 'local' | 'remote'
  /** The JSON value a function task returned (or restored from the cache). */
  value?: unknown
}

/** What `run` resolves to. `ok` is false when any task failed or the run was interrupted (tasks skipped as `not-affected` do not count). */
export interface RunResult {
  ok: boolean
  interrupted: boolean
  tasks: TaskResult[]
  summary: RunSummary
  /** With `affected`: the merge base, the changed files, and why each task of the run is in it. */
  affected?: AffectedReport
}

/** Why one task is affected (data; `--explain --affected` words it). */
export type AffectedBecause =
  /** A changed file (root-relative, POSIX) among its inputs (the first in path order). */
  | { kind: 'file'; file: string }
  /** Its definition in the config differs from the merge base's (`file`: the config file, root-relative). */
  | { kind: 'definition'; file: string }
  /** A dependency of it is affected. */
  | { kind: 'dependency'; dependency: string }
  /** It is not affected itself, but an affected task depends on it: it is decided as usual (often up to date or restored). */
  | { kind: 'needed-by'; task: string }
  /** Everything is affected: the merge base is unknown (shallow clone) or the base config could not be loaded. */
  | { kind: 'everything'; why: string }

/** What `computeAffected` found. */
export interface AffectedReport {
  /** The ref given (`main`, `origin/main`, a SHA). */
  ref: string
  /** The merge base's commit, when found. */
  base?: string
  /** Changed files, root-relative POSIX, sorted (empty when `base` is unknown). */
  files: string[]
  /** The tasks of the run that run (affected or needed), with why; in graph order. */
  tasks: { task: string; because: AffectedBecause }[]
  /** The tasks of the run that are skipped as not affected, in graph order. */
  notAffected: string[]
}
