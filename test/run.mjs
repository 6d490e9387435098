// Runs every test/**/*.test.mjs with uvu (one process per file, so a crash is contained), the
// engine tests a second time with git fixtures, then prints the closing line `N passed, N failed`.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { REPO } from './helpers.mjs'

// The filter is matched against the path relative to the repo (`test/engine/cli.test.mjs`).
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null
const files = []
;(function walk(d) {
  for (const e of readdirSync(d)) {
    const p = join(d, e)
    if (statSync(p).isDirectory()) walk(p)
    else if (e.endsWith('.test.mjs') && (!filter || filter.test(relative(REPO, p)))) files.push(p)
  }
})(join(REPO, 'test'))
files.sort()

// The engine tests run twice: in plain temp folders (inputs found by walking), and with each
// fixture committed to git (TASKS_TEST_GIT=1: inputs from git's snapshot), which must agree.
const runs = [
  ...files.map((f) => ({ f, label: relative(REPO, f), env: process.env })),
  ...files
    .filter((f) => relative(REPO, f).startsWith(join('test', 'engine')) && !f.endsWith('git.test.mjs'))
    .map((f) => ({ f, label: `${relative(REPO, f)} (fixtures in git)`, env: { ...process.env, TASKS_TEST_GIT: '1' } })),
]

let passed = 0,
  failed = 0,
  skipped = 0,
  crashed = []
for (const { f, label: rel, env } of runs) {
  console.log(`\n# ${rel}`)
  const r = spawnSync(process.execPath, [f], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env })
  process.stdout.write(r.stdout)
  process.stderr.write(r.stderr)
  const total = +(/Total:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0)
  const p = +(/Passed:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0)
  const s = +(/Skipped:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0)
  passed += p
  skipped += s
  // uvu's Total counts the tests that ran (passed + failed); skipped ones are counted apart.
  failed += total - p
  if (r.status !== 0 && total - p === 0) {
    failed += 1
    crashed.push(rel)
  }
}
if (crashed.length) console.log(`\nfiles that exited non-zero without a failed test: ${crashed.join(', ')}`)
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed ? 1 : 0)
