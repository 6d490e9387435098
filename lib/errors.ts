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
 * The one error type the library throws for bad input. `code` says which; `location` where;
 * `hint` the fix ("did you mean `build`?").
 * @example throw new TasksError('unknown-dependency', 'task `test` depends on unknown task `biuld`',
 *   { file, task: 'test', key: 'deps' }, 'did you mean `build`?')
 */
export class TasksError extends Error {
  readonly code: ErrorCode
  location: ErrorLocation
  readonly hint?: string
  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}, hint?: string) {
    super(message)
    this.name = 'TasksError'
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
  readonly exitCode: number
  readonly command: string
  constructor(command: string, exitCode: number, signal?: string | null) {
    super(signal ? `command \`${command}\` was killed by ${signal}` : `command \`${command}\` exited with code ${exitCode}`)
    this.name = 'TaskCommandError'
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
