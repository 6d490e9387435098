// Shared test rig: real files in temp dirs, the built CLI run as a child process.
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname, resolve } from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Absolute path of the repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** Absolute path of the built CLI. */
export const CLI = join(REPO, 'dist', 'bin', 'tasks.js')
/** Absolute file URL of the built library entry, for configs written by tests. */
export const LIB_URL = new URL('../dist/lib/index.js', import.meta.url).href
/** Absolute file URL of the built recipes entry. */
export const RECIPES_URL = new URL('../dist/recipes/index.js', import.meta.url).href

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

/** `git init` (if needed), `git add -A` and commit everything in `dir`; throws with git's output on failure. */
export function gitCommitAll(dir, message = 'commit') {
  const git = (...args) => {
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
      {
        cwd: dir,
        encoding: 'utf8',
      },
    )
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${dir}: ${r.stderr}`)
    return r.stdout
  }
  if (!existsSync(join(dir, '.git'))) git('init', '-q')
  git('add', '-A')
  git('commit', '-q', '--allow-empty', '-m', message)
}

/**
 * Start the built CLI in `cwd` without waiting (signal tests use `child`).
 * @param {string} cwd
 * @param {string[]} args
 * @param {{ env?: Record<string,string>, timeoutMs?: number }} [opts] the child is SIGKILLed after
 *   `timeoutMs` (default 120 s)
 * @returns {{ child: import('node:child_process').ChildProcess, done: Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string, out: string }> }}
 *   `out` is stdout + stderr.
 */
export function startCli(cwd, args, opts = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '', GITHUB_ACTIONS: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = '',
    stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
  const done = new Promise((res, rej) => {
    child.on('error', rej)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      res({ code, signal, stdout, stderr, out: stdout + stderr })
    })
  })
  return { child, done }
}

/** Run the built CLI in `cwd` and wait for it; same options and result as {@link startCli}'s `done`. */
export function runCli(cwd, args, opts = {}) {
  return startCli(cwd, args, opts).done
}

/**
 * True when `cmd` runs (e.g. `hasTool('go', ['version'])`). In CI (`CI=true`) a missing tool is a
 * test failure, not a skip: this throws. Locally it prints a visible skip message and returns false.
 */
export function requireTool(cmd, args = ['--version'], what = cmd) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  if (r.status === 0) return true
  const msg = `${what} is not available (${cmd} ${args.join(' ')} failed)`
  if (process.env.CI === 'true') throw new Error(`${msg}: CI must install it (see .ci/run)`)
  console.log(`  SKIP: ${msg}; install it to run these tests`)
  return false
}
