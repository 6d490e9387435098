// The one test rig: real files in temp dirs (`fixture`, `project`), git (`git`, `gitCommitAll`),
// the built CLI run as a child process (`runCli`, `startCli`, `tasks`, `tasksJson`, `startWatch`),
// waiting helpers, and the skip helper for missing tools (`skipUnless`, `hasTool`). The specialised
// rigs (test/recipes/_rig.mjs, test/reliability/_rig.mjs) build on this one.
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname, resolve, relative } from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { test as uvuTest } from 'uvu'

/** Absolute path of the repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** Absolute path of the built CLI. */
export const CLI = join(REPO, 'dist', 'bin', 'tasks.js')
/** Absolute file URL of the built library entry, for configs written by tests. */
export const LIB_URL = new URL('../dist/lib/index.js', import.meta.url).href
/** Absolute file URL of the built recipes entry. */
export const RECIPES_URL = new URL('../dist/recipes/index.js', import.meta.url).href

/** Default timeout of one CLI run with {@link tasks} / {@link tasksJson} (a loaded 2-core machine is slow, never this slow). */
export const CLI_TIMEOUT = 45_000

// ---------------------------------------------------------------------------------------------
// Fixtures

/**
 * Create a fixture project in a fresh temp dir.
 * @param {Record<string, string>} files relative path -> content
 * @returns {{ dir: string, write(path: string, content: string): void, read(path: string): string, exists(path: string): boolean, path(p: string): string, cleanup(): void }}
 */
export function fixture(files = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-test-'))
  const api = {
    dir,
    path: (p) => join(dir, p),
    write(p, content) {
      mkdirSync(dirname(join(dir, p)), { recursive: true })
      writeFileSync(join(dir, p), content)
    },
    read: (p) => readFileSync(join(dir, p), 'utf8'),
    exists: (p) => existsSync(join(dir, p)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
  for (const [p, c] of Object.entries(files)) api.write(p, c)
  // TASKS_TEST_GIT=1 (test/run.mjs's second pass over the engine tests): the fixture starts as a
  // committed git repository, so inputs come from git's snapshot (clean, modified, untracked files).
  if (process.env.TASKS_TEST_GIT === '1') gitCommitAll(dir, 'fixture')
  return api
}

/**
 * A fixture project whose `tasks.config.mjs` (or `.ts` with `{ ts: true }`) exports
 * `defineConfig({ tasks: <tasksSource> })`. `tasksSource` is JavaScript object-literal text;
 * `extra` is source put before the export.
 */
export function project(tasksSource, files = {}, { ts = false, extra = '' } = {}) {
  const name = ts ? 'tasks.config.ts' : 'tasks.config.mjs'
  return fixture({
    ...files,
    [name]: `import { defineConfig } from '${LIB_URL}'\n${extra}\nexport default defineConfig({\n  tasks: ${tasksSource},\n})\n`,
  })
}

/**
 * Run `git <args>` in `dir` with a fixed identity and no signing.
 * @returns stdout
 * @throws with git's stderr when git exits non-zero
 */
export function git(dir, ...args) {
  const r = spawnSync(
    'git',
    [
      '-c',
      'user.name=tasks-test',
      '-c',
      'user.email=test@example.invalid',
      '-c',
      'init.defaultBranch=main',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd: dir, encoding: 'utf8' },
  )
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${dir}: ${r.stderr}`)
  return r.stdout
}

/** `git init` (if needed), `git add -A` and commit everything in `dir`; throws with git's output on failure. */
export function gitCommitAll(dir, message = 'commit') {
  if (!existsSync(join(dir, '.git'))) git(dir, 'init', '-q')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '--allow-empty', '-m', message)
}

// ---------------------------------------------------------------------------------------------
// The CLI

/**
 * Start the built CLI in `cwd` without waiting (signal and watch tests use `child` and `out()`).
 * @param {string} cwd
 * @param {string[]} args
 * @param {{ env?: Record<string,string>, timeoutMs?: number }} [opts] the child is SIGKILLed after
 *   `timeoutMs` (default 120 s)
 * @returns {{ child: import('node:child_process').ChildProcess, out(): string, done: Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string, out: string }> }}
 *   `out` is stdout + stderr (`out()`: so far, in arrival order).
 */
export function startCli(cwd, args, opts = {}) {
  const env = { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '', GITHUB_ACTIONS: '', ...opts.env }
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = '',
    stderr = '',
    both = ''
  child.stdout.on('data', (d) => ((stdout += d), (both += d)))
  child.stderr.on('data', (d) => ((stderr += d), (both += d)))
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
  const done = new Promise((res, rej) => {
    child.on('error', rej)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      res({ code, signal, stdout, stderr, out: stdout + stderr })
    })
  })
  return { child, done, out: () => both }
}

/** Run the built CLI in `cwd` and wait for it; same options and result as {@link startCli}'s `done`. */
export function runCli(cwd, args, opts = {}) {
  return startCli(cwd, args, opts).done
}

/** Run the CLI (plain output) with {@link CLI_TIMEOUT}. */
export function tasks(dir, args = [], opts = {}) {
  return runCli(dir, args, { timeoutMs: CLI_TIMEOUT, ...opts })
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

/** A readable dump of a CLI result for assertion messages. */
export function dump(r) {
  return `exit ${r.code} signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
}

/**
 * Start `tasks <args>` (watch mode) in `cwd`, killed after 170 s. Besides {@link startCli}'s
 * `child`, `done` and `out()`: `iterations()` counts the finished `[watch] #N ...` lines, `line(n)`
 * is iteration n's line, `stop(graceMs = 10_000)` sends SIGINT (when still running) and waits; a
 * process still there after `graceMs` is SIGKILLed and the result has `hung: true`.
 */
export function startWatch(cwd, args, env = {}) {
  const s = startCli(cwd, args, { env: { FORCE_COLOR: undefined, ...env }, timeoutMs: 170_000 })
  return {
    ...s,
    iterations: () => (s.out().match(/^\[watch\] #\d+ /gm) ?? []).length,
    line: (n) => new RegExp(`^\\[watch\\] #${n} .*$`, 'm').exec(s.out())?.[0],
    async stop(graceMs = 10_000) {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return s.done
      s.child.kill('SIGINT')
      let timer
      const hung = await Promise.race([
        s.done.then(() => false),
        new Promise((r) => (timer = setTimeout(() => r(true), graceMs))),
      ])
      clearTimeout(timer)
      if (hung) s.child.kill('SIGKILL')
      return { ...(await s.done), hung }
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Waiting

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * Poll `predicate` every 25 ms until it is truthy and return its value.
 * @throws after `timeoutMs` naming `what` (and the output of `w`, a started CLI, when given)
 */
export async function waitFor(predicate, what, timeoutMs = 20_000, w) {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = predicate()
    if (v) return v
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${w ? `\n--- output:\n${w.out()}` : ''}`)
    await sleep(25)
  }
}

/** {@link waitFor} with a generous default bound (30 s: a loaded 2-core machine). */
export function eventually(predicate, what, timeoutMs = 30_000, w) {
  return waitFor(predicate, what, timeoutMs, w)
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

// ---------------------------------------------------------------------------------------------
// Looking at a project

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

// ---------------------------------------------------------------------------------------------
// Missing tools: skipped on a laptop, a failure in CI

/**
 * Why `cmd args` cannot be used (it failed to run or exited non-zero), or undefined when it runs
 * (e.g. `missingTool('go', ['version'])`).
 */
export function missingTool(cmd, args = ['--version'], what = cmd) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  return r.status === 0 ? undefined : `${what} is not available (${cmd} ${args.join(' ')} failed)`
}

/** True when `cmd args` runs. Never skips or throws: for optional extras, not for a test's requirement. */
export const hasTool = (cmd, args = ['--version']) => missingTool(cmd, args) === undefined

/**
 * The one path of a missing tool. Returns uvu's `test` when `cond` holds; else a stand-in that
 * registers each test as skipped (uvu's `Skipped:` count, summed by test/run.mjs into the closing
 * line) and prints `SKIP <name>: <reason>`. In CI (`CI=true`) a missing tool is a failure, not a
 * skip: this throws (the file fails).
 * @param {unknown} cond
 * @param {string} reason what is missing and how to get it
 * @param {typeof uvuTest} [test] the uvu test (or suite) to register with
 * @returns {typeof uvuTest}
 */
export function skipUnless(cond, reason, test = uvuTest) {
  if (cond) return test
  if (process.env.CI === 'true') throw new Error(`${reason}: CI must install it (see .ci/run)`)
  const skip = (name) => {
    console.log(`  SKIP ${name}: ${reason}`)
    test.skip(name)
  }
  const noop = () => {}
  noop.each = noop
  return Object.assign(skip, { skip, only: skip, before: noop, after: noop, run: () => test.run() })
}

/**
 * {@link skipUnless} for tools: uvu's `test` when every `[cmd, args, what]` runs, else the skipping
 * stand-in naming the missing ones. E.g. `needs(['make'], ['cc'])('builds with make', async () => ...)`.
 */
export function needs(...tools) {
  const missing = tools.map(([cmd, args, what]) => missingTool(cmd, args, what)).filter(Boolean)
  return skipUnless(missing.length === 0, missing.join('; '))
}

/**
 * True when `cmd args` runs. For a check inside a test that skips only a part of it (the test
 * itself still runs); a whole test that needs a tool uses {@link needs} / {@link skipUnless}. When
 * it does not: in CI this throws (the file fails); locally it
 * prints a visible skip message and returns false, and the caller registers its tests through
 * {@link skipUnless} with the same condition.
 */
export function requireTool(cmd, args = ['--version'], what = cmd) {
  const missing = missingTool(cmd, args, what)
  if (!missing) return true
  if (process.env.CI === 'true') throw new Error(`${missing}: CI must install it (see .ci/run)`)
  console.log(`  SKIP (part of a test): ${missing}`)
  return false
}
