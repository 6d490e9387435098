/**
 * The attempts loop around an {@link Executor} (which runs one attempt): `timeoutMs` (each attempt gets its own
 * abort signal, aborted when the run's is or when the attempt outlives the timeout: the process tree
 * is killed as on Ctrl-C, SIGTERM then SIGKILL) and `retries` (a failing attempt is run again, up to
 * N more times; each attempt is announced through `onAttempt`, and the task counts once, with the
 * last attempt's outcome, like Bazel's `--flaky_test_attempts` or Nx's retries). An interrupted run
 * is never retried. Also the {@link ExclusiveGate} that gives an `interactive` task the terminal alone.
 */
import type { Attempt, Executor, Outcome } from './executor.js'
import type { ResolvedTask } from '../model/internal.js'

/** How the attempts of one task ended: the last attempt's {@link Outcome}, plus what the options did. */
export type AttemptsResult = Outcome & {
  /** Attempts made (1 without retries). */
  attempts: number
  /** The last attempt was killed by `timeoutMs`. */
  timedOut: boolean
  /** The log of every attempt, in order, with a line between attempts (the last attempt's alone is `log`). */
  fullLog: Buffer
}

/**
 * Run `task` with its `timeoutMs` and `retries`, each attempt by `executor`.
 * @param input the attempt input; each attempt gets its own signal (aborted by `input.signal` or the timeout)
 * @param onAttempt called before attempt 2, 3, ... with the attempt number (1-based), the total
 *   allowed and why the previous one failed (prose, e.g. `exit code 1`, `timed out after 500 ms`)
 * Never throws (as {@link Executor.execute}).
 */
export async function executeWithAttempts(
  executor: Executor,
  task: ResolvedTask,
  input: Attempt,
  onAttempt: (attempt: number, of: number, previous: string) => void,
): Promise<AttemptsResult> {
  const total = 1 + Math.max(0, task.retries)
  const logs: Buffer[] = []
  for (let attempt = 1; ; attempt++) {
    const { x, timedOut } = await attemptOnce(executor, task, input)
    logs.push(x.log)
    const last = x.ok || attempt >= total || input.signal.aborted
    if (last) return { ...x, attempts: attempt, timedOut: !x.ok && timedOut, fullLog: Buffer.concat(logs) }
    const why = timedOut ? `timed out after ${task.timeoutMs} ms` : `exit code ${x.exitCode}`
    const note = `tasks: attempt ${attempt} of ${total} failed (${why}); retrying\n`
    logs.push(Buffer.from(note))
    input.onOutput('stderr', note)
    onAttempt(attempt + 1, total, why)
  }
}

/** After a timeout, how long a task may take to stop before it is given up on, ms (the kill's SIGTERM to SIGKILL grace is 2 s). */
const ABANDON_MS = 5000

async function attemptOnce(
  executor: Executor,
  task: ResolvedTask,
  input: Attempt,
): Promise<{ x: Outcome; timedOut: boolean }> {
  if (task.timeoutMs === undefined) return { x: await executor.execute(task, input), timedOut: false }
  const startMs = Date.now()
  const ac = new AbortController()
  let timedOut = false
  const onAbort = () => ac.abort(input.signal.reason)
  if (input.signal.aborted) ac.abort(input.signal.reason)
  else input.signal.addEventListener('abort', onAbort, { once: true })
  // A function task that ignores its signal is abandoned (left to finish in the background) this long after the timeout, ms.
  let abandon: NodeJS.Timeout | undefined
  const gaveUp = new Promise<Outcome>((resolve) => {
    ac.signal.addEventListener(
      'abort',
      () => {
        if (!timedOut) return
        abandon = setTimeout(
          () =>
            resolve({
              ok: false,
              interrupted: false,
              exitCode: 124,
              message: `timed out after ${task.timeoutMs} ms`,
              log: Buffer.alloc(0),
              command: false,
              startMs,
              endMs: Date.now(),
            }),
          ABANDON_MS,
        )
      },
      { once: true },
    )
  })
  const timer = setTimeout(() => {
    timedOut = true
    ac.abort(new Error(`timed out after ${task.timeoutMs} ms`))
  }, task.timeoutMs)
  try {
    const x = await Promise.race([executor.execute(task, { ...input, signal: ac.signal }), gaveUp])
    // The attempt saw its own signal aborted: by the timeout (a failure), or by the run (interrupted).
    if (!x.ok && timedOut && !input.signal.aborted)
      return {
        x: {
          ...x,
          interrupted: false,
          exitCode: x.exitCode === 130 ? 124 : x.exitCode,
          message: `timed out after ${task.timeoutMs} ms`,
        },
        timedOut: true,
      }
    if (x.ok && timedOut && !input.signal.aborted)
      return {
        x: {
          ok: false,
          interrupted: false,
          exitCode: 124,
          message: `timed out after ${task.timeoutMs} ms`,
          log: x.log,
          command: typeof task.run !== 'function',
          startMs: x.startMs,
          endMs: x.endMs,
        },
        timedOut: true,
      }
    return { x, timedOut: false }
  } finally {
    clearTimeout(timer)
    clearTimeout(abandon)
    input.signal.removeEventListener('abort', onAbort)
  }
}

/**
 * A readers-writer gate over task executions: ordinary tasks enter shared, an interactive task
 * enters exclusive (it waits until every running task has finished, and nothing else starts until
 * it leaves), so it has the terminal and stdin alone: concurrency 1 while it runs. Waiting
 * exclusive entries go first (no starvation by a stream of ordinary tasks).
 */
export class ExclusiveGate {
  private shared = 0
  private exclusive = false
  private readonly waiting: { exclusive: boolean; go: () => void }[] = []

  /** Resolves when the caller may start; call {@link leave} with the same `exclusive` afterwards. */
  enter(exclusive: boolean): Promise<void> {
    if (this.can(exclusive) && !this.waiting.some((w) => w.exclusive)) {
      this.take(exclusive)
      return Promise.resolve()
    }
    return new Promise((go) =>
      this.waiting.push({
        exclusive,
        go: () => {
          this.take(exclusive)
          go()
        },
      }),
    )
  }

  /** The caller's task has finished. */
  leave(exclusive: boolean): void {
    if (exclusive) this.exclusive = false
    else this.shared--
    this.pump()
  }

  private can(exclusive: boolean): boolean {
    return exclusive ? !this.exclusive && this.shared === 0 : !this.exclusive
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.exclusive = true
    else this.shared++
  }

  private pump(): void {
    while (this.waiting.length) {
      const firstExclusive = this.waiting.findIndex((w) => w.exclusive)
      const i = firstExclusive >= 0 ? firstExclusive : 0
      const w = this.waiting[i]! // the loop runs while waiting is not empty; i is 0 or a found index
      if (!this.can(w.exclusive)) return
      this.waiting.splice(i, 1)
      w.go()
      if (w.exclusive) return
    }
  }
}
