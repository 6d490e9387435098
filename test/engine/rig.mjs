// Test rig of the end-to-end engine tests: a fixture project with a config, the built CLI run with
// `--json`, and small waiting helpers. Builds on test/helpers.mjs (fixture, runCli, LIB_URL).
import { existsSync, readdirSync, statSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fixture, runCli, startCli as startHelperCli, CLI, LIB_URL, REPO } from '../helpers.mjs'

export { fixture, runCli, CLI, LIB_URL, REPO }

/** Default timeout of one CLI run in these tests (a loaded 2-core machine is slow, never this slow). */
export const CLI_TIMEOUT = 45_000

/**
 * A fixture project whose `tasks.config.mjs` (or `.ts` with `{ ts: true }`) exports
 * `defineConfig({ tasks: <tasksSource> })`. `tasksSource` is JavaScript object-literal text.
 */
export function project(tasksSource, files = {}, { ts = false, extra = '' } = {}) {
  const name = ts ? 'tasks.config.ts' : 'tasks.config.mjs'
  return fixture({
    ...files,
    [name]: `import { defineConfig } from '${LIB_URL}'\n${extra}\nexport default defineConfig({\n  tasks: ${tasksSource},\n})\n`,
  })
}

/**
 * Run the CLI with `--json` and parse stdout. Throws (with the whole output) when stdout is not
 * JSON, so a test failure shows what the CLI printed.
 * @returns {Promise<{ code: number|null, signal: string|null, stdout: string, stderr: string, json: any, status: Record<string,string>, task(name: string): any }>}
 */
export async function tasksJson(dir, args = [], opts = {}) {
  const sep = args.indexOf('--')
  const withJson = sep === -1 ? [...args, '--json'] : [...args.slice(0, sep), '--json', ...args.slice(sep)]
  const r = await runCli(dir, withJson, { timeoutMs: CLI_TIMEOUT, ...opts })
  let json
  try {
    json = JSON.parse(r.stdout)
  } catch (err) {
    throw new Error(
      `stdout is not JSON (exit ${r.code}, signal ${r.signal}):\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    )
  }
  const status = Object.fromEntries(json.tasks.map((t) => [t.name, t.status]))
  return { ...r, json, status, task: (n) => json.tasks.find((t) => t.name === n) }
}

/** Run the CLI (plain output) with the rig's timeout. */
export function tasks(dir, args = [], opts = {}) {
  return runCli(dir, args, { timeoutMs: CLI_TIMEOUT, ...opts })
}

/** A readable dump of a CLI result for assertion messages. */
export function dump(r) {
  return `exit ${r.code} signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
}

/** Start the CLI without waiting (for signal tests), with this rig's default timeout. */
export function startCli(cwd, args, opts = {}) {
  return startHelperCli(cwd, args, { timeoutMs: CLI_TIMEOUT, ...opts })
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Poll `predicate` every 25 ms until it is truthy; throws after `timeoutMs` with `what`. */
export async function waitFor(predicate, what, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = predicate()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(25)
  }
}

/** True when a process with this pid exists (signal 0) and is not a zombie (Linux: /proc/<pid>/stat). */
export function alive(pid) {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return true
  }
}

/** Every file under `dir` (recursively) as `relative path -> "size mtimeNs"`, for "nothing was written" checks. */
export function snapshot(dir) {
  const out = {}
  if (!existsSync(dir)) return out
  ;(function walk(d) {
    for (const e of readdirSync(d)) {
      const p = join(d, e)
      const st = statSync(p, { bigint: true })
      if (st.isDirectory()) {
        out[relative(dir, p) + '/'] = `dir ${st.mtimeNs}`
        walk(p)
      } else out[relative(dir, p)] = `${st.size} ${st.mtimeNs}`
    }
  })(dir)
  return out
}

/** Files directly in `.tasks/ac/` of a project (the committed cache entries). */
export function acEntries(dir) {
  const ac = join(dir, '.tasks', 'ac')
  return existsSync(ac)
    ? readdirSync(ac)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(ac, f))
    : []
}

/** Number of lines in a counter file (each run of a command appends one line); 0 when missing. */
export function count(path) {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0
}
