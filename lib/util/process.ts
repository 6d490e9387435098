/**
 * Facts about other processes that survive pid reuse: a pid plus its start time names one process
 * for the life of the machine (the same identity `ps` and systemd use). Linux reads `/proc`; other
 * systems only know whether a pid exists (start time `undefined`).
 */
import { readFileSync } from 'node:fs'

/**
 * The start time of process `pid`: field 22 of `/proc/<pid>/stat` (clock ticks since boot), as a
 * decimal string; undefined when the process does not exist or the system has no `/proc`.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // `comm` (field 2) may hold spaces and parentheses: fields after it start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[0] is field 3 (state); field 22 (starttime) is fields[19]
    return /^\d+$/.test(fields[19] ?? '') ? fields[19] : undefined
  } catch {
    return undefined
  }
}

/** The process group id and state letter of `pid` from `/proc/<pid>/stat`, or undefined. */
export function processGroupOf(pid: number): { pgid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const pgid = Number(fields[2])
    return Number.isInteger(pgid) ? { pgid, state: fields[0]! } : undefined // split() gives one field at least
  } catch {
    return undefined
  }
}

/** This process's start time ({@link processStartTime} of `process.pid`), or a fixed string where there is no `/proc`. */
export const OWN_START_TIME: string = processStartTime(process.pid) ?? 'unknown'

/**
 * Whether the process that was `pid` started at `startTime` still runs. A live pid with another
 * start time is a reused pid: the owner is dead. Without `/proc` (start time unknown on either
 * side) a live pid counts as the owner. A zombie counts as dead.
 */
export function isProcessAlive(pid: number, startTime: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const info = processGroupOf(pid)
  if (info?.state === 'Z') return false
  const now = processStartTime(pid)
  if (now === undefined || startTime === undefined || startTime === 'unknown') return true
  return now === startTime
}

/** The `NAME=value` pairs of `/proc/<pid>/environ`, or undefined (gone, not ours, no `/proc`). */
export function processEnviron(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
  } catch {
    return undefined
  }
}
