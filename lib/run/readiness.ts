/**
 * Readiness probes of a service task (`service: { readyWhen }`): a line of its output matches a
 * regular expression, a URL answers, a TCP port accepts a connection, a command exits 0. Every
 * condition given must hold; each is polled about every {@link POLL_MS} until it does (the same
 * kinds as Nx's `readyWhen` for continuous tasks, and wireit's `lineMatches`).
 */
import { connect } from 'node:net'
import { execCommand } from '../shell/exec.js'
import type { ServiceReadyWhen, TaskShell } from '../model/config.js'

/** Interval between two probes of a URL, port or command, ms. */
export const POLL_MS = 100

/** What the probes need besides the conditions. */
export interface ProbeContext {
  /** The service's cwd (absolute) and environment, for a `command` probe. */
  cwd: string
  env: NodeJS.ProcessEnv
  shell: TaskShell
  /** Aborted when the service stops or times out: every probe ends. */
  signal: AbortSignal
  /**
   * Subscribe to the service's output lines (complete lines, without the newline); returns an
   * unsubscribe function. Lines already printed are replayed first, so no line is missed.
   */
  onLine(listener: (line: string) => void): () => void
}

/** `port 5432, url http://...`: what `readyWhen` waits for, in words (for `task:ready` and messages). */
export function describeReadyWhen(r: ServiceReadyWhen): string {
  const parts: string[] = []
  if (r.lineMatches !== undefined) parts.push(`a line matching /${r.lineMatches}/`)
  if (r.url !== undefined) parts.push(`url ${r.url}`)
  if (r.port !== undefined) parts.push(`port ${r.port}`)
  if (r.command !== undefined) parts.push(`command \`${r.command}\``)
  return parts.join(', ') || 'started'
}

/**
 * Resolve once every condition of `readyWhen` holds (at once when there is none).
 * Never rejects: resolves `false` when `ctx.signal` is aborted first.
 */
export async function waitReady(readyWhen: ServiceReadyWhen, ctx: ProbeContext): Promise<boolean> {
  const probes: Promise<boolean>[] = []
  if (readyWhen.lineMatches !== undefined) probes.push(lineProbe(new RegExp(readyWhen.lineMatches), ctx))
  if (readyWhen.url !== undefined) probes.push(poll(() => urlAnswers(readyWhen.url!, ctx.signal), ctx.signal))
  if (readyWhen.port !== undefined) probes.push(poll(() => portOpen(readyWhen.port!, ctx.signal), ctx.signal))
  if (readyWhen.command !== undefined) probes.push(poll(() => commandSucceeds(readyWhen.command!, ctx), ctx.signal))
  const results = await Promise.all(probes)
  return results.every(Boolean) && !ctx.signal.aborted
}

function lineProbe(re: RegExp, ctx: ProbeContext): Promise<boolean> {
  return new Promise((resolve) => {
    if (ctx.signal.aborted) return resolve(false)
    let off: () => void = () => {}
    let done = false
    const end = (v: boolean) => {
      if (done) return
      done = true
      off()
      ctx.signal.removeEventListener('abort', onAbort)
      resolve(v)
    }
    const onAbort = () => end(false)
    ctx.signal.addEventListener('abort', onAbort, { once: true })
    off = ctx.onLine((line) => {
      if (re.test(line)) end(true)
    })
    if (done) off()
  })
}

/** Call `probe` every {@link POLL_MS} until it returns true (resolves true) or `signal` aborts (false). */
async function poll(probe: () => Promise<boolean>, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    if (await probe().catch(() => false)) return !signal.aborted
    await new Promise<void>((r) => {
      const t = setTimeout(done, POLL_MS)
      function done() {
        clearTimeout(t)
        signal.removeEventListener('abort', done)
        r()
      }
      signal.addEventListener('abort', done, { once: true })
    })
  }
  return false
}

/** True when a GET of `url` gets any HTTP answer with a status below 500 within 2 s. */
async function urlAnswers(url: string, signal: AbortSignal): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]), redirect: 'manual' })
  await res.body?.cancel().catch(() => {})
  return res.status < 500
}

/** True when a TCP connection to `port` on 127.0.0.1 (then ::1) succeeds within 1 s. */
async function portOpen(port: number, signal: AbortSignal): Promise<boolean> {
  for (const host of ['127.0.0.1', '::1']) {
    if (signal.aborted) return false
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port })
      const done = (v: boolean) => {
        clearTimeout(t)
        socket.destroy()
        resolve(v)
      }
      const t = setTimeout(() => done(false), 1000)
      socket.once('connect', () => done(true))
      socket.once('error', () => done(false))
    })
    if (ok) return true
  }
  return false
}

/** True when `command` exits 0 (its output is discarded). */
async function commandSucceeds(command: string, ctx: ProbeContext): Promise<boolean> {
  try {
    await execCommand(command, {
      cwd: ctx.cwd,
      env: ctx.env,
      signal: ctx.signal,
      shell: ctx.shell,
      onOutput: () => {},
      killGraceMs: 200,
    })
    return true
  } catch {
    return false
  }
}
