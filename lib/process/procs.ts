/**
 * The process trees this process started (each task command runs in its own process group, see
 * `shell/exec.ts`): a registry in memory, so a signal handler can kill every tree at once
 * ({@link killAllTrees}), and on disk in `.tasks/procs/<pid>-<start>.json`, so the next start
 * finds the trees that a `kill -9` of `tasks` left running ({@link reapLeftoverTrees}).
 *
 * Every tree's environment carries `TASKS_TREE_OWNER=<pid>:<start time>` of the `tasks` process
 * that started it. A recorded pgid is only killed when a process in that group still carries the
 * dead owner's marker (read from `/proc/<pid>/environ`): a reused pgid is never killed. Where that
 * cannot be verified (no `/proc`, a process that cleared its environment), the tree is only named.
 */
import type { ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { OWN_START_TIME, isProcessAlive, processEnviron, processGroupOf, processStartTime } from '../util/process.js'

/** The environment variable naming a tree's owner. */
export const OWNER_ENV = 'TASKS_TREE_OWNER'
/** This process's owner marker, the value of {@link OWNER_ENV} in its trees. */
export const OWNER_MARKER = `${process.pid}:${OWN_START_TIME}`

/** One running tree: its process group (the leader's pid) and the leader's start time. */
interface Tree {
  pgid: number
  start?: string
  child: ChildProcess
  table?: ProcTable
}

const live = new Set<Tree>()
const tables = new WeakMap<AbortSignal, ProcTable>()
const observers = new WeakMap<AbortSignal, (pgid: number) => void>()

/**
 * Trees started under `child` (a service's own signal) are recorded in the procs file of the run
 * bound to `parent`, and `onTree` hears each one's process group id (a service kills what its
 * leader left behind when it exits).
 */
export function bindChildSignal(child: AbortSignal, parent: AbortSignal, onTree?: (pgid: number) => void): void {
  const table = tables.get(parent)
  if (table) tables.set(child, table)
  if (onTree) observers.set(child, onTree)
}

/** `env` plus this process's owner marker, for a tree about to be spawned. */
export function treeEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  return { ...(env ?? process.env), [OWNER_ENV]: OWNER_MARKER }
}

/**
 * Record a just-spawned tree (a detached child: its pid is its process group id) until it closes.
 * @param signal the run's signal: the tree is recorded in the procs file of the run bound to it
 *   ({@link bindProcTable}); with no bound run it is kept in memory only
 */
export function trackTree(child: ChildProcess, signal: AbortSignal | undefined): void {
  if (child.pid === undefined || process.platform === 'win32') return
  const tree: Tree = { pgid: child.pid, start: processStartTime(child.pid), child, table: signal && tables.get(signal) }
  live.add(tree)
  tree.table?.add(tree)
  if (signal) observers.get(signal)?.(tree.pgid)
  const done = () => {
    if (!live.delete(tree)) return
    tree.table?.remove(tree)
  }
  child.once('close', done)
  child.once('error', done)
}

/** How many trees this process is running now. */
export function liveTreeCount(): number {
  return live.size
}

/**
 * Send `signal` to every running tree's process group (the escalation of a second Ctrl-C).
 * @returns how many groups were signalled
 */
export function killAllTrees(signal: NodeJS.Signals = 'SIGKILL'): number {
  let n = 0
  for (const t of live) {
    try {
      process.kill(-t.pgid, signal)
      n++
    } catch {}
  }
  return n
}

/**
 * Wait until no process of any running tree is left (polled every 20 ms), at most `timeoutMs`.
 * @returns true when all are gone
 */
export async function waitForTrees(timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs
  for (;;) {
    for (const t of live) {
      if (!groupAlive(t.pgid)) {
        live.delete(t)
        t.table?.remove(t)
      }
    }
    if (live.size === 0) return true
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Whether any process (zombies excepted, where `/proc` tells) of group `pgid` exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
  } catch {
    return false
  }
  // kill(-pgid, 0) also succeeds for a group of zombies awaiting their parent's wait().
  if (!existsProc()) return true
  return groupMembers(pgid).some((p) => p.state !== 'Z')
}

let procKnown: boolean | undefined
function existsProc(): boolean {
  if (procKnown === undefined) procKnown = processGroupOf(process.pid) !== undefined
  return procKnown
}

/** The processes of group `pgid` (Linux, scanning `/proc`). */
function groupMembers(pgid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = []
  let names: string[]
  try {
    names = readdirSync('/proc')
  } catch {
    return out
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue
    const info = processGroupOf(Number(n))
    if (info?.pgid === pgid) out.push({ pid: Number(n), state: info.state })
  }
  return out
}

/**
 * The procs file of one run: `<dir>/<pid>-<start>.json` holding `{ pid, start, trees: [{ pgid,
 * start }] }`, rewritten as trees start and end, removed at the end of the run. The file is
 * created once and then overwritten in place with one `pwrite` at offset 0, padded with spaces
 * (JSON's trailing whitespace) to the length last written, so it never holds a mix of two versions
 * and needs no truncate; a temp file + rename per started tree cost a file creation each, which
 * on a busy disk took milliseconds per task. A write this small (one page) is not torn by a
 * `kill -9`; only a power loss can leave a torn file, which the reaper deletes as malformed.
 */
export class ProcTable {
  private readonly trees = new Set<Tree>()
  private readonly file: string
  private failed = false
  private made = false
  private fd: number | undefined
  /** Bytes of the last version written (the next one is padded to at least this length). */
  private written = 0
  /** @param dir the procs folder, e.g. `<root>/.tasks/procs` */
  constructor(private readonly dir: string) {
    this.file = join(dir, `${process.pid}-${OWN_START_TIME}.json`)
  }
  private timer: NodeJS.Timeout | undefined
  /** Record a tree at once (it must be on disk before a `kill -9` can orphan it). */
  add(t: Tree): void {
    this.trees.add(t)
    this.save()
  }
  /**
   * Forget a tree. The file is rewritten a little later (a batch of trees ending costs one write;
   * an ended tree still listed is harmless: the reaper finds no process of it).
   */
  remove(t: Tree): void {
    if (!this.trees.delete(t)) return
    // Rewritten a little later: a run of short tasks starts the next one at once, and one write
    // per start is enough (the file is removed by `close`).
    if (this.timer) return
    this.timer = setTimeout(() => this.save(), 50)
    this.timer.unref()
  }
  /** Write the pending state now, and remove the file when no tree runs: call at the end of the run. */
  close(): void {
    if (this.timer) this.save()
    if (this.trees.size === 0) this.unlink()
  }
  private unlink(): void {
    if (this.fd === undefined && !this.made) return
    if (this.fd !== undefined)
      try {
        closeSync(this.fd)
      } catch {}
    this.fd = undefined
    this.written = 0
    try {
      unlinkSync(this.file)
    } catch {}
  }
  private save(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (this.failed) return
    try {
      if (this.fd === undefined) {
        if (this.trees.size === 0) return
        if (!this.made) mkdirSync(this.dir, { recursive: true })
        this.made = true
        this.fd = openSync(this.file, 'w', 0o644)
        this.written = 0
      }
      const text = JSON.stringify({
        pid: process.pid,
        start: OWN_START_TIME,
        trees: [...this.trees].map((t) => ({ pgid: t.pgid, start: t.start ?? null })),
      })
      const data = Buffer.from(text.length < this.written ? text + ' '.repeat(this.written - text.length) : text)
      writeSync(this.fd, data, 0, data.length, 0)
      this.written = data.length
    } catch {
      this.failed = true // a read-only `.tasks`: the trees are still killed on signals, only not recorded
    }
  }
}

/** Record the trees started under `signal` (a run's) in `table`. */
export function bindProcTable(signal: AbortSignal, table: ProcTable): void {
  tables.set(signal, table)
}

/** What {@link reapLeftoverTrees} found: the trees it killed and the ones it could only name. */
export interface LeftoverTrees {
  /** `pgid (owner pid)` of each group killed with SIGKILL. */
  killed: { pgid: number; owner: number }[]
  /** Groups that still run but could not be verified as ours (left alone). */
  named: { pgid: number; owner: number }[]
}

/**
 * Kill the process trees recorded by `tasks` processes that no longer run (a `kill -9` left them),
 * then delete their procs files. Files of live processes are left alone; malformed files are
 * deleted. A group is killed only when one of its processes carries the dead owner's marker.
 * @param dir the procs folder, e.g. `<root>/.tasks/procs`
 */
export function reapLeftoverTrees(dir: string): LeftoverTrees {
  const result: LeftoverTrees = { killed: [], named: [] }
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return result
  }
  for (const name of names) {
    const m = /^(\d+)-(\w+)\.json$/.exec(name)
    if (!m) continue
    const owner = Number(m[1])
    if (isProcessAlive(owner, m[2])) continue
    const file = join(dir, name)
    let trees: { pgid: number }[] = []
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as { trees?: unknown }
      if (Array.isArray(v.trees))
        trees = v.trees.filter(
          (t): t is { pgid: number } => !!t && Number.isSafeInteger(t.pgid) && t.pgid > 1 && t.pgid <= 0x7fffffff,
        )
    } catch {}
    const marker = `${OWNER_ENV}=${owner}:${m[2]}`
    for (const { pgid } of trees) {
      if (!existsProc()) {
        try {
          process.kill(-pgid, 0)
          result.named.push({ pgid, owner })
        } catch {}
        continue
      }
      const members = groupMembers(pgid).filter((p) => p.state !== 'Z')
      if (members.length === 0) continue
      if (members.some((p) => processEnviron(p.pid)?.includes(marker))) {
        try {
          process.kill(-pgid, 'SIGKILL')
        } catch {}
        result.killed.push({ pgid, owner })
      } else result.named.push({ pgid, owner })
    }
    try {
      unlinkSync(file)
    } catch {}
  }
  return result
}
