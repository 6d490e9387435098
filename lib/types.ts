/**
 * Public types of `typed-tasks`: the config a user writes, the context a function task receives,
 * the events the engine emits and the result a run returns. This module is a leaf: it imports
 * nothing else of the project.
 */

/**
 * How a task's input files enter its fingerprint.
 * - `'content'`: each file's git blob id (what `git hash-object` prints). In a git work tree the
 *   ids of files git reports clean come from git's index without reading them; other files are
 *   hashed, memoised by inode, size, mtime and ctime like git's index, so an unchanged file is never
 *   read twice. A `touch` without a change does not rerun the task.
 * - `'mtime'`: each file's size and modification time (ms, sub-µs fraction); no file is read. Same semantics as
 *   go-task's `method: timestamp`: a `touch` reruns the task.
 * - `false`: the task is never cached and always runs, like a phony make target.
 * @default 'content'
 */
export type FingerprintMode = 'content' | 'mtime' | false

/**
 * The shell that runs a task's string commands.
 * - `'portable'`: a POSIX-like interpreter in process (`@yarnpkg/shell`) with file builtins that
 *   behave the same on every OS (`mkdir -p`, `rm -rf`, `cp -r`, `mv`, `cat`, `echo`, `touch`,
 *   `test`/`[`...); other programs are spawned directly. A construct it lacks (`if`, loops, here-
 *   documents, background jobs) is an error before the task runs. README, "Windows".
 * - `'sh'`: `/bin/sh -c` (on Windows, `sh` from PATH, e.g. Git for Windows).
 * - `'cmd'`: `cmd.exe /d /s /c` (Windows only; elsewhere an error when the task runs).
 * @default 'portable' (on every OS: the same command means the same thing everywhere)
 */
export type TaskShell = 'portable' | 'sh' | 'cmd'

/**
 * A shell helper (zx's `$`) bound to a task's cwd, environment, log and abort signal. Typed here,
 * not with zx's own types (they need `@types/fs-extra`, which a user's project does not have): the
 * members below are the ones typed-tasks promises; the others zx's `$` has are there, as `unknown`.
 * @example const out = await ctx.$`git rev-parse HEAD`; ctx.log(out.stdout.trim())
 */
export interface Shell {
  /** Run a command; interpolated values are quoted, an array becomes one argument per element (zx's quoting). */
  (pieces: TemplateStringsArray, ...args: unknown[]): ShellProcess
  /** The same `$` with some of zx's options changed, e.g. `ctx.$({ cwd: 'web', nothrow: true })`. */
  (options: ShellOptions): Shell
  readonly [member: string]: unknown
}

/** Options of {@link Shell} (a subset of zx's `Options`; other zx options pass through untyped). */
export interface ShellOptions {
  /** Working directory, absolute or relative to the process's cwd. */
  cwd?: string
  /** The whole environment of the commands (not merged with the task's). */
  env?: Record<string, string | undefined>
  /** Resolve on a non-zero exit instead of rejecting. @default false */
  nothrow?: boolean
  /** Text for the command's stdin. */
  input?: string
  /** Kill the command after this long: ms as a number, or zx's duration text (`'5s'`, `'2m'`, `'500ms'`). */
  timeout?: number | `${number}` | `${number}m` | `${number}s` | `${number}ms`
  readonly [option: string]: unknown
}

/** A running command (zx's `ProcessPromise`): resolves to its output, rejects with it (a {@link ShellOutput}) on a non-zero exit. */
export interface ShellProcess extends Promise<ShellOutput> {
  /** Resolve even when the command exits non-zero. */
  nothrow(): ShellProcess
  /** Kill the command (default SIGTERM). */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** The exit code once the command ended (null when a signal ended it). */
  readonly exitCode: Promise<number | null>
  /** Pipe stdout into another command: `` await ctx.$`ls`.pipe`sort` ``. */
  pipe(pieces: TemplateStringsArray, ...args: unknown[]): ShellProcess
}

/** What a command of {@link Shell} ended with (zx's `ProcessOutput`). Text is UTF-8. */
export interface ShellOutput {
  readonly stdout: string
  readonly stderr: string
  /** The exit code, or null when a signal ended the command. */
  readonly exitCode: number | null
  /** The signal that ended the command, or null. */
  readonly signal: NodeJS.Signals | null
  /** stdout as text. */
  text(): string
  /** stdout split into lines (without a trailing empty one). */
  lines(): string[]
  /** stdout parsed as JSON. @throws {SyntaxError} when it is not JSON */
  json<T = unknown>(): T
}

/**
 * What a function task (`run: async (ctx) => ...`) receives.
 * Paths are absolute; `log` text goes to the task's captured log (replayed on a cache hit).
 */
export interface TaskContext {
  /** The task's name, e.g. `'build'` or `'go:api:linux/amd64'`. */
  readonly name: string
  /** The project root (the folder of the config file), absolute. */
  readonly root: string
  /** The task's working directory, absolute (`root` joined with the task's `cwd`). */
  readonly cwd: string
  /** Arguments given after `--` on the command line (they are part of the fingerprint). */
  readonly args: readonly string[]
  /** The environment the task runs with: the parent's, plus `setEnv`, plus `node_modules/.bin` on PATH. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Aborted on Ctrl-C / SIGTERM or when the embedding tool aborts the run. */
  readonly signal: AbortSignal
  /** Append text to the task's log (shown by the reporter, stored in the cache, replayed on a hit); a newline is added when `text` lacks one. */
  log(text: string): void
  /** The direct dependencies' outcomes in this run: status and the JSON value a function task returned (or restored). */
  readonly deps: Readonly<Record<string, { status: TaskStatus; value: unknown }>>
  /**
   * zx's `$`, bound to `cwd`, `env` and the abort signal; its output goes to the task's log. Every
   * child runs in its own process group, so an abort kills the whole tree.
   * @example await ctx.$`go build -o ${out} ./cmd/api`
   */
  readonly $: Shell
  /**
   * Run one shell command exactly as a string `run` would (own process group, output captured to
   * the log, `node_modules/.bin` on PATH). Resolves on exit code 0.
   * @throws {TaskCommandError} with `exitCode` when the command exits non-zero or is killed.
   */
  exec(command: string, options?: { cwd?: string; env?: Record<string, string | undefined> }): Promise<void>
}

/**
 * A function task. Its resolved value, when JSON-serialisable, is stored with the cache entry and
 * handed back to `check` on later runs (e.g. the Docker recipe returns `{ imageId }`).
 */
export type TaskFunction = (ctx: TaskContext) => unknown | Promise<unknown>

/**
 * What `check` receives when a task's fingerprint matches a stored result (up to date or cache hit).
 */
export interface CheckContext {
  readonly name: string
  readonly root: string
  readonly cwd: string
  /** The JSON value the task's function returned when the stored result was made, or `undefined`. */
  readonly value: unknown
  readonly signal: AbortSignal
}

/**
 * One task of the config. Every key is optional; a task with only `deps` is an aggregate task.
 *
 * @example
 * build: { run: 'tsc -p .', deps: ['codegen'], inputs: ['src/**\/*.ts', 'tsconfig.json'],
 *          outputs: ['dist/**'], env: ['NODE_ENV'] }
 */
export interface TaskDefinition {
  /** One line shown by `tasks --list`. */
  description?: string
  /**
   * What the task does: a shell command (run by the task's {@link TaskDefinition.shell}); a list of
   * commands run in order, stopping at the first failure; or an async function receiving a
   * {@link TaskContext}. Omit it for an aggregate task.
   */
  run?: string | readonly string[] | TaskFunction
  /** The shell that runs string commands; a value other than `'portable'` enters the fingerprint. @default the config's `shell`, else 'portable' */
  shell?: TaskShell
  /** Names of tasks that must succeed before this one starts. Their fingerprints enter this one's. */
  deps?: readonly string[]
  /**
   * Globs of input files, relative to `cwd` (tinyglobby syntax, `!` to exclude).
   * - omitted: the task is never cached and always runs (like a phony make target);
   * - `[]`: no file inputs, cached on its definition, env, args and deps alone;
   * - a list: exactly the matching files (a glob matching nothing is a warning).
   */
  inputs?: readonly string[]
  /**
   * Globs of output files, relative to `cwd`, stored in the cache after a successful run and
   * restored on a cache hit. They must stay inside the project root.
   */
  outputs?: readonly string[]
  /**
   * A Make-format dependency file the task writes (as `gcc/clang -MMD -MF`, `rustc --emit=dep-info`
   * do), relative to `cwd`. Read after each run (and restore): the files it lists inside the project
   * become inputs of the next fingerprint, kept in the task's state (ninja's `deps = gcc`); files
   * outside the project (system headers) are ignored. Missing or malformed: a warning, and the task
   * runs again next time. A task with a depfile and no recorded run never restores from the cache.
   */
  depfile?: string
  /** Names of environment variables whose values enter the fingerprint (hashed, never stored in clear). */
  env?: readonly string[]
  /**
   * Names of environment variables passed to the task without entering the fingerprint (documentary:
   * the whole parent environment is passed anyway; like Turborepo's `passThroughEnv`).
   */
  passEnv?: readonly string[]
  /** Environment variables set for the task's commands; names and values enter the fingerprint. */
  setEnv?: Readonly<Record<string, string>>
  /** Working directory relative to the project root. @default '.' */
  cwd?: string
  /** How input files enter the fingerprint. @default 'content' */
  fingerprint?: FingerprintMode
  /** When true, the OS and CPU architecture enter the fingerprint (native binaries, wheels). @default false */
  platform?: boolean
  /**
   * Commands whose standard output enters the fingerprint, e.g. `['go version']`, so a toolchain
   * upgrade invalidates the cache. Each distinct command runs at most once per process.
   */
  toolVersions?: readonly string[]
  /**
   * For function tasks: a version string that enters the fingerprint. When omitted, the function's
   * source text is used, so editing the function invalidates the cache.
   */
  version?: string
  /**
   * Called when the fingerprint matches a stored result: return false when the result is no longer
   * valid outside the project (e.g. a Docker image was removed), and the task runs again. Same role
   * as go-task's `status`.
   */
  check?: (ctx: CheckContext) => boolean | Promise<boolean>
  /**
   * Kill the task's process tree (SIGTERM, then SIGKILL after 2 s) when one attempt runs longer
   * than this, ms; the task fails with reason `timed-out` ("timed out after N ms"). A function task
   * sees its `ctx.signal` aborted. Each retry gets the full timeout again. @default no timeout
   */
  timeoutMs?: number
  /**
   * Rerun a failing command (or function) up to this many more times; each attempt is logged (a
   * `warning` event with code `task-retry` and a line in the output), and the task counts once, with
   * the last attempt's outcome. An interrupted run is never retried. @default 0
   */
  retries?: number
  /**
   * Pass stdin and the terminal through to the task's commands (a prompt, `npm login`, an editor).
   * The task is never cached (it always runs), its output is not captured, and nothing else runs
   * while it runs (concurrency 1 for its duration). @default false
   */
  interactive?: boolean
  /**
   * Named variables set with `tasks <task> --var name=value` (or `run({ vars })`), seen by the
   * commands as environment variables of the same name and part of the fingerprint (as `setEnv`).
   * A value given for an undeclared name, or outside `choices`, is a usage error.
   * @example vars: { env: { default: 'dev', choices: ['dev', 'staging', 'prod'] } }
   */
  vars?: Readonly<Record<string, TaskVariable>>
  /**
   * A long-running task (a dev server, a database): never cached, never "done". As a dependency,
   * its dependents start once it is ready (see {@link ServiceOptions.readyWhen}), and it is stopped
   * (its whole process tree) after the last task that depends on it finishes, or on Ctrl-C. Run
   * directly, it runs until Ctrl-C. In watch mode it restarts when its own fingerprint changes, and
   * only then. `true`: ready as soon as it has started. Same idea as wireit's `service` and Nx's
   * `continuous` tasks. README, "Services".
   */
  service?: boolean | ServiceOptions
  /**
   * Watch mode: when a change arrives while this task runs, kill it (its whole tree) and run it
   * again in the follow-up run, instead of waiting for it to finish. @default false
   */
  interruptible?: boolean
}

/**
 * When a service counts as ready. Every condition given must hold (they are polled about every
 * 100 ms); none given: ready once started.
 */
export interface ServiceReadyWhen {
  /** A regular expression (JavaScript syntax) that a line of the service's output (stdout or stderr) matches. */
  lineMatches?: string
  /** An `http:`/`https:` URL that answers a GET with any status below 500. */
  url?: string
  /** A TCP port on 127.0.0.1 (or `localhost`) that accepts a connection. */
  port?: number
  /** A command (under the task's shell, in its cwd and environment) that exits 0. */
  command?: string
}

/** The object form of {@link TaskDefinition.service}. */
export interface ServiceOptions {
  readyWhen?: ServiceReadyWhen
  /** How long to wait for readiness before the service fails (with its last 20 log lines), ms. @default 60000 */
  timeoutMs?: number
}

/** One declared task variable ({@link TaskDefinition.vars}). A variable with no `default` must be given. */
export interface TaskVariable {
  /** The value when none is given on the command line. */
  default?: string
  /** The allowed values; any value when omitted. */
  choices?: readonly string[]
  /** One line for `--help`-style listings and the usage error. */
  description?: string
}

/** The whole `tasks.config.ts`. */
export interface Config {
  /** Tasks by name. Names may contain `:` and `/` (e.g. `go:api:linux/amd64`), not spaces. */
  tasks: Record<string, TaskDefinition>
  /** Default concurrency for this project. @default os.availableParallelism() */
  concurrency?: number
  /** The shell of every task that sets none. @default 'portable' */
  shell?: TaskShell
  /**
   * Root config only: globs of workspace folders, relative to the root (`['packages/*', 'services/*']`,
   * `!` excludes). When omitted, the package manager's list is used (`package.json` `workspaces`,
   * `pnpm-workspace.yaml`). Each workspace may have its own `tasks.config.*`; its tasks are named
   * `<workspace>#<task>` (Turborepo's form). See {@link Workspace}.
   */
  workspaces?: readonly string[]
  /**
   * Root config only: task templates by task name, merged under every workspace task of that name
   * (the workspace's keys win, key by key), so 50 packages do not repeat `inputs`/`outputs`.
   * Paths in a template are relative to each workspace's folder.
   * @example defaults: { build: { inputs: ['src/**'], outputs: ['dist/**'], deps: ['^build'] } }
   */
  defaults?: Readonly<Record<string, TaskDefinition>>
  /**
   * Workspace configs only: names of other workspaces this one depends on, in addition to the ones
   * its `package.json` names in `dependencies`, `devDependencies`, `optionalDependencies` or
   * `peerDependencies`. `deps: ['^build']` follows these edges.
   */
  dependsOn?: readonly string[]
  /** The local cache (`.tasks/`). */
  cache?: LocalCacheConfig
  /** A shared remote cache (Bazel HTTP, Bazel gRPC or Turborepo API). Credentials come from the environment, never from here. */
  remoteCache?: RemoteCacheConfig
}

/**
 * One workspace of a monorepo (a folder listed by the root's `workspaces`). Its tasks are named
 * `<name>#<task>` from the root and by their short name inside its folder.
 */
export interface Workspace {
  /** From its `package.json` `name`, else the folder's base name. */
  readonly name: string
  /** POSIX path of its folder relative to the project root (never `'.'`). */
  readonly dir: string
  /** Absolute path of its `tasks.config.*`, when it has one. */
  readonly file?: string
  /** Names of the workspaces it depends on (package.json dependencies and `dependsOn`), sorted. */
  readonly dependencies: readonly string[]
}

/** Local cache settings. */
export interface LocalCacheConfig {
  /**
   * Size limit of `.tasks/` cache entries and blobs: bytes, or a string like `'5GB'`, `'500MiB'`.
   * Past it, the least recently used entries are evicted and unreferenced blobs collected
   * (at the end of a run that stored something, and by `tasks cache prune`).
   * @default '5GB'
   */
  maxSize?: number | string
}

/**
 * Remote cache settings. The URL's scheme picks the protocol: `http(s)://` Bazel HTTP cache
 * (bazel-remote, nginx WebDAV), `grpc(s)://host/instance` Bazel gRPC (REAPI v2), `turbo+http(s)://`
 * Turborepo API v8. Overridden by `--remote-cache URL` / `TASKS_REMOTE_CACHE`; credentials from
 * `TASKS_REMOTE_CACHE_TOKEN` (Bearer) or user:password in the URL (Basic).
 * @example remoteCache: { url: 'grpcs://cache.example.com/main', readOnly: !process.env.CI }
 */
export interface RemoteCacheConfig {
  url: string
  /** Restore, never upload (also `TASKS_REMOTE_CACHE_READ_ONLY=1`, `--remote-cache-read-only`). @default false */
  readOnly?: boolean
  /** Results whose blobs add up to more bytes are not uploaded (a warning). @default 104857600 (100 MiB) */
  maxUploadBytes?: number
  /** Turborepo team slug or `team_...` id (also `TASKS_REMOTE_CACHE_TEAM`, `?team=`). */
  team?: string
  /** Time a server may take to start answering, ms; one timeout turns the remote off for the run. @default 3000 */
  timeoutMs?: number
}

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
  | { type: 'warning'; time: number; task?: string; message: string; code?: string }
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

/** What {@link computeAffected} found. */
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

/**
 * A task after validation and normalisation: every optional key filled in, paths POSIX and
 * relative to the project root. Built by `loadConfig`; what the graph, fingerprint and runner use.
 */
export interface ResolvedTask {
  readonly name: string
  readonly description?: string
  readonly run?: string | readonly string[] | TaskFunction
  /** The shell of its string commands (the task's, else the config's, else `'portable'`). */
  readonly shell: TaskShell
  readonly deps: readonly string[]
  /** `undefined`: the task is never cached (no `inputs` key, or `fingerprint: false`). */
  readonly inputs?: readonly string[]
  readonly outputs: readonly string[]
  /** The `depfile`, POSIX and relative to the project root (not to `cwd`). */
  readonly depfile?: string
  readonly env: readonly string[]
  readonly passEnv: readonly string[]
  readonly setEnv: Readonly<Record<string, string>>
  /** POSIX path relative to the root, `'.'` for the root itself. */
  readonly cwd: string
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
  readonly interactive: boolean
  /** Declared variables (values are applied to `setEnv` by `run({ vars })`, defaults by `loadConfig`). */
  readonly vars: Readonly<Record<string, TaskVariable>>
  /** The workspace the task belongs to (its name), for tasks defined by a workspace's config. */
  readonly workspace?: string
  /** Set for a service task (`service: true` or an object), with its timeout filled in. */
  readonly service?: { readonly readyWhen: ServiceReadyWhen; readonly timeoutMs: number }
  /** Watch mode: restart it on a change instead of waiting for it. */
  readonly interruptible?: boolean
}

/** A loaded, validated config: what `loadConfig` returns and `run` takes. */
export interface LoadedConfig {
  /** Absolute path of the config file. */
  readonly file: string
  /** Absolute path of the project root (the config file's folder). */
  readonly root: string
  readonly tasks: ReadonlyMap<string, ResolvedTask>
  readonly concurrency?: number
  /** The workspaces of a monorepo, sorted by folder; undefined when the project has none. */
  readonly workspaces?: readonly Workspace[]
  /** `cache.maxSize` in bytes, when set. */
  readonly cacheMaxSize?: number
  readonly remoteCache?: RemoteCacheConfig
}
