#!/usr/bin/env node
/**
 * How fast the HTML run report opens: a synthetic run of N tasks (default 1,000; engine-v2
 * events, one failure, local and remote hits) rendered by the library, then opened `--runs` times
 * in headless Chromium (Debian's /usr/bin/chromium through playwright-core, JavaScript off).
 *
 *   node bench/report-render.mjs [--tasks 1000] [--runs 5]
 *
 * Prints the page size, the time to build the model and render the HTML (Node), and per load the
 * navigation duration (performance.getEntriesByType('navigation')), the time to the first
 * screenshot (load + paint) and the renderer main thread's busy time (CDP Performance metrics
 * TaskDuration: CPU spent, less sensitive to a loaded machine). Target: < 2 s and < 2 MB at 1,000.
 */
import { statSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { syntheticRun } from '../test/report/_synthetic.mjs'
import { launch, artifact } from '../test/report/_browser.mjs'

const { values } = parseArgs({
  options: { tasks: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' } },
})
const n = Number(values.tasks),
  runs = Number(values.runs)
const { createRunCollector } = await import('../dist/lib/report/model.js')
const { renderHtml } = await import('../dist/lib/report/html.js')

const { deps, events } = syntheticRun({ n, failAt: [Math.floor(n * 0.4)], remoteEvery: 7 })
const t0 = performance.now()
const c = createRunCollector({ root: '/tmp/project', deps, command: 'tasks build' })
for (const e of events) c.onEvent(e)
const html = renderHtml(c.model())
const renderMs = performance.now() - t0
const file = artifact(`bench-report-${n}.html`)
writeFileSync(file, html)
const bytes = statSync(file).size

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
const b = await launch()
const nav = [],
  shot = [],
  busy = []
try {
  for (let i = 0; i < runs; i++) {
    const page = await b.context.newPage()
    const cdp = await b.context.newCDPSession(page)
    await cdp.send('Performance.enable')
    const before = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    const t = performance.now()
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
    await page.screenshot({ path: join('/tmp', `bench-report-${process.pid}.png`) })
    shot.push(performance.now() - t)
    nav.push(await page.evaluate(() => performance.getEntriesByType('navigation')[0].duration))
    const after = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    busy.push((after.TaskDuration - (before.TaskDuration ?? 0)) * 1000)
    await page.close()
  }
} finally {
  await b.close()
}
const f = (xs) => `median ${Math.round(median(xs))} ms (${xs.map((x) => Math.round(x)).join(', ')})`
console.log(
  `report of ${n} tasks: ${(bytes / 1024 / 1024).toFixed(2)} MB (${bytes} bytes); model + HTML in Node: ${Math.round(renderMs)} ms`,
)
console.log(`  navigation (parse, style, layout to load): ${f(nav)}`)
console.log(`  load + first screenshot:                   ${f(shot)}`)
console.log(`  renderer main thread busy (CPU):           ${f(busy)}`)
