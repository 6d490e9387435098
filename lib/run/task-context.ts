/**
 * The {@link TaskContext} a function task receives. zx is imported here, on demand, the first time
 * a function task runs (it costs ~140 ms to import, so never on the no-op path).
 */
import { spawn as cpSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { resolve } from 'node:path'
import type { Shell, ShellOptions, ShellOutput, ShellProcess, TaskContext, TaskShell } from '../model/config.js'
import { checkCommands, execCommand } from '../shell/exec.js'
import { killTree } from '../process/kill.js'
import { trackTree, treeEnv } from '../process/procs.js'
import { TaskCommandError } from '../errors.js'

// The public Shell types are our own (zx's need @types/fs-extra, which users lack): zx's must fit them.
type Fits<T extends true> = T
export type ZxFitsShellTypes = [
  Fits<import('zx').ProcessPromise extends ShellProcess ? true : false>,
  Fits<import('zx').ProcessOutput extends ShellOutput ? true : false>,
  Fits<
    Pick<ShellOptions, 'cwd' | 'env' | 'nothrow' | 'input' | 'timeout'> extends Partial<import('zx').Options>
      ? true
      : false
  >,
]

/** What {@link createContext} needs. */
export interface ContextInput {
  name: string
  root: string
  cwd: string
  args: readonly string[]
  env: NodeJS.ProcessEnv
  signal: AbortSignal
  deps: TaskContext['deps']
  onOutput(stream: 'stdout' | 'stderr', text: string): void
  /** The shell `ctx.exec` runs commands under (the task's). @default 'portable' */
  shell?: TaskShell
}

/**
 * Build the context for one function task. zx's `$` is bound to cwd/env, logs into the task's
 * output, and spawns every child detached (own process group) so an abort kills whole trees.
 */
export async function createContext(input: ContextInput): Promise<TaskContext> {
  const { $ } = await import('zx')
  // A signal during the import above has already fired its abort event: do not start the task.
  if (input.signal.aborted) throw new TaskCommandError(`task ${input.name}`, 130, 'SIGINT')
  const children = new Set<ChildProcess>()
  const spawn = ((cmd: string, args: readonly string[], opts: SpawnOptions) => {
    const child = cpSpawn(cmd, args, {
      ...opts,
      env: treeEnv(opts.env ?? input.env),
      detached: process.platform !== 'win32',
    })
    trackTree(child, input.signal)
    // A command started after the abort (the function caught the first error and went on) dies at once.
    if (input.signal.aborted) killTree(child, 2000)
    else {
      // One abort listener while children run, none after (thousands of function tasks share the run's signal).
      if (children.size === 0) input.signal.addEventListener('abort', onAbort, { once: true })
      children.add(child)
      child.once('close', () => {
        children.delete(child)
        if (children.size === 0) input.signal.removeEventListener('abort', onAbort)
      })
    }
    return child
  }) as typeof cpSpawn
  function onAbort() {
    for (const c of children) killTree(c, 2000)
  }
  const shell = $({
    cwd: input.cwd,
    env: input.env,
    verbose: true,
    quiet: false,
    spawn,
    log: (entry) => {
      if (entry.kind === 'stdout' || entry.kind === 'stderr') input.onOutput(entry.kind, entry.data.toString())
      else if (entry.kind === 'cmd') input.onOutput('stdout', `$ ${entry.cmd}\n`)
    },
  }) satisfies Shell
  return {
    name: input.name,
    root: input.root,
    cwd: input.cwd,
    args: input.args,
    env: input.env,
    signal: input.signal,
    deps: input.deps,
    log: (text) => input.onOutput('stdout', text.endsWith('\n') ? text : text + '\n'),
    $: shell,
    exec: async (command, options) => {
      await checkCommands(input.name, [command], input.shell)
      return execCommand(command, {
        cwd: options?.cwd ? resolve(input.cwd, options.cwd) : input.cwd,
        env: { ...input.env, ...options?.env },
        signal: input.signal,
        onOutput: input.onOutput,
        shell: input.shell,
      })
    },
  }
}
