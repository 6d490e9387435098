/**
 * One running service process (tree) of lib/run/service.ts: started through the local executor,
 * its output lines kept (the last {@link LOG_TAIL_LINES}) and offered to readiness probes, its exit
 * observed, and stopped with its whole tree (every process group it created).
 */
import { join } from 'node:path'
import type { FingerprintRecord } from '../fingerprint/record.js'
import type { Outcome } from './executor.js'
import { executeTask } from './executors/local.js'
import { bindChildSignal } from '../process/procs.js'
import type { TaskContext } from '../model/config.js'
import type { RunEvent } from '../model/events.js'
import type { ResolvedTask } from '../model/internal.js'

/** Lines of a service's log kept for a readiness failure's message. */
export const LOG_TAIL_LINES = 20

/** One running service process (tree). */
export class ServiceInstance {
  readonly ac = new AbortController()
  readonly started = Date.now()
  state: 'starting' | 'ready' | 'exited' = 'starting'
  /** Set once stop() was called: its exit is then expected. */
  stopping = false
  /** How it ended (once `state` is `'exited'`). */
  exit?: Outcome
  readonly exited: Promise<Outcome>
  private readonly tail: string[] = []
  private readonly listeners = new Set<(line: string) => void>()
  private readonly exitListeners = new Set<(x: Outcome) => void>()
  private partial = ''
  private readonly groups = new Set<number>()

  constructor(
    readonly task: ResolvedTask,
    readonly fingerprint: string,
    readonly record: FingerprintRecord | undefined,
    o: {
      root: string
      env: NodeJS.ProcessEnv
      args: readonly string[]
      deps: TaskContext['deps']
      emit(e: RunEvent): void
      signal: AbortSignal
    },
  ) {
    bindChildSignal(this.ac.signal, o.signal, (pgid) => this.groups.add(pgid))
    const onParentAbort = () => this.ac.abort()
    if (o.signal.aborted) this.ac.abort()
    else o.signal.addEventListener('abort', onParentAbort, { once: true })
    this.exited = executeTask(task, {
      root: o.root,
      cwd: join(o.root, task.cwd),
      env: o.env,
      args: o.args,
      signal: this.ac.signal,
      deps: o.deps,
      onOutput: (stream, text) => {
        this.lines(text)
        o.emit({ type: 'task:output', time: Date.now(), task: task.name, stream, text, replay: false })
      },
    }).then(async (x) => {
      o.signal.removeEventListener('abort', onParentAbort)
      // Its leader is gone; what it left running in its process groups goes too (the whole tree).
      await reapGroups([...this.groups])
      if (this.partial) this.pushLine(this.partial)
      this.state = 'exited'
      this.exit = x
      for (const l of this.exitListeners) l(x)
      return x
    })
  }

  private lines(text: string): void {
    const parts = (this.partial + text).split('\n')
    this.partial = parts.pop()!
    for (const p of parts) this.pushLine(p.replace(/\r$/, ''))
  }

  private pushLine(line: string): void {
    this.tail.push(line)
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift()
    for (const l of this.listeners) l(line)
  }

  /** The last {@link LOG_TAIL_LINES} lines it printed. */
  lastLines(): string[] {
    return this.partial ? [...this.tail, this.partial].slice(-LOG_TAIL_LINES) : [...this.tail]
  }

  /** Subscribe to its output lines; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Called once when it exits (at once if it already has); returns the unsubscribe function. */
  onExit(listener: (x: Outcome) => void): () => void {
    if (this.exit) {
      listener(this.exit)
      return () => {}
    }
    this.exitListeners.add(listener)
    return () => this.exitListeners.delete(listener)
  }

  /** Stop it: SIGTERM to its whole tree, SIGKILL after the grace period (exec.ts); resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopping = true
    this.ac.abort()
    await this.exited
  }
}

/** SIGTERM each process group, wait up to 1 s for them to be gone, then SIGKILL what is left (POSIX; no-op on Windows). */
async function reapGroups(pgids: readonly number[]): Promise<void> {
  if (process.platform === 'win32' || !pgids.length) return
  const exists = (g: number) => {
    try {
      process.kill(-g, 0)
      return true
    } catch {
      return false
    }
  }
  let left = pgids.filter(exists)
  for (const g of left) {
    try {
      process.kill(-g, 'SIGTERM')
    } catch {}
  }
  for (let end = Date.now() + 1000; left.length && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 50))
    left = left.filter(exists)
  }
  for (const g of left) {
    try {
      process.kill(-g, 'SIGKILL')
    } catch {}
  }
}
