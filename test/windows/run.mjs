// `npm run test:windows`: the engine's core scenarios (test/windows/scenarios.mjs) with Node for
// Windows under Wine. Prepares the cache (node.exe, Wine prefix, esbuild's win32 binary; see
// wine.mjs), builds nothing (run `npm run build` first), then prints the closing line
// `windows: N passed, N failed`. Without wine64 it skips loudly (exit 0) unless
// TASKS_WINDOWS_REQUIRED=1, where a missing Wine is a failure.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from '../rig.mjs'
import { ensureWindows, startWineserver } from './wine.mjs'

const started = Date.now()
if (!existsSync(join(REPO, 'dist', 'bin', 'tasks.js'))) {
  console.error('test:windows: dist/ is missing: run `npm run build` first')
  process.exit(1)
}
let win
try {
  win = ensureWindows({ log: (m) => console.log(`test:windows: ${m}`) })
} catch (err) {
  console.error(`test:windows: could not prepare Wine: ${err.message}`)
  process.exit(1)
}
if ('skip' in win) {
  console.log(`\ntest:windows: SKIPPED, ${win.skip}: nothing of the Windows code paths was tested`)
  process.exit(process.env.TASKS_WINDOWS_REQUIRED === '1' ? 1 : 0)
}
if (win.esbuildSkip) console.log(`test:windows: the .ts config scenario is SKIPPED: ${win.esbuildSkip}`)
console.log(`test:windows: ready after ${((Date.now() - started) / 1000).toFixed(1)} s (${win.nodeExe})`)
const stop = startWineserver()
const r = spawnSync(process.execPath, [join(REPO, 'test', 'windows', 'scenarios.mjs')], {
  cwd: REPO,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, ...(process.argv[2] ? { TASKS_WIN_ONLY: process.argv[2] } : {}), TASKS_WIN_WINE: win.wine, TASKS_WIN_NODE: win.nodeExe, TASKS_WIN_ESBUILD: win.esbuildExe, TASKS_WIN_ESBUILD_SKIP: win.esbuildSkip ?? '' },
  timeout: 15 * 60_000,
})
stop()
process.stdout.write(r.stdout ?? '')
const total = +(/Total:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0)
const passed = +(/Passed:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0)
const skipped = +(/Skipped:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0)
const failed = total - passed + (r.status !== 0 && total === passed ? 1 : 0)
console.log(`\ntest:windows took ${((Date.now() - started) / 1000).toFixed(1)} s`)
console.log(`windows: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed ? 1 : 0)
