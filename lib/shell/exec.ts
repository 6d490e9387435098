/**
 * Run one string command under the task's shell, capture its output, and kill the whole tree on
 * abort. `portable` (the default) runs in process (`lib/shell/portable.ts`); `sh` and `cmd` spawn
 * the shell directly in a new process group (1.5 ms a command; zx adds 3-5 ms and its AbortSignal
 * kills only the direct child, see DEPS.md). Each tree carries the owner marker and is recorded
 * while it runs (`process/procs.ts`), so signal handlers and the next start after a `kill -9` can find it.
 */
import { spawn } from 'node:child_process'
import { TaskCommandError, TasksError } from '../errors.js'
import { killTree } from '../process/kill.js'
import { trackTree, treeEnv } from '../process/procs.js'
import type { TaskShell } from '../model/config.js'

/** Options of {@link execCommand}. */
export interface ExecOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  signal: AbortSignal
  /** Called with each chunk of output as it arrives, decoded as UTF-8 (not called for chunks `onBytes` takes). */
  onOutput(stream: 'stdout' | 'stderr', text: string): void
  /** When given, receives each chunk of output as raw bytes instead of `onOutput` (the caller decodes; binary output stays intact). */
  onBytes?(stream: 'stdout' | 'stderr', data: Buffer): void
  /** Grace period between SIGTERM and SIGKILL on abort, ms. @default 2000 */
  killGraceMs?: number
  /** The shell that runs the command. @default 'portable' */
  shell?: TaskShell
  /** An interactive task: stdin, stdout and stderr are this process's (the terminal); nothing is captured. @default false */
  interactive?: boolean
}

const isWindows = process.platform === 'win32'

/**
 * What {@link checkCommands} found for each command string this process checked: the construct
 * the portable shell lacks, or false (a pure function of the string, so a run's thousand tasks with
 * the same command parse it once). At most {@link VERDICTS_MAX} entries.
 */
const verdicts = new Map<string, string | false>()
const VERDICTS_MAX = 4096

type PortableModule = typeof import('./portable.js')
let portableModule: Promise<PortableModule> | undefined
let checkModule: Promise<PortableModule & typeof import('./check.js')> | undefined
/** The portable shell, imported once (a dynamic `import()` per command costs a module-map look-up and promise turns). */
const portable = () => (portableModule ??= import('./portable.js'))
const portableCheck = () =>
  (checkModule ??= Promise.all([portable(), import('./check.js')]).then(([p, c]) => ({ ...p, ...c })))

/**
 * Check, before a task runs any of its commands, that its shell can run every one of them: for
 * `portable`, that no command uses a construct the portable shell lacks (an `if`, a here-document,
 * a background job...); for `cmd`, that this is Windows. Loads the portable shell's parser.
 * @param task the task's name, for the message
 * @throws {TasksError} `shell-unsupported`, naming the task, the construct and the command.
 */
export async function checkCommands(
  task: string,
  commands: readonly string[],
  shell: TaskShell = 'portable',
): Promise<void> {
  if (shell === 'cmd' && !isWindows) {
    throw new TasksError(
      'shell-unsupported',
      `task \`${task}\` runs under \`shell: 'cmd'\`, which exists only on Windows`,
      { task, key: 'shell' },
      "use `shell: 'portable'` (the default) for a command that runs on every OS",
    )
  }
  if (shell !== 'portable') return
  for (const command of commands) {
    let construct = verdicts.get(command)
    if (construct === undefined) {
      const { portableParser, unsupportedConstruct } = await portableCheck()
      construct = unsupportedConstruct(command, portableParser()) ?? false
      if (verdicts.size >= VERDICTS_MAX) verdicts.clear()
      verdicts.set(command, construct)
    }
    if (construct) {
      throw new TasksError(
        'shell-unsupported',
        `task \`${task}\`: the portable shell does not support ${construct}, in \`${command}\` (rewrite it with the portable shell's commands, or give the task \`shell: 'sh'\`)`,
        { task, key: 'run' },
        `rewrite the command with what the portable shell supports (README, "Windows"), or set \`shell: 'sh'\` on the task or config-wide (then it needs sh on every OS)`,
      )
    }
  }
}

/**
 * Run `command` under `options.shell`: the portable shell in process; `sh -c` (`/bin/sh` on POSIX,
 * `sh` from PATH on Windows); or `cmd.exe /d /s /c` (Windows only). `sh` and `cmd` start a new
 * process group (POSIX) so an abort kills the whole tree; the portable shell tracks every process
 * it spawns for the same reason.
 * @throws {TaskCommandError} when it exits non-zero or is killed (exitCode 128 + signal number; 130
 *   when the run was aborted).
 */
export async function execCommand(command: string, options: ExecOptions): Promise<void> {
  if (options.signal.aborted) throw new TaskCommandError(command, 130, 'SIGINT')
  if ((options.shell ?? 'portable') === 'portable') {
    const { runPortable } = await portable()
    const code = await runPortable(command, options)
    if (options.signal.aborted) throw new TaskCommandError(command, 130, 'SIGINT')
    if (code !== 0) throw new TaskCommandError(command, code)
    return
  }
  return spawnShell(command, options)
}

function spawnShell(command: string, options: ExecOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const stdio = options.interactive ? ('inherit' as const) : ['ignore' as const, 'pipe' as const, 'pipe' as const]
    const child =
      options.shell === 'cmd'
        ? spawn(process.env.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', `"${command}"`], {
            cwd: options.cwd,
            env: treeEnv(options.env),
            windowsVerbatimArguments: true,
            windowsHide: true,
            stdio,
          })
        : // Interactive too leads its own process group (a timeout or Ctrl-C kills the tree); its stdio are the terminal's fds.
          spawn(isWindows ? 'sh' : '/bin/sh', ['-c', command], {
            cwd: options.cwd,
            env: treeEnv(options.env),
            detached: !isWindows,
            windowsHide: true,
            stdio,
          })
    trackTree(child, options.signal)
    const onBytes = options.onBytes
    if (options.interactive) {
      // The terminal has the output.
    } else if (onBytes) {
      child.stdout!.on('data', (d: Buffer) => onBytes('stdout', d))
      child.stderr!.on('data', (d: Buffer) => onBytes('stderr', d))
    } else {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => options.onOutput('stdout', d))
      child.stderr!.setEncoding('utf8').on('data', (d: string) => options.onOutput('stderr', d))
    }
    const onAbort = () => killTree(child, options.killGraceMs ?? 2000)
    options.signal.addEventListener('abort', onAbort, { once: true })
    child.on('error', (err) => {
      options.signal.removeEventListener('abort', onAbort)
      options.onOutput('stderr', `${err.message}\n`)
      reject(new TaskCommandError(command, 127))
    })
    child.on('close', (code, sig) => {
      options.signal.removeEventListener('abort', onAbort)
      // Windows: a terminated process may report code 0 (Wine does); an abort is never a success.
      if (code === 0 && !options.signal.aborted) resolve()
      else if (code === 0 || (code === null && !sig)) reject(new TaskCommandError(command, 130, 'SIGINT'))
      else reject(new TaskCommandError(command, code ?? 128 + signalNumber(sig), sig))
    })
  })
}

function signalNumber(sig: NodeJS.Signals | null): number {
  const n: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }
  return sig ? (n[sig] ?? 0) : 0
}
