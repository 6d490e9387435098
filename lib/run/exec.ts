/**
 * Run one shell command in its own process group, capture its output, and kill the whole tree on
 * abort. Spawned directly (1.5 ms a command; zx adds 3-5 ms and its AbortSignal kills only the
 * direct child, see DEPS.md). Each tree carries the owner marker and is recorded while it runs
 * (`procs.ts`), so signal handlers and the next start after a `kill -9` can find it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { TaskCommandError } from '../errors.js'
import { trackTree, treeEnv } from './procs.js'

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
}

const isWindows = process.platform === 'win32'

/**
 * Run `command` through `sh -c` (Windows: `cmd.exe /d /s /c`), in a new process group.
 * @throws {TaskCommandError} when it exits non-zero or is killed (exitCode 128 + signal number).
 */
export function execCommand(command: string, options: ExecOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) return reject(new TaskCommandError(command, 130, 'SIGINT'))
    const child = isWindows
      ? spawn(process.env.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', `"${command}"`], { cwd: options.cwd, env: options.env, windowsVerbatimArguments: true, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('/bin/sh', ['-c', command], { cwd: options.cwd, env: treeEnv(options.env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    trackTree(child, options.signal)
    const onBytes = options.onBytes
    if (onBytes) {
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
      if (code === 0) resolve()
      else reject(new TaskCommandError(command, code ?? 128 + signalNumber(sig), sig))
    })
  })
}

/**
 * Kill a child's whole process tree: SIGTERM to its process group, then SIGKILL after `graceMs`.
 * Windows: `taskkill /T /F`.
 */
export function killTree(child: ChildProcess, graceMs: number): void {
  if (child.pid === undefined) return
  if (isWindows) {
    spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' })
    return
  }
  const pid = child.pid
  try { process.kill(-pid, 'SIGTERM') } catch {}
  const t = setTimeout(() => { try { process.kill(-pid, 'SIGKILL') } catch {} }, graceMs)
  t.unref()
  child.once('close', () => {
    // The shell is gone; make sure nothing of its group outlives it.
    try { process.kill(-pid, 'SIGKILL') } catch {}
    clearTimeout(t)
  })
}

function signalNumber(sig: NodeJS.Signals | null): number {
  const n: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }
  return sig ? n[sig] ?? 0 : 0
}
