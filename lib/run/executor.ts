/**
 * The executor interface: where and how ONE attempt of one task runs. The task pipeline
 * (`pipeline.ts`) decides, restores, stores and retries; an executor only runs. The local one
 * (`executors/local.ts`) runs on this machine; sandboxed and remote executors implement the same
 * interface.
 */
import type { Fingerprint } from '../fingerprint/fingerprint.js'
import type { TaskContext } from '../model/config.js'
import type { ResolvedTask } from '../model/internal.js'

/** Everything one attempt needs besides the task. Paths are absolute; nothing here is specific to one executor. */
export interface Attempt {
  /** The project root. */
  root: string
  /** The folder the task runs in (the root joined with `task.cwd`). */
  cwd: string
  /** The task's whole environment (`taskEnv`: the run's, `setEnv` and `vars`, `node_modules/.bin` on PATH). */
  env: NodeJS.ProcessEnv
  /** Arguments after `--` (appended to the last command; a function task gets them as `ctx.args`). */
  args: readonly string[]
  /**
   * Aborted when the run is interrupted, when a service the task needs exits, or when this attempt
   * outlives the task's `timeoutMs` (the caller arms that timer): the work must stop (process trees
   * killed, SIGTERM then SIGKILL) and the promise resolve soon after.
   */
  signal: AbortSignal
  /** The direct dependencies' outcomes (function tasks receive them as `ctx.deps`). */
  deps: TaskContext['deps']
  /**
   * The task's fingerprint in this run: its key and record (the input files with their digests:
   * what an executor that runs elsewhere materialises). Undefined for a task that is not cacheable.
   */
  fingerprint?: Fingerprint
  /** Each chunk of output as text (UTF-8, a character split between chunks kept whole), as it arrives. */
  onOutput(stream: 'stdout' | 'stderr', text: string): void
}

/**
 * How one attempt ended. `log`: every byte the task printed, stdout and stderr interleaved as
 * received. `startMs`/`endMs`: wall-clock times (epoch ms) the attempt started and ended.
 */
export type Outcome =
  | { ok: true; value: unknown; log: Buffer; startMs: number; endMs: number }
  | {
      ok: false
      /** The attempt's signal was aborted by the run (not a failure of the task itself). */
      interrupted: boolean
      /** The exit status (1 for a function task that threw, 130 when interrupted). */
      exitCode: number
      message: string
      log: Buffer
      /** True when a command exited non-zero (a `TaskCommandError`), false when a function threw. */
      command: boolean
      startMs: number
      endMs: number
    }

/**
 * Runs one attempt of one task. An implementation must: run the task's commands (or its function)
 * in `attempt.cwd` with exactly `attempt.env`, the last command with `attempt.args` appended; stream
 * output through `attempt.onOutput` as it arrives and return all of it as `log`; stop when
 * `attempt.signal` aborts (run interrupted or timed out); and return the exit status and timing.
 * It never throws (a failure is `{ ok: false }`), never retries (the pipeline's attempts loop does,
 * `attempts.ts`), never reads nor writes the cache or the state, and emits no events.
 */
export interface Executor {
  /** Run one attempt of `task` (which has a `run`). Never throws. */
  execute(task: ResolvedTask, attempt: Attempt): Promise<Outcome>
}
