// Runs every test/**/*.test.mjs with uvu, one child process per file (so a crash is contained), the
// engine tests a second time with git fixtures, then prints the closing line `N passed, N failed`
// (`, N skipped` when any).
//
//   node test/run.mjs [PATH-REGEX]     TEST_JOBS=N (default: os.availableParallelism())
//
// Files run in a pool of TEST_JOBS workers, the longest known first (wall times of earlier runs are
// kept in test/.artifacts/timings.json). Each file's output is printed as one block when it ends.
// A file whose first line is `// @serial` (it needs the machine to itself: timing-sensitive signal
// tests, a bench) runs alone, after the pool.
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { REPO } from './rig.mjs'

// The filter is matched against the path relative to the repo (`test/engine/cli.test.mjs`).
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null
const jobs = Math.max(1, Number(process.env.TEST_JOBS) || availableParallelism())
const TIMINGS = join(REPO, 'test', '.artifacts', 'timings.json')

const files = []
;(function walk(d) {
  for (const e of readdirSync(d)) {
    const p = join(d, e)
    if (statSync(p).isDirectory()) walk(p)
    else if (e.endsWith('.test.mjs') && (!filter || filter.test(relative(REPO, p)))) files.push(p)
  }
})(join(REPO, 'test'))
files.sort()

/** True when the file's first line is the `// @serial` marker. */
const isSerial = (f) => /^\/\/ @serial\b/.test(readFileSync(f, 'utf8').split('\n', 1)[0])

// The engine tests run twice: in plain temp folders (inputs found by walking), and with each
// fixture committed to git (TASKS_TEST_GIT=1: inputs from git's snapshot), which must agree.
const runs = [
  ...files.map((f) => ({ f, label: relative(REPO, f), env: process.env })),
  ...files
    .filter((f) => relative(REPO, f).startsWith(join('test', 'engine')) && !f.endsWith('git.test.mjs'))
    .map((f) => ({ f, label: `${relative(REPO, f)} (fixtures in git)`, env: { ...process.env, TASKS_TEST_GIT: '1' } })),
].map((r) => ({ ...r, serial: isSerial(r.f) }))

let known = {}
try {
  known = JSON.parse(readFileSync(TIMINGS, 'utf8'))
} catch {}
// Longest known first (an unknown file counts as long: better started early than last).
const expected = (r) => known[r.label] ?? 60
const pool = runs.filter((r) => !r.serial).sort((a, b) => expected(b) - expected(a))
const alone = runs.filter((r) => r.serial)

let passed = 0,
  failed = 0,
  skipped = 0
const crashed = []
const took = {}

/** Run one file in its own process; print its output as one block when it ends; count its results. */
function runOne({ f, label, env }) {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [f], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env })
    let stdout = '',
      stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code, signal) => {
      const s = (performance.now() - t0) / 1000
      took[label] = s
      process.stdout.write(`\n# ${label} (${s.toFixed(1)} s)\n${stdout}`)
      process.stderr.write(stderr)
      const total = +(/Total:\s+(\d+)/.exec(stdout)?.[1] ?? 0)
      const p = +(/Passed:\s+(\d+)/.exec(stdout)?.[1] ?? 0)
      passed += p
      skipped += +(/Skipped:\s+(\d+)/.exec(stdout)?.[1] ?? 0)
      // uvu's Total counts the tests that ran (passed + failed); skipped ones are counted apart.
      failed += total - p
      if ((code !== 0 || signal) && total - p === 0) {
        failed += 1
        crashed.push(label)
      }
      resolve()
    })
  })
}

const t0 = performance.now()
let next = 0
await Promise.all(
  Array.from({ length: Math.min(jobs, pool.length) }, async () => {
    while (next < pool.length) await runOne(pool[next++])
  }),
)
for (const r of alone) await runOne(r)
const wall = (performance.now() - t0) / 1000

try {
  mkdirSync(join(REPO, 'test', '.artifacts'), { recursive: true })
  writeFileSync(TIMINGS, JSON.stringify({ ...known, ...took }, null, 1) + '\n')
} catch {}

const slowest = Object.entries(took)
  .sort((a, b) => b[1] - a[1])
  .slice(0, 10)
console.log(`\nslowest files (${runs.length} runs, ${jobs} jobs, ${wall.toFixed(0)} s wall):`)
for (const [label, s] of slowest) console.log(`  ${s.toFixed(1).padStart(6)} s  ${label}`)
if (crashed.length) console.log(`\nfiles that exited non-zero without a failed test: ${crashed.join(', ')}`)
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed ? 1 : 0)
