/**
 * Errors as values with a location, rendered once at the edge (bin/). A leaf module.
 * Same idea as Wireit's `Failure` with a `Diagnostic`: the library throws `TasksError`, the CLI
 * prints it with `file:line:col`, the source line, carets and a one-line `help`.
 */

/** Why a run could not start or a task could not be set up. Exit-code band: see {@link exitCodeFor}. */
export type ErrorCode =
  | 'config-not-found'
  | 'config-syntax'
  | 'config-load'
  | 'config-invalid'
  | 'unknown-task'
  | 'unknown-dependency'
  | 'cycle'
  | 'output-outside-root'
  | 'in-place-task'
  | 'overlapping-outputs'
  | 'undeclared-dependency'
  /** A command its task's shell cannot run (a construct the portable shell lacks, `cmd` off Windows). */
  | 'shell-unsupported'
  | 'usage'
  | 'internal'

/** Where an error points: the config file and, when known, the task, the key and a 1-based line/column. */
export interface ErrorLocation {
  file?: string
  task?: string
  key?: string
  line?: number
  column?: number
  /** Length of the bad token, for carets. @default 1 */
  length?: number
  /** The source line text, when known. */
  lineText?: string
}

/**
 * Where an error class's brand lives: `instanceof` on the three error classes below also accepts
 * an instance made by another copy of this module (the bundled CLI in `dist/cli/` and a deep
 * import of `dist/lib/`, or two installed versions), by this registry-wide symbol, the way
 * `Array.isArray` works across realms. A subclass keeps the ordinary prototype check.
 */
const BRAND = Symbol.for('typed-tasks.error-class')

/** `x instanceof cls` by prototype, else by the brand `name` (see {@link BRAND}). */
function branded(cls: abstract new (...args: never[]) => unknown, base: Function, name: string, x: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(cls, x)) return true
  return cls === base && typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === name
}

/**
 * The one error type the library throws for bad input. `code` says which; `location` where;
 * `hint` the fix ("did you mean `build`?").
 * @example throw new TasksError('unknown-dependency', 'task `test` depends on unknown task `biuld`',
 *   { file, task: 'test', key: 'deps' }, 'did you mean `build`?')
 */
export class TasksError extends Error {
  /** Also true for a `TasksError` of another copy of this module (see `BRAND`). */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return branded(this, TasksError, 'TasksError', x)
  }
  readonly code: ErrorCode
  location: ErrorLocation
  readonly hint?: string
  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}, hint?: string) {
    super(message)
    this.name = 'TasksError'
    Object.defineProperty(this, BRAND, { value: 'TasksError' })
    this.code = code
    this.location = location
    this.hint = hint
  }
}

/**
 * Raised inside a task when a command exits non-zero or is killed. `exitCode` is the child's code
 * (or 128 + signal number when killed).
 */
export class TaskCommandError extends Error {
  /** Also true for a `TaskCommandError` of another copy of this module (see `BRAND`). */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return branded(this, TaskCommandError, 'TaskCommandError', x)
  }
  readonly exitCode: number
  readonly command: string
  constructor(command: string, exitCode: number, signal?: string | null) {
    super(
      signal ? `command \`${command}\` was killed by ${signal}` : `command \`${command}\` exited with code ${exitCode}`,
    )
    this.name = 'TaskCommandError'
    Object.defineProperty(this, BRAND, { value: 'TaskCommandError' })
    this.command = command
    this.exitCode = exitCode
  }
}

/**
 * Exit-code bands (like go-task's): 0 success, 1 a task failed, 2 usage/config errors,
 * 130 interrupted by SIGINT, 143 by SIGTERM.
 */
export const EXIT = { ok: 0, taskFailed: 1, config: 2, sigint: 130, sigterm: 143 } as const

/** The process exit code for an error thrown by the library (config errors: 2, anything else: 1). */
export function exitCodeFor(err: unknown): number {
  return err instanceof TasksError ? EXIT.config : EXIT.taskFailed
}

/**
 * Which recipe failure a {@link RecipeError} is. Config time (the recipe was called with bad
 * options): `unknown-option`, `invalid-option`. Run time (the task failed for a known reason):
 * - `tool-missing`: a tool the task needs is not installed (uv, ruff, flake8, dockerode, a rustup target);
 * - `daemon-unreachable`, `docker-api`: the Docker daemon cannot be reached or refused a request;
 * - `build-failed`, `base-image-missing`, `image-missing`, `push-failed`, `registry-auth`, `run-timeout`:
 *   a Docker build, run or push failed (the message names the step, image or registry).
 */
export type RecipeErrorCode =
  | 'unknown-option'
  | 'invalid-option'
  | 'tool-missing'
  | 'daemon-unreachable'
  | 'docker-api'
  | 'build-failed'
  | 'base-image-missing'
  | 'image-missing'
  | 'push-failed'
  | 'registry-auth'
  | 'run-timeout'

/** Where a {@link RecipeError} comes from and how to fix it. */
export interface RecipeErrorDetails {
  /** The recipe, e.g. `docker.image`. */
  recipe?: string
  /** The option at fault (config-time errors), e.g. `tags`. */
  option?: string
  /** The fix, one line: "did you mean `tags`?", "run `rustup target add x`". Kept apart from the message (see {@link failureText}). */
  hint?: string
}

/**
 * The one error type recipes throw (the library's recipes and a user's own), with a typed `code`.
 * Like {@link TasksError}, the fix is kept apart from the message: `message` is `<recipe>: <what>`,
 * `hint` the fix; {@link failureText} joins them (`<message>\n  help: <hint>`) where the engine shows
 * the failure. Config-time errors (`unknown-option`, `invalid-option`) keep their stack, so the
 * config loader can point at the line of `tasks.config.ts` that called the recipe. Run-time errors
 * are expected failures (a build step failed, the daemon is down): their `stack` is their
 * {@link failureText}, because a JavaScript trace is noise there.
 * @example throw new RecipeError('unknown-option', 'unknown option `tgas`', { recipe: 'docker.image', option: 'tgas', hint: 'did you mean `tags`?' })
 */
export class RecipeError extends Error {
  /** Also true for a `RecipeError` of another copy of this module (see `BRAND`). */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return branded(this, RecipeError, 'RecipeError', x)
  }
  readonly code: RecipeErrorCode
  readonly recipe?: string
  readonly option?: string
  readonly hint?: string
  constructor(code: RecipeErrorCode, message: string, details: RecipeErrorDetails = {}) {
    super(`${details.recipe && !message.startsWith(details.recipe) ? `${details.recipe}: ` : ''}${message}`)
    this.name = 'RecipeError'
    Object.defineProperty(this, BRAND, { value: 'RecipeError' })
    this.code = code
    this.recipe = details.recipe
    this.option = details.option
    this.hint = details.hint
    if (code !== 'unknown-option' && code !== 'invalid-option') this.stack = failureText(this)
  }
}

/**
 * Whether a task's error is an expected failure, shown by its {@link failureText} (else it is a bug,
 * shown with its stack): our own error classes ({@link TaskCommandError}, {@link RecipeError},
 * {@link TasksError}, also from another copy of this module), and Node's or another library's
 * errors that carry a `code` (ENOENT, EACCES...).
 */
export function isExpectedFailure(err: unknown): err is Error {
  if (err instanceof TaskCommandError || err instanceof RecipeError || err instanceof TasksError) return true
  return err instanceof Error && 'code' in err
}

/** The text of an error as the engine shows it: the message and, for a {@link RecipeError} with a hint, `\n  help: <hint>`. */
export function failureText(err: Error): string {
  return err instanceof RecipeError && err.hint ? `${err.message}\n  help: ${err.hint}` : err.message
}
