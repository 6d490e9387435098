/**
 * CPU time of a run: this process (`process.cpuUsage()`) plus its finished children. Node has no
 * API for the children's rusage (`getrusage(RUSAGE_CHILDREN)`), so on Linux it is read from
 * `/proc/self/stat` (`cutime` + `cstime`, the CPU of waited-for children and their waited-for
 * descendants, in clock ticks of 1/100 s, see proc(5)). Elsewhere children are not counted and
 * the sample says so.
 */
import { readFileSync } from 'node:fs'

/** One reading, ms since the process started. */
export interface CpuSample {
  /** User + system CPU of this process, ms. */
  selfMs: number
  /** User + system CPU of finished children, ms; undefined where it cannot be read. */
  childrenMs?: number
}

/** Clock ticks per second of `/proc/<pid>/stat` times (`sysconf(_SC_CLK_TCK)`, 100 on Linux). */
const CLK_TCK = 100

/** Read the CPU time used so far. Never throws. */
export function sampleCpu(): CpuSample {
  const u = process.cpuUsage()
  const sample: CpuSample = { selfMs: (u.user + u.system) / 1000 }
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync('/proc/self/stat', 'utf8')
      // Fields after the `(comm)`, which may contain spaces: state is field 3, cutime 16, cstime 17.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const cutime = Number(f[13]),
        cstime = Number(f[14])
      if (Number.isFinite(cutime) && Number.isFinite(cstime)) sample.childrenMs = ((cutime + cstime) * 1000) / CLK_TCK
    } catch {}
  }
  return sample
}

/** CPU time between two samples. */
export interface CpuTime {
  /** This process, ms. */
  selfMs: number
  /** Finished children (the tasks' commands), ms, when known. */
  childrenMs?: number
  /** selfMs + childrenMs, ms (selfMs alone when children are unknown). */
  totalMs: number
  /** Set when children could not be measured: says why. */
  note?: string
}

/** The CPU used between `a` and `b`. */
export function cpuBetween(a: CpuSample, b: CpuSample): CpuTime {
  const selfMs = Math.max(0, b.selfMs - a.selfMs)
  if (a.childrenMs === undefined || b.childrenMs === undefined) {
    return {
      selfMs,
      totalMs: selfMs,
      note: `children's CPU time is not available on ${process.platform} (only this process is counted)`,
    }
  }
  const childrenMs = Math.max(0, b.childrenMs - a.childrenMs)
  return { selfMs, childrenMs, totalMs: selfMs + childrenMs }
}
