/**
 * What a config author writes: `tasks.config.ts`'s {@link Config} and {@link TaskDefinition}, and
 * what a function task receives ({@link TaskContext}, zx's `$` as {@link Shell}). Types only.
 */
import type { TaskStatus } from './events.js'

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
   * `<workspace>#<task>` (Turborepo's form). See `Workspace`.
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
