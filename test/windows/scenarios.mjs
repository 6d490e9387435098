// The engine's core scenarios with Node for Windows under Wine (process.platform === 'win32'):
// the CLI, the portable shell, cmd.exe, taskkill, drive letters and backslashes for real. Run by
// test/windows/run.mjs (`npm run test:windows`), which prepares Wine and passes the paths in
// TASKS_WIN_* variables. No Git for Windows here: input files are found by walking.
import { test as uvuTest } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fixture, runCli, REPO } from '../rig.mjs'
import { runWindowsNode, startWindowsNode, winPath } from './wine.mjs'

/** `npm run test:windows -- <regex>` runs only the scenarios whose name matches. */
const only = process.env.TASKS_WIN_ONLY ? new RegExp(process.env.TASKS_WIN_ONLY) : null
const test = Object.assign((name, fn) => (only && !only.test(name) ? uvuTest.skip(name, fn) : uvuTest(name, fn)), { run: () => uvuTest.run() })
const win = { wine: process.env.TASKS_WIN_WINE, nodeExe: process.env.TASKS_WIN_NODE, esbuildExe: process.env.TASKS_WIN_ESBUILD }
const CLI = winPath(join(REPO, 'dist', 'bin', 'tasks.js'))

/**
 * A fixture whose config imports `typed-tasks` by name (node_modules/typed-tasks links to this
 * repository), so the same file loads on Linux and on Windows.
 */
function project(tasksSource, files = {}, { ts = false, extra = '' } = {}) {
  const name = ts ? 'tasks.config.ts' : 'tasks.config.mjs'
  const fx = fixture({ ...files, [name]: `import { defineConfig } from 'typed-tasks'\n${extra}\nexport default defineConfig({\n  tasks: ${tasksSource},\n})\n` })
  mkdirSync(fx.path('node_modules'), { recursive: true })
  symlinkSync(REPO, fx.path('node_modules/typed-tasks'), 'dir')
  return fx
}

/** Run the CLI under Wine with `--json`; parse stdout. */
async function winTasks(dir, args = [], opts = {}) {
  const sep = args.indexOf('--')
  const withJson = sep === -1 ? [...args, '--json'] : [...args.slice(0, sep), '--json', ...args.slice(sep)]
  const r = await runWindowsNode(win, dir, [CLI, ...withJson], opts)
  let json
  try {
    json = JSON.parse(r.stdout)
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`)
  }
  return { ...r, json, status: Object.fromEntries((json.tasks ?? []).map((t) => [t.name, t.status])), task: (n) => json.tasks.find((t) => t.name === n) }
}

const dump = (r) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
const lines = (fx, p) => (fx.exists(p) ? fx.read(p).split('\n').filter(Boolean) : [])

// Two chains written with the portable shell's commands only: gen -> build, and other.
const CHAINS = `{
  gen: { run: 'mkdir -p out && cat src/*.txt > out/all.txt && echo gen >> runs.log', inputs: ['src/**'], outputs: ['out/all.txt'] },
  build: { run: 'cp out/all.txt out/copy.txt && test -f out/copy.txt && echo "built ok" && echo build >> runs.log', deps: ['gen'], inputs: ['out/all.txt'], outputs: ['out/copy.txt'] },
  other: { run: 'mkdir -p o2/deep && cp -r other o2/deep && echo other >> runs.log', inputs: ['other/**'], outputs: ['o2/**'] },
  all: { deps: ['build', 'other'] },
}`
const CHAIN_FILES = { 'src/a.txt': 'alpha\n', 'src/b.txt': 'beta\n', 'other/x.txt': 'x\n' }

test('a portable-shell chain runs on Windows, writes its outputs, and is up to date on the second run', async () => {
  const fx = project(CHAINS, CHAIN_FILES)
  const r1 = await winTasks(fx.dir, ['all'])
  assert.is(r1.code, 0, dump(r1))
  assert.equal(r1.status, { gen: 'ran', build: 'ran', other: 'ran', all: 'ran' }, dump(r1))
  assert.is(fx.read('out/all.txt'), 'alpha\nbeta\n')
  assert.is(fx.read('out/copy.txt'), 'alpha\nbeta\n')
  assert.is(fx.read('o2/deep/other/x.txt'), 'x\n')
  assert.equal(lines(fx, 'runs.log').sort(), ['build', 'gen', 'other'])
  const r2 = await winTasks(fx.dir, ['all'])
  assert.is(r2.code, 0, dump(r2))
  assert.is(r2.json.summary.ran, 0, dump(r2))
  assert.equal(r2.status, { gen: 'up-to-date', build: 'up-to-date', other: 'up-to-date', all: 'up-to-date' }, dump(r2))
  fx.cleanup()
})

test('one changed input reruns only its chain; deleted outputs are restored from the cache', async () => {
  const fx = project(CHAINS, CHAIN_FILES)
  assert.is((await winTasks(fx.dir, ['all'])).code, 0)
  fx.write('src/a.txt', 'ALPHA\n')
  const r = await winTasks(fx.dir, ['all'])
  assert.is(r.code, 0, dump(r))
  assert.equal(r.status, { gen: 'ran', build: 'ran', other: 'up-to-date', all: 'ran' }, dump(r))
  assert.is(fx.read('out/copy.txt'), 'ALPHA\nbeta\n')
  // Back to the first content: a cache hit for gen and build, restored files.
  fx.write('src/a.txt', 'alpha\n')
  rmSync(fx.path('out'), { recursive: true })
  const before = lines(fx, 'runs.log').length
  const r2 = await winTasks(fx.dir, ['all'])
  assert.is(r2.code, 0, dump(r2))
  assert.is(r2.status.gen, 'cache-hit', dump(r2))
  assert.is(r2.status.build, 'cache-hit', dump(r2))
  assert.is(fx.read('out/copy.txt'), 'alpha\nbeta\n')
  assert.is(lines(fx, 'runs.log').length, before, 'nothing ran')
  fx.cleanup()
})

test('a failing task: exit code, its output captured in the log, dependents skipped; --continue runs independent tasks', async () => {
  const fx = project(`{
    bad: { run: 'echo BAD-OUT && echo BAD-ERR >&2 && exit 3', inputs: [] },
    after: { run: 'echo after >> runs.log', deps: ['bad'], inputs: [] },
    indep: { run: 'echo indep >> runs.log', inputs: [] },
    all: { deps: ['bad', 'after', 'indep'] },
  }`)
  const r = await winTasks(fx.dir, ['all', '--concurrency', '1'])
  assert.is(r.code, 1, dump(r))
  assert.is(r.status.bad, 'failed')
  assert.is(r.task('bad').exitCode, 3)
  assert.is(r.status.after, 'skipped')
  assert.ok(/BAD-OUT/.test(r.stderr) && /BAD-ERR/.test(r.stderr), `the failed task's log is shown\n${dump(r)}`)
  const c = await winTasks(fx.dir, ['all', '--concurrency', '1', '--continue'])
  assert.is(c.code, 1, dump(c))
  assert.is(c.status.bad, 'failed')
  assert.is(c.status.after, 'skipped')
  assert.ok(['ran', 'up-to-date'].includes(c.status.indep), dump(c))
  assert.ok(lines(fx, 'runs.log').includes('indep'), 'the independent task ran')
  assert.not.ok(lines(fx, 'runs.log').includes('after'))
  fx.cleanup()
})

test('an unsupported construct fails the task before it runs, naming the task and the construct', async () => {
  const fx = project(`{ bad: { run: 'echo ran >> runs.log; if true; then echo x; fi', inputs: [] } }`)
  const r = await winTasks(fx.dir, ['bad'])
  assert.is(r.code, 1, dump(r))
  assert.match(r.task('bad').error, /task `bad`.*`if` keyword/)
  assert.not.ok(fx.exists('runs.log'), 'nothing of the task ran')
  fx.cleanup()
})

test("shell: 'cmd' runs under cmd.exe; args after -- are quoted for it", async () => {
  const fx = project(`{ hello: { shell: 'cmd', run: 'echo hello from %OS%> hello.txt && node -e "console.log(JSON.stringify(process.argv.slice(1)))"', inputs: [] } }`)
  const r = await winTasks(fx.dir, ['hello', '--', 'a b', 'c"d', '50%', 'x&y'])
  assert.is(r.code, 0, dump(r))
  assert.match(fx.read('hello.txt'), /hello from Windows_NT/)
  const printed = /^\[\w+\] (\[.*\])\r?$/m.exec(r.stderr)?.[1]
  assert.ok(printed, dump(r))
  assert.equal(JSON.parse(printed), ['a b', 'c"d', '50%', 'x&y'])
  fx.cleanup()
})

test('args after -- reach the program unchanged through the portable shell', async () => {
  const fx = project(`{ args: { run: 'node -e "console.log(JSON.stringify(process.argv.slice(1)))"', inputs: [] } }`)
  const r = await winTasks(fx.dir, ['args', '--', 'a b', "it's", '$HOME', '*.txt', 'x&y'])
  assert.is(r.code, 0, dump(r))
  const printed = /^\[\w+\] (\[.*\])\r?$/m.exec(r.stderr)?.[1]
  assert.ok(printed, dump(r))
  assert.equal(JSON.parse(printed), ['a b', "it's", '$HOME', '*.txt', 'x&y'])
  fx.cleanup()
})

test('an aborted run kills the process tree the portable shell spawned and stores nothing', async () => {
  const fx = project(`{ slow: { run: 'node parent.cjs && echo after >> runs.log', inputs: ['parent.cjs'], outputs: ['out.txt'] } }`, {
    'parent.cjs': `const { spawn } = require('child_process'); const fs = require('fs')
const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', detached: true }) // outside libuv's kill-on-close job
fs.writeFileSync('out.txt', 'partial'); fs.writeFileSync('pids.json', JSON.stringify([process.pid, c.pid]))
setInterval(() => {}, 1000)\n`,
    'abort.mjs': `import { loadConfig, run } from 'typed-tasks'
import { existsSync, readFileSync } from 'node:fs'
const config = await loadConfig({ cwd: process.cwd() })
const ac = new AbortController()
const t = setInterval(() => { if (existsSync('pids.json')) { clearInterval(t); ac.abort() } }, 50)
const result = await run({ config, tasks: ['slow'], signal: ac.signal })
await new Promise((r) => setTimeout(r, 1500))
const pids = JSON.parse(readFileSync('pids.json', 'utf8'))
const alive = pids.filter((p) => { try { process.kill(p, 0); return true } catch { return false } })
console.log(JSON.stringify({ interrupted: result.interrupted, status: result.tasks[0].status, alive, pids }))\n`,
  })
  const r = await runWindowsNode(win, fx.dir, ['abort.mjs'], { timeoutMs: 90_000 })
  assert.is(r.code, 0, dump(r))
  const out = JSON.parse(r.stdout.trim().split('\n').pop())
  assert.is(out.interrupted, true, dump(r))
  assert.not.equal(out.status, 'ran', dump(r))
  assert.equal(out.alive, [], `every process of the tree is gone: ${dump(r)}`)
  assert.not.ok(fx.exists('runs.log'), 'nothing ran after the abort')
  const ac = fx.path('.tasks/ac')
  assert.ok(!existsSync(ac) || readdirSync(ac).length === 0, 'no cache entry was stored')
  // Nothing recorded as up to date: the next run runs the task again.
  const again = await winTasks(fx.dir, ['slow', '--dry-run'])
  assert.is(again.status.slow, 'ran', dump(again))
  fx.cleanup()
})

test('Ctrl-C (SIGINT through Wine) stops the CLI with exit code 130 and kills the tree', async () => {
  const fx = project(`{ slow: { run: 'node parent.cjs && echo after >> runs.log', inputs: ['parent.cjs'], outputs: ['out.txt'] } }`, {
    'parent.cjs': `const { spawn } = require('child_process'); const fs = require('fs')
const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', detached: true }) // outside libuv's kill-on-close job
fs.writeFileSync('out.txt', 'partial'); fs.writeFileSync('pids.json', JSON.stringify([process.pid, c.pid]))
setInterval(() => {}, 1000)\n`,
    'alive.cjs': `const pids = JSON.parse(require('fs').readFileSync('pids.json', 'utf8'))
console.log(JSON.stringify(pids.filter((p) => { try { process.kill(p, 0); return true } catch { return false } })))\n`,
  })
  const { child, done } = startWindowsNode(win, fx.dir, [CLI, 'slow', '--json'], { timeoutMs: 90_000 })
  const end = Date.now() + 60_000
  while (!fx.exists('pids.json') && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
  assert.ok(fx.exists('pids.json'), 'the task started its tree')
  child.kill('SIGINT')
  const r = await done
  assert.is(r.code, 130, dump(r))
  assert.is(JSON.parse(r.stdout).interrupted, true, dump(r))
  const alive = await runWindowsNode(win, fx.dir, ['alive.cjs'])
  assert.equal(JSON.parse(alive.stdout.trim()), [], `every process of the tree is gone: ${dump(alive)}`)
  assert.not.ok(fx.exists('runs.log'))
  const ac = fx.path('.tasks/ac')
  assert.ok(!existsSync(ac) || readdirSync(ac).length === 0, 'no cache entry was stored')
  fx.cleanup()
})

test('--explain names the changed input file with a POSIX path', async () => {
  const fx = project(CHAINS, CHAIN_FILES)
  assert.is((await winTasks(fx.dir, ['all'])).code, 0)
  fx.write('src/b.txt', 'BETA\n')
  const r = await runWindowsNode(win, fx.dir, [CLI, '--explain', 'gen', '--json'])
  assert.is(r.code, 0, dump(r))
  const e = JSON.parse(r.stdout)
  assert.is(e.upToDate, false)
  assert.equal(e.changes.map((c) => c.what), ['src/b.txt'], dump(r))
  fx.cleanup()
})

test('cache keys are the same on Linux and Windows: a project run on Linux is up to date under Wine', async () => {
  const fx = project(CHAINS, CHAIN_FILES)
  const linux = await runCli(fx.dir, ['all', '--json', '--no-git'], { timeoutMs: 60_000 })
  assert.is(linux.code, 0, dump(linux))
  const lj = JSON.parse(linux.stdout)
  const w = await winTasks(fx.dir, ['all'])
  assert.is(w.code, 0, dump(w))
  assert.is(w.json.summary.ran, 0, `nothing runs on the Windows side\n${dump(w)}`)
  assert.equal(w.status, { gen: 'up-to-date', build: 'up-to-date', other: 'up-to-date', all: 'up-to-date' }, dump(w))
  for (const t of lj.tasks) if (t.fingerprint) assert.is(w.task(t.name).fingerprint, t.fingerprint, `fingerprint of ${t.name}`)
  // The cache written on Linux restores on Windows: outputs deleted, entries made by the Linux run.
  rmSync(fx.path('out'), { recursive: true })
  rmSync(fx.path('o2'), { recursive: true })
  const hit = await winTasks(fx.dir, ['all'])
  assert.is(hit.code, 0, dump(hit))
  assert.equal(hit.status, { gen: 'cache-hit', build: 'cache-hit', other: 'cache-hit', all: 'up-to-date' }, dump(hit))
  assert.is(fx.read('out/copy.txt'), 'alpha\nbeta\n')
  assert.is(fx.read('o2/deep/other/x.txt'), 'x\n')
  assert.equal(lines(fx, 'runs.log').sort(), ['build', 'gen', 'other'], 'only the Linux run ran commands')
  // And from the other side: a fresh project run under Wine first, then on Linux.
  const fx2 = project(CHAINS, CHAIN_FILES)
  assert.is((await winTasks(fx2.dir, ['all'])).code, 0)
  const back = await runCli(fx2.dir, ['all', '--json', '--no-git'], { timeoutMs: 60_000 })
  assert.is(JSON.parse(back.stdout).summary.ran, 0, dump(back))
  fx.cleanup()
  fx2.cleanup()
})

const tsTest = process.env.TASKS_WIN_ESBUILD_SKIP ? uvuTest.skip : test

tsTest("this repository's own tasks.config.ts: compiled and checked on Linux, then up to date under Wine", async () => {
  const linux = await runCli(REPO, ['compile', 'cycles', '--json'], { timeoutMs: 240_000 })
  assert.is(linux.code, 0, dump(linux))
  const r = await winTasks(REPO, ['compile', 'cycles', '--dry-run'], { timeoutMs: 120_000 })
  assert.is(r.code, 0, dump(r))
  assert.equal(r.status, { compile: 'up-to-date', cycles: 'up-to-date' }, dump(r))
  const lj = JSON.parse(linux.stdout)
  for (const t of lj.tasks) assert.is(r.task(t.name).fingerprint, t.fingerprint, `fingerprint of ${t.name}`)
})
tsTest('a .ts config (esbuild for win32) loads and runs', async () => {
  const fx = project(`{
    gen: { run: \`mkdir -p out && echo \${greeting} > out/g.txt\`, inputs: [], outputs: ['out/g.txt'] } satisfies TaskDefinition,
  }`, {}, { ts: true, extra: "import type { TaskDefinition } from 'typed-tasks'\nconst greeting: string = 'hello-ts'" })
  const r = await winTasks(fx.dir, ['gen'])
  assert.is(r.code, 0, dump(r))
  assert.is(r.status.gen, 'ran')
  assert.is(fx.read('out/g.txt').trim(), 'hello-ts')
  fx.cleanup()
})

test.run()
