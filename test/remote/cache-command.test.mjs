// `tasks cache status` tells the truth against real servers and in every failure mode (with the
// fix), `tasks cache prune` evicts least recently used entries to cache.maxSize and collects
// unreferenced blobs, `tasks cache clean` empties the cache.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, statSync, utimesSync, writeFileSync, mkdirSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { project, tasks, dump } from '../rig.mjs'
import {
  available,
  missing,
  startNginx,
  startBazelRemote,
  startTurboCache,
  startHungServer,
  freePort,
} from './servers.mjs'

const have = available()
const empty = () => project(`{ t: { run: 'true' } }`)

async function status(dir, env, args = []) {
  const r = await tasks(dir, ['cache', 'status', ...args], { env })
  return { ...r, text: r.stdout + r.stderr }
}

test('status: nginx WebDAV with Basic auth for writes: all checks pass; anonymous: write fails with the fix; read-only: write not tried', async () => {
  if (missing('nginx', have.nginx)) return
  const srv = await startNginx()
  const p = empty()
  try {
    let r = await status(p.dir, { TASKS_REMOTE_CACHE: srv.authUrl })
    assert.is(r.code, 0, dump(r))
    assert.match(r.text, /Bazel HTTP cache, read-write/)
    assert.match(r.text, /ok {3}reachable .*nginx/)
    assert.match(r.text, /ok {3}write/)
    assert.not.match(r.text, /pass@/, 'the password is never printed')
    r = await status(p.dir, { TASKS_REMOTE_CACHE: srv.url })
    assert.is(r.code, 1, dump(r))
    assert.match(r.text, /FAIL write .*401/)
    assert.match(r.text, /fix: .*user:password/)
    r = await status(p.dir, { TASKS_REMOTE_CACHE: srv.url }, ['--remote-cache-read-only'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.text, /read-only/)
    assert.match(r.text, /write +not tried/)
  } finally {
    p.cleanup()
    await srv.stop()
  }
})

test('status: bazel-remote over gRPC reports REAPI and its version; over HTTP the protocol', async () => {
  if (missing('bazel-remote', have.bazelRemote)) return
  const srv = await startBazelRemote()
  const p = empty()
  try {
    let r = await status(p.dir, { TASKS_REMOTE_CACHE: srv.grpcUrl })
    assert.is(r.code, 0, dump(r))
    assert.match(r.text, /REAPI v2/)
    assert.match(r.text, /protocol +REAPI 2\.\d+/)
    r = await status(p.dir, {}, ['--remote-cache', srv.httpUrl])
    assert.is(r.code, 0, dump(r))
    assert.match(r.text, /protocol +Bazel HTTP cache protocol/)
  } finally {
    p.cleanup()
    await srv.stop()
  }
})

test('status: turborepo-remote-cache with a token; without one; read-only server; a server that requires signatures', async () => {
  if (missing('turborepo-remote-cache', have.turbo)) return
  const srv = await startTurboCache()
  const ro = await startTurboCache({ readOnly: true, dir: srv.dir })
  const signed = await startTurboCache({ signing: true })
  const p = empty()
  try {
    let r = await status(p.dir, { TASKS_REMOTE_CACHE: srv.url, TASKS_REMOTE_CACHE_TOKEN: 'token' })
    assert.is(r.code, 0, dump(r))
    assert.match(r.text, /Turborepo remote cache API v8/)
    r = await status(p.dir, { TASKS_REMOTE_CACHE: srv.url, TASKS_REMOTE_CACHE_TOKEN: '' })
    assert.is(r.code, 1, dump(r))
    assert.match(r.text, /FAIL read .*\n.*fix: set TASKS_REMOTE_CACHE_TOKEN/)
    r = await status(p.dir, { TASKS_REMOTE_CACHE: srv.url, TASKS_REMOTE_CACHE_TOKEN: 'wrong' })
    assert.is(r.code, 1, dump(r))
    assert.match(r.text, /401/)
    r = await status(p.dir, { TASKS_REMOTE_CACHE: ro.url, TASKS_REMOTE_CACHE_TOKEN: 'token' })
    assert.is(r.code, 1, dump(r))
    assert.match(r.text, /FAIL write/)
    assert.match(r.text, /fix: .*TASKS_REMOTE_CACHE_READ_ONLY=1/)
    r = await status(p.dir, { TASKS_REMOTE_CACHE: signed.url, TASKS_REMOTE_CACHE_TOKEN: 'token' })
    assert.is(r.code, 1, dump(r))
    assert.match(r.text, /FAIL signing .*\n.*fix: set TASKS_REMOTE_CACHE_SIGNATURE_KEY/)
    r = await status(p.dir, {
      TASKS_REMOTE_CACHE: signed.url,
      TASKS_REMOTE_CACHE_TOKEN: 'token',
      TASKS_REMOTE_CACHE_SIGNATURE_KEY: 'k',
    })
    assert.is(r.code, 0, dump(r))
    assert.match(r.text, /ok {3}signing +on/)
  } finally {
    p.cleanup()
    await ro.stop()
    await srv.stop()
    await signed.stop()
  }
})

test('status: a refused port, a port that never answers, an unknown scheme', async () => {
  const hung = await startHungServer()
  const p = empty()
  try {
    const port = await freePort()
    let r = await status(p.dir, { TASKS_REMOTE_CACHE: `http://127.0.0.1:${port}` })
    assert.is(r.code, 1, dump(r))
    assert.match(r.text, /FAIL reachable connection refused/)
    const t0 = Date.now()
    r = await status(p.dir, { TASKS_REMOTE_CACHE: `grpc://127.0.0.1:${hung.port}` })
    assert.is(r.code, 1, dump(r))
    assert.match(r.text, /FAIL reachable .*(did not answer|DEADLINE|UNAVAILABLE)/)
    assert.ok(Date.now() - t0 < 30_000)
    r = await status(p.dir, { TASKS_REMOTE_CACHE: `ftp://127.0.0.1:${port}` })
    assert.is(r.code, 2, dump(r))
    assert.match(r.text, /unknown scheme `ftp:`/)
    assert.match(r.text, /turbo\+http/)
  } finally {
    p.cleanup()
    await hung.stop()
  }
})

test('prune evicts the least recently used entries down to cache.maxSize and collects unreferenced blobs; clean empties the cache', async () => {
  const n = 6
  const defs = Array.from(
    { length: n },
    (_, i) =>
      `t${i}: { run: 'head -c 200000 /dev/urandom > o${i}.bin', inputs: ['in${i}.txt'], outputs: ['o${i}.bin'] }`,
  ).join(',\n')
  const files = Object.fromEntries(Array.from({ length: n }, (_, i) => [`in${i}.txt`, `${i}\n`]))
  const p = project(
    `{ ${defs}, all: { deps: [${Array.from({ length: n }, (_, i) => `'t${i}'`).join(', ')}] } }`,
    files,
    { extra: '' },
  )
  try {
    let r = await tasks(p.dir, ['all'])
    assert.is(r.code, 0, dump(r))
    const ac = join(p.dir, '.tasks', 'ac')
    const entries = readdirSync(ac).filter((f) => f.endsWith('.json'))
    assert.is(entries.length, n)
    // Age them: t0 oldest ... t5 newest (by the task each entry names).
    const byTask = Object.fromEntries(entries.map((f) => [JSON.parse(readFileSync(join(ac, f), 'utf8')).task, f]))
    for (let i = 0; i < n; i++) {
      const t = new Date(Date.now() - (n - i) * 86400_000)
      utimesSync(join(ac, byTask[`t${i}`]), t, t)
    }
    // An orphan blob, old enough to be collected.
    const orphan = randomBytes(1000)
    const h = createHash('sha256').update(orphan).digest('hex')
    mkdirSync(join(p.dir, '.tasks', 'cas', h.slice(0, 2)), { recursive: true })
    const orphanPath = join(p.dir, '.tasks', 'cas', h.slice(0, 2), h)
    writeFileSync(orphanPath, orphan)
    utimesSync(orphanPath, new Date(Date.now() - 2 * 86400_000), new Date(Date.now() - 2 * 86400_000))
    // Limit: room for about 3 entries' outputs (each ~200 kB), so the 80% target keeps the newest 2-3.
    p.write(
      'tasks.config.mjs',
      p.read('tasks.config.mjs').replace('tasks: {', "cache: { maxSize: '700kB' },\n  tasks: {"),
    )
    r = await tasks(p.dir, ['cache', 'prune'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stdout, /removed \d+ least recently used entries and \d+ unreferenced blobs/)
    const left = readdirSync(ac)
      .map((f) => JSON.parse(readFileSync(join(ac, f), 'utf8')).task)
      .sort()
    assert.ok(left.length >= 1 && left.length <= 3, left.join(','))
    assert.ok(left.includes('t5'), `the newest entry stays: ${left}`)
    assert.not.ok(left.includes('t0'), `the oldest entry goes: ${left}`)
    assert.not.ok(existsSync(orphanPath), 'the unreferenced blob is collected')
    // The blobs of the entries left are all still there: their tasks restore from the cache.
    for (const t of left) p.write(`o${t.slice(1)}.bin`, 'changed')
    r = await tasks(p.dir, ['all', '--json'])
    const json = JSON.parse(r.stdout)
    for (const t of left) assert.is(json.tasks.find((x) => x.name === t).status, 'cache-hit', dump(r))
    // An evicted entry's task still knows why it runs: its state's record blob was kept.
    p.write('in0.txt', 'edited\n')
    r = await tasks(p.dir, ['t0', '--json'])
    const t0 = JSON.parse(r.stdout).tasks.find((x) => x.name === 't0')
    assert.is(t0.reasonData.code, 'input-changed', dump(r))
    assert.match(t0.reason, /in0\.txt/)
    r = await tasks(p.dir, ['cache', 'status'])
    assert.match(r.stdout, /of 700 kB \(cache\.maxSize\)/)
    r = await tasks(p.dir, ['cache', 'clean'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stdout, /removed the local cache/)
    assert.not.ok(existsSync(ac))
  } finally {
    p.cleanup()
  }
})

test('automatic collection after a run: a new cache starts the hourly clock without scanning; an hour later a run evicts down to cache.maxSize', async () => {
  const n = 4
  const defs = Array.from(
    { length: n },
    (_, i) =>
      `t${i}: { run: 'head -c 200000 /dev/urandom > o${i}.bin', inputs: ['in${i}.txt'], outputs: ['o${i}.bin'] }`,
  ).join(',\n')
  const files = Object.fromEntries(Array.from({ length: n }, (_, i) => [`in${i}.txt`, `${i}\n`]))
  const p = project(`{ ${defs}, all: { deps: [${Array.from({ length: n }, (_, i) => `'t${i}'`).join(', ')}] } }`, files)
  p.write(
    'tasks.config.mjs',
    p.read('tasks.config.mjs').replace('tasks: {', "cache: { maxSize: '300kB' },\n  tasks: {"),
  )
  try {
    const ac = join(p.dir, '.tasks', 'ac')
    const stamp = join(p.dir, '.tasks', 'gc-stamp')
    let r = await tasks(p.dir, ['all'])
    assert.is(r.code, 0, dump(r))
    assert.ok(existsSync(stamp), 'the first run starts the clock')
    assert.is(readdirSync(ac).length, n, 'nothing collected on the first run, though over maxSize')
    // An hour and a minute later, a run that stores something collects: LRU down to 80% of 300 kB.
    const old = new Date(Date.now() - 61 * 60_000)
    utimesSync(stamp, old, old)
    p.write('in0.txt', 'changed\n')
    r = await tasks(p.dir, ['all'])
    assert.is(r.code, 0, dump(r))
    const left = readdirSync(ac).length
    assert.ok(left >= 1 && left < n, `collected down to maxSize: ${left} of ${n + 1} entries left`)
    assert.ok(Date.now() - statSync(stamp).mtimeMs < 60_000, 'the clock restarted')
  } finally {
    p.cleanup()
  }
})

test('config: a bad cache.maxSize, an unknown remoteCache key and a password in remoteCache.url are errors naming the fix', async () => {
  const cases = [
    [`cache: { maxSize: 'lots' },`, /cache\.maxSize.*'5GB'/],
    [`remoteCache: { url: 'http://x', readonly: true },`, /remoteCache\.readonly|known keys: url, readOnly/],
    [`remoteCache: { url: 'https://me:secret@cache.example.com' },`, /holds a password[\s\S]*TASKS_REMOTE_CACHE/],
  ]
  for (const [extra, re] of cases) {
    const p = project(`{ t: { run: 'true' } }`)
    try {
      p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace('tasks: {', `${extra}\n  tasks: {`))
      const r = await tasks(p.dir, ['t'])
      assert.is(r.code, 2, dump(r))
      assert.match(r.stdout + r.stderr, re)
      assert.match(r.stdout + r.stderr, /tasks\.config\.mjs/)
    } finally {
      p.cleanup()
    }
  }
})

test.run()
