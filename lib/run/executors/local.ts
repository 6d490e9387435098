/**
 * The local {@link Executor}: one attempt of one task on this machine, its command(s) through the
 * task's shell (`exec.ts` spawns and kills the trees) or its function with a {@link TaskContext}
 * (`task-context.ts`). Arguments after `--` are appended to the last command; output is captured as
 * raw bytes (the log stored in the cache is exactly what the task printed, binary or not) and
 * streamed as text.
 */
import { StringDecoder } from 'node:string_decoder'
import { failureText, isExpectedFailure, TaskCommandError } from '../../errors.js'
import { checkCommands, execCommand } from '../../shell/exec.js'
import { shellQuote } from '../../util/quote.js'
import { createContext } from '../task-context.js'
import type { Attempt, Executor, Outcome } from '../executor.js'
import type { ResolvedTask } from '../../model/internal.js'

/** The local executor (stateless: one instance serves every run). */
export const localExecutor: Executor = { execute: executeTask }

/**
 * Run `task` (which has a `run`). Never throws: a failure is `{ ok: false }` with its exit code
 * (1 for a function task that threw) and message. A function task's value is kept only when it is
 * JSON (it is stored with the cache entry).
 */
export async function executeTask(task: ResolvedTask, input: Attempt): Promise<Outcome> {
  const startMs = Date.now()
  const chunks: Buffer[] = []
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') }
  const onOutput = (stream: 'stdout' | 'stderr', text: string) => {
    chunks.push(Buffer.from(text))
    input.onOutput(stream, text)
  }
  const onBytes = (stream: 'stdout' | 'stderr', data: Buffer) => {
    chunks.push(data)
    const text = decoders[stream].write(data)
    if (text) input.onOutput(stream, text)
  }
  const { cwd, env } = input
  let value: unknown
  try {
    if (typeof task.run === 'function') {
      const ctx = await createContext({
        name: task.name,
        root: input.root,
        cwd,
        args: input.args,
        env,
        signal: input.signal,
        deps: input.deps,
        onOutput,
        shell: task.shell,
      })
      value = await task.run(ctx)
      value = value === undefined ? undefined : JSON.parse(JSON.stringify(value))
    } else {
      const commands = typeof task.run === 'string' ? [task.run] : [...(task.run as readonly string[])]
      if (input.args.length)
        commands.push(`${commands.pop()} ${input.args.map((a) => shellQuote(a, task.shell)).join(' ')}`)
      await checkCommands(task.name, commands, task.shell)
      for (const cmd of commands)
        await execCommand(cmd, {
          cwd,
          env,
          signal: input.signal,
          onOutput,
          onBytes,
          shell: task.shell,
          interactive: task.interactive,
        })
    }
  } catch (err) {
    const interrupted = input.signal.aborted
    const exitCode = err instanceof TaskCommandError ? err.exitCode : 1
    // Expected failures (our error classes, fs errors) are shown by their text; anything else with its stack, to find the bug.
    const message = interrupted
      ? 'interrupted'
      : isExpectedFailure(err)
        ? failureText(err)
        : ((err as Error)?.stack ?? String(err))
    if (!(err instanceof TaskCommandError) && !interrupted) onOutput('stderr', `${message}\n`)
    return {
      ok: false,
      interrupted,
      exitCode,
      message,
      log: Buffer.concat(chunks),
      command: err instanceof TaskCommandError,
      startMs,
      endMs: Date.now(),
    }
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = decoders[stream].end()
    if (rest) input.onOutput(stream, rest)
  }
  if (input.signal.aborted)
    return {
      ok: false,
      interrupted: true,
      exitCode: 130,
      message: 'interrupted',
      log: Buffer.concat(chunks),
      command: false,
      startMs,
      endMs: Date.now(),
    }
  return { ok: true, value, log: Buffer.concat(chunks), startMs, endMs: Date.now() }
}
