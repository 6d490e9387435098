// Rig of the inner-loop tests: the CLI started in watch mode with its stderr collected live, waits
// on its per-iteration lines, and free ports asked from the OS.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { CLI } from '../helpers.mjs'
import { sleep } from '../engine/rig.mjs'

/** Start `tasks <args>` in `cwd`; `out()` is everything it printed so far (stdout + stderr). */
export function startWatch(cwd, args, env = {}) {
  const base = { ...process.env, CI: 'true', NO_COLOR: '1', GITHUB_ACTIONS: '', ...env }
  delete base.FORCE_COLOR
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: base, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout.on('data', (d) => (text += d))
  child.stderr.on('data', (d) => (text += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 170_000)
  const done = new Promise((res) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      res({ code, signal, out: text })
    }),
  )
  return {
    child,
    done,
    out: () => text,
    /** Number of finished iterations (`[watch] #N ...` lines). */
    iterations: () => (text.match(/^\[watch\] #\d+ /gm) ?? []).length,
    /** The line of iteration `n`. */
    line: (n) => new RegExp(`^\\[watch\\] #${n} .*$`, 'm').exec(text)?.[0],
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT')
      return done
    },
  }
}

/** Poll until `predicate()` is truthy (generous bound: a loaded 2-core machine). */
export async function eventually(predicate, what, timeoutMs = 30_000, w) {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = predicate()
    if (v) return v
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${w ? `\n--- output:\n${w.out()}` : ''}`)
    await sleep(25)
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}
