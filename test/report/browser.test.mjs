// The HTML report in headless Chromium (Debian's, driven by playwright-core; no browser download):
// real CLI runs (passing, failing 100 tasks, 500 tasks) written with --report, screenshots kept in
// test/.artifacts/, and assertions on the page: what failed, why each task ran, the counts. Also
// checks the page needs nothing but itself (no script, no network) and that a 1,000-task report
// stays under 2 MB; its load time is printed (the bound is in bench/report-render.mjs).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, statSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { project, tasks, dump } from '../rig.mjs'
import { artifact, missingBrowser, launch } from './_browser.mjs'
import { skipUnless } from '../rig.mjs'
import { syntheticRun } from './_synthetic.mjs'
import { createRunCollector } from '../../dist/lib/report/model.js'
import { renderHtml } from '../../dist/lib/report/html.js'
import { writeFileSync } from 'node:fs'

const missing = await missingBrowser()
const browserTest = skipUnless(!missing, missing)
let browser
test.before(async () => {
  if (!missing) browser = await launch()
})
test.after(async () => {
  await browser?.close()
})

/** `n` function tasks `t0..t{n-1}` (t_i depends on t_{i/3} and t_{i-1} for some), cached on `inputs: []`; `fail` names a task index that fails with a path:line:col. */
function manyTasks(n, { fail, slowEvery = 0 } = {}) {
  return `Object.fromEntries(Array.from({ length: ${n} }, (_, i) => [\`t\${i}\`, {
    inputs: i % 4 === 0 ? ['src/**'] : [],
    deps: i === 0 ? [] : [...new Set([\`t\${Math.floor((i - 1) / 3)}\`, ...(i % 5 === 0 ? [\`t\${i - 1}\`] : [])])],
    run: i === ${fail ?? -1}
      ? 'echo "compiling src/app.ts"; echo "src/app.ts:3:5: error TS2304: Cannot find name \\'y\\'" >&2; exit 2'
      : async (ctx) => { await new Promise((r) => setTimeout(r, ${slowEvery} && i % ${slowEvery || 1} === 0 ? 60 + (i * 7) % 90 : 1)); for (let k = 0; k < 3; k++) ctx.log(\`step \${k} of \${ctx.name}\`) },
  }]).concat([['all', { deps: Array.from({ length: ${n} }, (_, i) => \`t\${i}\`) }]]))`
}

async function open(file) {
  const page = await browser.context.newPage()
  const t = Date.now()
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
  return { page, loadMs: Date.now() - t }
}

const text = (page, sel) => page.locator(sel).first().innerText()
const count = async (page, sel) => Number((await text(page, `${sel} b`)).trim())

browserTest('a passing run, then a second run of the same command: counts, why each task ran, comparison', async () => {
  const p = project(
    `{
    gen: { run: 'echo generating; sleep 0.3; cat src/a.ts > gen.txt', inputs: ['src/**'], outputs: ['gen.txt'] },
    lint: { run: 'echo linting src', deps: ['gen'], inputs: ['src/**'] },
    unit: { run: 'sleep 0.2; echo 12 tests passed', deps: ['gen'], inputs: ['src/**', 'test/**'] },
    docs: { run: 'echo docs', inputs: ['docs/**'] },
    always: { run: 'echo phony' },
    build: { deps: ['lint', 'unit', 'docs', 'always'] },
  }`,
    { 'src/a.ts': 'export const a = 1\n', 'test/a.test.ts': 'ok\n', 'docs/index.md': '# docs\n' },
  )
  try {
    const first = await tasks(p.dir, ['build', '--report', 'first.html'])
    assert.is(first.code, 0, dump(first))
    assert.match(first.stderr, /report: first\.html/)
    p.write('src/a.ts', 'export const a = 2\n')
    const r = await tasks(p.dir, ['build', '--report'])
    assert.is(r.code, 0, dump(r))
    const file = p.path(/report: (.*\.html)/.exec(r.stderr)[1])
    assert.match(file, /\.tasks\/reports\/\d{8}T\d{6}Z-[0-9a-f]{6}\.html$/)
    const { page } = await open(file)
    await page.screenshot({ path: artifact('report-passing.png'), fullPage: true })
    assert.is(await page.getAttribute('#result', 'data-ok'), 'true')
    assert.match(await text(page, '#result h1'), /tasks build\s+passed in/)
    assert.is(await page.locator('#first-failure').count(), 0)
    assert.is(await count(page, '#c-tasks'), 6)
    assert.is(await count(page, '#c-ran'), 5, 'gen, lint, unit (src changed), always (phony), build (aggregate)')
    assert.is(await count(page, '#c-up-to-date'), 1, 'docs')
    assert.is(await count(page, '#c-failed'), 0)
    const why = Object.fromEntries(
      await page
        .locator('details.task')
        .evaluateAll((els) =>
          els.map((e) => [
            e.dataset.task,
            [e.dataset.status, e.dataset.why, e.querySelector('summary .w').textContent],
          ]),
        ),
    )
    assert.equal(why.gen.slice(0, 2), ['ran', 'input-changed'])
    assert.match(why.gen[2], /src\/a\.ts/)
    assert.equal(why.docs.slice(0, 2), ['up-to-date', 'fingerprint-unchanged'])
    assert.equal(why.always.slice(0, 2), ['ran', 'not-cacheable'])
    assert.equal(why.build.slice(0, 2), ['ran', 'dependencies-ran'])
    // the explain diff of why it ran, and the outputs
    const gen = page.locator('details.task[data-task="gen"]')
    assert.equal(await gen.locator('ul[data-label="files"] code').allTextContents(), ['M src/a.ts'])
    assert.match(await gen.locator('dl').textContent(), /outputs\s*gen\.txt/)
    assert.equal(await page.locator('details.task[data-task="lint"] ul[data-label="deps"] code').allTextContents(), [
      'gen',
    ])
    // the comparison with the previous run of `tasks build`
    assert.match(await text(page, '#comparison h2'), /Compared with the median of the last 5 runs of `tasks build`/)
    assert.match(await text(page, '#comparison'), /Status changes:.*docs\s+ran → up to date/s)
    // the timeline has a row per task that took part, the critical path marked
    assert.is(await page.locator('#timeline g[data-task]').count(), 6)
    assert.ok((await page.locator('#timeline g[data-critical]').count()) >= 2)
    assert.match(await text(page, '#critical-path'), /gen → unit/)
    // a task's log, collapsed
    const unit = page.locator('details.task[data-task="unit"]')
    assert.is(await unit.getAttribute('open'), null)
    assert.match(await unit.locator('pre').textContent(), /12 tests passed/)
    // self-contained: no script, nothing fetched
    const html = readFileSync(file, 'utf8')
    assert.not.match(html, /<script|<link |<img |@import|url\(|https?:\/\//i)
  } finally {
    p.cleanup()
  }
})

browserTest(
  'a failing 100-task run: the first screen shows what failed, why the tasks ran and where the time went',
  async () => {
    const p = project(manyTasks(100, { fail: 17, slowEvery: 9 }), { 'src/app.ts': 'let x = 1\n\nlet z = y\n' })
    try {
      const r = await tasks(p.dir, ['all', '--continue', '--concurrency', '4', '--report', 'failing.html'], {
        timeoutMs: 120_000,
      })
      assert.is(r.code, 1, dump(r))
      const { page } = await open(p.path('failing.html'))
      await page.screenshot({ path: artifact('report-failing.png') })
      await page.screenshot({ path: artifact('report-failing-full.png'), fullPage: true })
      assert.is(await page.getAttribute('#result', 'data-ok'), 'false')
      assert.match(await text(page, '#first-failure h2'), /First failure: t17/)
      assert.match(await text(page, '#first-failure'), /failed \(exit code 2\) at src\/app\.ts:3:5/)
      assert.match(await text(page, '#first-failure pre'), /error TS2304: Cannot find name 'y'/)
      // in the first screen (1280×900): the failure, the counts, why tasks ran, where the time went
      for (const sel of ['#first-failure', '#counts', '#why-summary', '#slowest']) {
        const box = await page.locator(sel).boundingBox()
        assert.ok(box && box.y < 900, `${sel} starts in the first screen (y = ${box?.y})`)
      }
      assert.is(await count(page, '#c-tasks'), 101)
      assert.is(await count(page, '#c-failed'), 1)
      const skipped = await count(page, '#c-skipped')
      assert.ok(skipped >= 3, `t17's dependents are skipped (${skipped})`)
      assert.is((await count(page, '#c-ran')) + skipped + 1, 101)
      const why = await text(page, '#why-summary')
      assert.match(why, /no previous run/)
      assert.match(why, /a dependency failed|dependency `t17` failed/)
      const failed = page.locator('details.task[data-task="t17"]')
      assert.is(await failed.getAttribute('data-status'), 'failed')
      assert.match(await failed.locator('pre').textContent(), /Cannot find name/)
      assert.is(
        await page.locator('details.task[data-status="skipped"]').first().locator('summary .w').textContent(),
        'dependency `t17` failed',
      )
      assert.ok((await page.locator('#slowest tbody tr').count()) >= 5)
    } finally {
      p.cleanup()
    }
  },
)

browserTest('a 500-task run renders every task; a 1,000-task report stays under 2 MB', async () => {
  const p = project(manyTasks(500, { slowEvery: 50 }), { 'src/app.ts': 'x\n' })
  try {
    const r = await tasks(p.dir, ['all', '--concurrency', '4', '--report', 'big.html', '--output-logs', 'none'], {
      timeoutMs: 180_000,
    })
    assert.is(r.code, 0, dump(r))
    const { page, loadMs } = await open(p.path('big.html'))
    await page.screenshot({ path: artifact('report-500.png') })
    console.log(
      `  500-task report: ${(statSync(p.path('big.html')).size / 1024).toFixed(0)} KB, loaded in ${loadMs} ms`,
    )
    assert.is(await count(page, '#c-tasks'), 501)
    assert.is(await count(page, '#c-ran'), 501)
    assert.is(await page.locator('details.task').count(), 501)
    assert.is(await page.locator('#timeline g[data-task]').count(), 501)
    assert.is(await page.locator('#graph rect').count(), 501, 'large graphs draw one dot per task')
  } finally {
    p.cleanup()
  }

  const { deps, events } = syntheticRun({ n: 1000, failAt: [400], remoteEvery: 7 })
  const c = createRunCollector({ root: '/tmp/project', deps, command: 'tasks build' })
  for (const e of events) c.onEvent(e)
  const file = artifact('report-1000.html')
  writeFileSync(file, renderHtml(c.model()))
  const bytes = statSync(file).size
  assert.ok(bytes < 2_000_000, `${bytes} bytes`)
  const { page, loadMs } = await open(file)
  await page.screenshot({ path: artifact('report-1000.png') })
  const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].duration)
  console.log(
    `  1,000-task report: ${(bytes / 1024).toFixed(0)} KB, navigation ${Math.round(nav)} ms, load + first screenshot ${loadMs} ms`,
  )
  assert.is(await page.locator('details.task').count(), 1000)
  assert.ok(loadMs < 30_000, 'generous bound: the page loads at all')
})

test.run()
