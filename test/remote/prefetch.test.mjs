// Remote look-ups run in their own pool, outside `--concurrency` (Cache.prefetch, issue 8/10):
// many tasks restore from a real server with one slot; a server that accepts and never answers
// still costs only the bounded timeout for a whole run of many tasks, and the commands that then
// run never exceed `--concurrency` at once (each command logs its start and end in one file).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, existsSync } from 'node:fs'
import { project, tasksJson, dump } from '../rig.mjs'
import { available, missing, startTurboCache, startHungServer } from './servers.mjs'

const have = available()
const N = 24
const names = Array.from({ length: N }, (_, i) => `t${String(i).padStart(2, '0')}`)
// Every third task depends on the one before it, so the graph is not flat.
const config = `{
${names.map((n, i) => `    ${n}: { run: 'echo + >> ../conc.log && mkdir -p out && echo ${n} > out/${n}.txt && sleep 0.1 && echo - >> ../conc.log', cwd: 'w', inputs: ['${n}.txt'], outputs: ['out/${n}.txt']${i % 3 === 2 ? `, deps: ['${names[i - 1]}']` : ''} },`).join('\n')}
    all: { deps: ${JSON.stringify(names)} },
  }`
const files = { ...Object.fromEntries(names.map((n) => [`w/${n}.txt`, `${n}\n`])) }

/** The most commands that were running at once, from the `+`/`-` lines they appended. */
function maxConcurrent(p) {
  if (!existsSync(p.path('conc.log'))) return 0
  let now = 0,
    max = 0
  for (const l of readFileSync(p.path('conc.log'), 'utf8').split('\n')) {
    if (l === '+') max = Math.max(max, ++now)
    else if (l === '-') now--
  }
  return max
}

test(`turborepo-remote-cache: ${N} tasks restored from the remote with --concurrency 1, none run`, async () => {
  if (missing('turborepo-remote-cache', have.turbo)) return
  const srv = await startTurboCache({ signing: true })
  const A = project(config, files),
    B = project(config, files)
  try {
    const env = {
      TASKS_REMOTE_CACHE: srv.url,
      TASKS_REMOTE_CACHE_TOKEN: 'token',
      TASKS_REMOTE_CACHE_SIGNATURE_KEY: 'k1',
    }
    const ra = await tasksJson(A.dir, ['all', '--concurrency', '2'], { env })
    assert.is(ra.code, 0, dump(ra))
    assert.equal(ra.json.summary.remote, { hits: 0, uploaded: N }, dump(ra))
    assert.ok(maxConcurrent(A) <= 2, `${maxConcurrent(A)} commands at once with --concurrency 2`)
    const rb = await tasksJson(B.dir, ['all', '--concurrency', '1'], { env })
    assert.is(rb.code, 0, dump(rb))
    for (const n of names) {
      assert.is(rb.status[n], 'cache-hit', dump(rb))
      assert.is(readFileSync(B.path(`w/out/${n}.txt`), 'utf8'), `${n}\n`)
    }
    assert.is(maxConcurrent(B), 0, 'a command ran in clone B')
    assert.equal(rb.json.summary.remote, { hits: N, uploaded: 0 }, dump(rb))
  } finally {
    A.cleanup()
    B.cleanup()
    await srv.stop()
  }
})

for (const scheme of ['turbo+http', 'http']) {
  test(`${scheme}: a hung server with ${N} look-ups in flight costs one bounded timeout; commands stay within --concurrency 2`, async () => {
    const hung = await startHungServer()
    const A = project(config, files),
      B = project(config, files)
    try {
      let t0 = Date.now()
      let r = await tasksJson(A.dir, ['all', '--concurrency', '2'])
      const base = Date.now() - t0
      assert.is(r.code, 0, dump(r))
      t0 = Date.now()
      r = await tasksJson(B.dir, ['all', '--concurrency', '2'], {
        env: { TASKS_REMOTE_CACHE: `${scheme}://127.0.0.1:${hung.port}`, TASKS_REMOTE_CACHE_TOKEN: 't' },
      })
      const hungMs = Date.now() - t0
      assert.is(r.code, 0, dump(r))
      for (const n of names) assert.is(r.status[n], 'ran', dump(r))
      assert.match(r.json.summary.remote.off ?? '', /unreachable/, dump(r))
      // One warning for the breaker, not one per look-up in flight.
      assert.is((r.stderr.match(/remote cache off for the rest of the run/g) ?? []).length <= 1, true, r.stderr)
      const most = maxConcurrent(B)
      assert.ok(most >= 1 && most <= 2, `${most} commands at once with --concurrency 2`)
      console.log(
        `  [figure] ${scheme}: ${N} tasks against a server that never answers: +${((hungMs - base) / 1000).toFixed(2)} s (${base} ms without, ${hungMs} ms with), at most ${most} commands at once`,
      )
      // Generous: one request timeout (3 s) plus a loaded machine, far below N timeouts.
      assert.ok(hungMs - base < 15_000, `added ${hungMs - base} ms`)
    } finally {
      A.cleanup()
      B.cleanup()
      await hung.stop()
    }
  })
}

test.run()
