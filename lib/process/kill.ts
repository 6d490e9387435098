/**
 * Killing a child's whole process tree, on every OS. POSIX: the child leads its own process group
 * (spawned `detached`), so one signal to the group reaches every grandchild. Windows has no process
 * groups a console program can signal: `taskkill /T /F` walks the tree; where `taskkill` lacks
 * `/T` (Wine's), the tree is read from `wmic` (parent ids) and every descendant is terminated.
 */
import { spawnSync, type ChildProcess } from 'node:child_process'

const isWindows = process.platform === 'win32'

/**
 * Kill a child's whole process tree: SIGTERM to its process group, then SIGKILL after `graceMs`
 * (and once more when the child closes, for anything of its group that outlived it). Windows:
 * `taskkill /pid <pid> /T /F` (immediate: Windows has no SIGTERM a console program can handle).
 * Never throws; a child that already exited is a no-op.
 * @param graceMs ms between SIGTERM and SIGKILL on POSIX
 */
export function killTree(child: ChildProcess, graceMs: number): void {
  if (child.pid === undefined) return
  if (isWindows) return killWindowsTree(child.pid)
  const pid = child.pid
  try {
    process.kill(-pid, 'SIGTERM')
  } catch {}
  const t = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {}
  }, graceMs)
  t.unref()
  child.once('close', () => {
    // The leader is gone; make sure nothing of its group outlives it.
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {}
    clearTimeout(t)
  })
}

/**
 * Windows: terminate `pid` and every process below it. `taskkill /T /F` first; when it fails (Wine's
 * taskkill knows only `/f`, `/im`, `/pid`), the descendants come from `wmic process get
 * ParentProcessId,ProcessId` and each is terminated (`process.kill`, TerminateProcess), deepest first.
 */
export function killWindowsTree(pid: number): void {
  const r = spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], {
    stdio: 'ignore',
    windowsHide: true,
    timeout: 10_000,
  })
  if (r.status === 0) return
  const victims = [...descendants(pid).reverse(), pid]
  for (const p of victims) {
    try {
      process.kill(p)
    } catch {}
  }
}

/**
 * Every descendant of `pid` (breadth first), from wmic's process table; [] when wmic is unavailable.
 * Bounded: Wine's wmic prints the table and then may never exit, so it is killed after 5 s and the
 * table it printed is used.
 */
function descendants(pid: number): number[] {
  const r = spawnSync('wmic', ['process', 'get', 'ParentProcessId,ProcessId'], { windowsHide: true, timeout: 5_000 })
  if (!r.stdout?.length) return []
  const buf = r.stdout as Buffer
  // wmic writes UTF-16LE (with a BOM) when its output is a pipe.
  const text = buf.length > 1 && (buf[0] === 0xff || buf[1] === 0) ? buf.toString('utf16le') : buf.toString('utf8')
  const children = new Map<number, number[]>()
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(line)
    if (!m) continue
    const [parent, child] = [Number(m[1]), Number(m[2])]
    if (parent === child) continue
    children.set(parent, [...(children.get(parent) ?? []), child])
  }
  const out: number[] = []
  const seen = new Set([pid])
  for (let queue = [pid]; queue.length;) {
    for (const c of children.get(queue.shift()!) ?? []) {
      if (seen.has(c)) continue
      seen.add(c)
      out.push(c)
      queue.push(c)
    }
  }
  return out
}
