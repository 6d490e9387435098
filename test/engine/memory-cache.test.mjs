// The engine's core scenarios against an in-memory cache given through the public API
// (`run({ cache: new MemoryCache() })`): cold run stores, second run up to date, deleted output
// restored from the cache, input change reruns, failure stores nothing; nothing under .tasks/ac.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { project, LIB_URL } from '../rig.mjs'

const { run, loadConfig, MemoryCache } = await import(LIB_URL)
const { formatReason } = await import(new URL('doors/report.js', LIB_URL).href)

// printf with octal escapes: the log holds bytes that are not UTF-8 (0xff 0xfe) and a NUL.
const config = `{
    build: { run: "mkdir -p out && cat src.txt > out/out.txt && printf 'LOG\\\\377\\\\376\\\\000end\\\\n' && echo ran >> runs", inputs: ['src.txt'], outputs: ['out/**'] },
    fails: { run: 'echo FAIL-LOG; exit 4', inputs: ['src.txt'], outputs: ['nothing.txt'] },
  }`
const RAW_LOG = Buffer.from([0x4c, 0x4f, 0x47, 0xff, 0xfe, 0x00, 0x65, 0x6e, 0x64, 0x0a])

function acFiles(dir) {
  const ac = join(dir, '.tasks', 'ac')
  return existsSync(ac) ? readdirSync(ac) : []
}

async function once(dir, cache, tasks = ['build']) {
  const config = await loadConfig({ cwd: dir })
  const events = []
  const result = await run({ config, tasks, cache, onEvent: (e) => events.push(e) })
  return { result, events, task: (n) => result.tasks.find((t) => t.name === n) }
}

test('an in-memory cache through the public API: store, up to date, restore, rerun, failure stores nothing', async () => {
  const p = project(config, { 'src.txt': 'v1\n' })
  const cache = new MemoryCache()
  try {
    // 1. cold run: ran, one put, the log stored as the exact bytes the command printed
    const r1 = await once(p.dir, cache)
    assert.is(r1.result.ok, true, JSON.stringify(r1.result))
    assert.is(r1.task('build').status, 'ran')
    assert.is(r1.task('build').reason.code, 'no-previous-run')
    assert.is(formatReason(r1.task('build').reason), 'no previous run')
    assert.is(cache.stats.puts, 1)
    assert.is(cache.entries.size, 1)
    const entry = JSON.parse([...cache.entries.values()][0])
    assert.is(entry.schema, 3)
    assert.equal(
      entry.outputs.map((o) => o.path),
      ['out/out.txt'],
    )
    assert.ok(
      cache.blobs.get(entry.log)?.equals(RAW_LOG),
      `log blob is not the raw bytes: ${cache.blobs.get(entry.log)?.toString('hex')}`,
    )

    // 2. nothing changed: up to date, no cache traffic needed
    const getsBefore = cache.stats.gets
    const r2 = await once(p.dir, cache)
    assert.is(r2.task('build').status, 'up-to-date')
    assert.is(r2.task('build').reason.code, 'fingerprint-unchanged')
    assert.is(cache.stats.gets, getsBefore, 'an up-to-date task should not look in the cache')
    assert.is(cache.stats.puts, 1)

    // 3. output deleted: a cache hit restores it from memory and replays the log
    rmSync(p.path('out'), { recursive: true })
    const r3 = await once(p.dir, cache)
    const b3 = r3.task('build')
    assert.is(b3.status, 'cache-hit', JSON.stringify(r3.result))
    assert.is(b3.reason.code, 'restored')
    assert.is(b3.reason.outputs, 1)
    assert.is(b3.reason.replayedLog, true)
    assert.is(b3.cacheSource, 'local')
    assert.is(cache.stats.restores, 1)
    assert.ok(cache.stats.hits >= 1)
    assert.is(p.read('out/out.txt'), 'v1\n')
    assert.is(p.read('runs'), 'ran\n', 'the command ran again instead of a restore')
    const replay = r3.events.find((e) => e.type === 'task:output' && e.replay)
    assert.ok(replay && replay.text.startsWith('LOG'), 'log not replayed')

    // 4. input changed: reruns with a typed reason naming the file, a second entry
    p.write('src.txt', 'v2\n')
    const r4 = await once(p.dir, cache)
    const b4 = r4.task('build')
    assert.is(b4.status, 'ran')
    assert.equal(b4.reason, { code: 'input-changed', files: [{ path: 'src.txt', change: 'modified' }] })
    assert.is(formatReason(b4.reason), 'input changed: src.txt')
    assert.is(p.read('out/out.txt'), 'v2\n')
    assert.is(cache.stats.puts, 2)
    assert.is(cache.entries.size, 2)

    // 5. a failing task stores nothing
    const r5 = await once(p.dir, cache, ['fails'])
    const f = r5.task('fails')
    assert.is(f.status, 'failed')
    assert.equal(f.reason, { code: 'exit-code', exitCode: 4 })
    assert.is(f.runReason.code, 'no-previous-run')
    assert.is(r5.result.ok, false)
    assert.is(cache.stats.puts, 2)
    assert.is(cache.entries.size, 2)

    // nothing of the cache on disk: no action results, no blobs
    assert.equal(acFiles(p.dir), [])
    assert.not.ok(existsSync(p.path('.tasks/cas')), '.tasks/cas was written with an in-memory cache')
  } finally {
    p.cleanup()
  }
})

test('a tampered in-memory entry is a miss with a warning, and the task runs', async () => {
  const p = project(config, { 'src.txt': 'v1\n' })
  const cache = new MemoryCache()
  try {
    await once(p.dir, cache)
    const [fp, text] = [...cache.entries][0]
    const entry = JSON.parse(text)
    entry.outputs[0].path = '../escape.txt'
    cache.entries.set(fp, JSON.stringify(entry))
    rmSync(p.path('out'), { recursive: true })
    const r = await once(p.dir, cache)
    assert.is(r.task('build').status, 'ran')
    const w = r.events.find((e) => e.type === 'warning' && e.code === 'cache-entry-refused')
    assert.ok(w, `no refusal warning: ${JSON.stringify(r.events.filter((e) => e.type === 'warning'))}`)
    assert.match(w.message, /climbs out/)
    assert.not.ok(existsSync(join(p.dir, '..', 'escape.txt')))
  } finally {
    p.cleanup()
  }
})

test.run()
