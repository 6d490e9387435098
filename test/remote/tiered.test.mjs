// The tiered cache (local first, then remote) against real servers: nginx WebDAV and bazel-remote
// (Bazel HTTP), bazel-remote (gRPC / REAPI v2), turborepo-remote-cache (Turborepo API v8).
// Library level: two "clones" (two folders, each with its own local tier) share one server.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash, randomBytes } from 'node:crypto'
import {
  mkdtempSync,
  mkdirSync,
  writeFileSync,
  readFileSync,
  readdirSync,
  statSync,
  rmSync,
  symlinkSync,
  readlinkSync,
  existsSync,
  chmodSync,
  unlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  available,
  missing,
  startNginx,
  startBazelRemote,
  startTurboCache,
  startHungServer,
  freePort,
} from './servers.mjs'
import { TieredCache } from '../../dist/lib/cache/remote/tiered.js'
import { resolveRemoteSettings } from '../../dist/lib/cache/remote/settings.js'
import { openRemoteStore } from '../../dist/lib/cache/remote/open.js'
import { LocalCache } from '../../dist/lib/cache/local.js'
import { parseActionResult as validate } from '../../dist/lib/cache/entry.js'

const sha = (b) => createHash('sha256').update(b).digest('hex')
const have = available()

/** A clone: a project folder with outputs and its own local cache (the engine's LocalCache) in <dir>/.tasks. */
function clone() {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-clone-'))
  return {
    dir,
    tier: new LocalCache(join(dir, '.tasks')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

const acEntries = (c) =>
  existsSync(join(c.dir, '.tasks', 'ac'))
    ? readdirSync(join(c.dir, '.tasks', 'ac')).filter((f) => f.endsWith('.json'))
    : []
const input = (fingerprint, task, durationMs = 1234) => ({
  fingerprint,
  task,
  exitCode: 0,
  durationMs,
  record: { task, fingerprint },
})

async function tiered(c, url, env = {}, extra = {}) {
  const s = resolveRemoteSettings(extra.config, { ...env, TASKS_REMOTE_CACHE: url }, extra.flags)
  const warnings = []
  const cache = new TieredCache({
    local: c.tier,
    remote: await openRemoteStore(s),
    validate,
    readOnly: s.readOnly,
    signatureKey: s.signatureKey,
    maxUploadBytes: s.maxUploadBytes,
    onWarning: (m) => warnings.push(m),
  })
  return { cache, warnings }
}

/** Write three tasks' outputs in clone `c` and store them: a text file + log, an executable, a symlink. */
async function produce(c, cache, tag) {
  const tasks = []
  const files = {
    a: [['out/a.txt', `A ${tag}\n`]],
    b: [['out/b.sh', `#!/bin/sh\necho B ${tag}\n`, 0o755]],
    c: [['out/c/data.bin', randomBytes(5000)]],
  }
  for (const [name, list] of Object.entries(files)) {
    const paths = []
    for (const [p, content, mode] of list) {
      mkdirSync(join(c.dir, p, '..'), { recursive: true })
      writeFileSync(join(c.dir, p), content)
      if (mode) chmodSync(join(c.dir, p), mode)
      paths.push(p)
    }
    if (name === 'a') {
      symlinkSync('a.txt', join(c.dir, 'out/a.link'))
      paths.push('out/a.link')
    }
    const fingerprint = sha(`${tag}:${name}`)
    await cache.put(c.dir, input(fingerprint, name), paths, Buffer.from(`log of ${name}\n`))
    tasks.push({ name, fingerprint, paths })
  }
  return tasks
}

function snapshot(dir, paths) {
  return Object.fromEntries(
    paths.map((p) => {
      const st = statSync(join(dir, p), { throwIfNoEntry: false })
      try {
        return [p, `link:${readlinkSync(join(dir, p))}`]
      } catch {}
      return [p, st ? `${(st.mode & 0o777).toString(8)}:${sha(readFileSync(join(dir, p)))}` : 'missing']
    }),
  )
}

function files(dir) {
  const out = []
  ;(function walk(d) {
    for (const e of readdirSync(d, { withFileTypes: true }))
      e.isDirectory() ? walk(join(d, e.name)) : out.push(join(d, e.name))
  })(dir)
  return out
}

/** Flip one byte of every server-side file whose name holds `needle` (a blob hash or artifact hash). */
function flipOnServer(serverDir, needle, known) {
  let n = 0
  for (const f of files(serverDir)) {
    if (!f.includes(needle)) continue
    const b = readFileSync(f)
    const at = known ? b.indexOf(known) : -1
    const i = at >= 0 ? at + Math.floor(known.length / 2) : Math.floor(b.length / 2)
    b[i] ^= 0xff
    writeFileSync(f, b)
    n++
  }
  return n
}

const backends = [
  {
    name: 'nginx WebDAV (Bazel HTTP)',
    ok: have.nginx,
    start: startNginx,
    url: (s) => s.authUrl,
    anonUrl: (s) => s.url,
    blobStore: true,
  },
  { name: 'bazel-remote HTTP', ok: have.bazelRemote, start: startBazelRemote, url: (s) => s.httpUrl, blobStore: true },
  { name: 'bazel-remote gRPC', ok: have.bazelRemote, start: startBazelRemote, url: (s) => s.grpcUrl, blobStore: true },
  {
    name: 'turborepo-remote-cache',
    ok: have.turbo,
    start: startTurboCache,
    url: (s) => s.url,
    env: { TASKS_REMOTE_CACHE_TOKEN: 'token' },
  },
]

for (const be of backends) {
  test(`${be.name}: clone A uploads, clone B restores every task from the remote and runs none; a flipped blob and a bad signature are misses`, async () => {
    if (missing(be.name, be.ok)) return
    const srv = await be.start({ signing: true })
    const A = clone(),
      B = clone(),
      C = clone(),
      D = clone()
    try {
      const env = { ...be.env, TASKS_REMOTE_CACHE_SIGNATURE_KEY: 'team-key' }
      const a = await tiered(A, be.url(srv), env)
      const tag = randomBytes(6).toString('hex')
      const tasks = await produce(A, a.cache, tag)
      await a.cache.flush(30_000)
      assert.equal(
        a.cache.stats(),
        { hits: 0, uploaded: 3, off: undefined, uploadsOff: undefined },
        a.warnings.join('\n'),
      )
      assert.equal(a.warnings, [])

      // B: another folder, empty local cache.
      const b = await tiered(B, be.url(srv), env)
      assert.equal(
        [...(await b.cache.has(tasks.map((t) => t.fingerprint)))].sort(),
        tasks.map((t) => t.fingerprint).sort(),
      )
      for (const t of tasks) {
        const hit = await b.cache.get(t.fingerprint)
        assert.ok(hit, `${t.name}: ${b.warnings.join('\n')}`)
        assert.is(hit.source, 'remote')
        const r = await b.cache.restore(B.dir, hit)
        assert.ok(r.ok, JSON.stringify(r))
        assert.is(r.log.toString(), `log of ${t.name}\n`)
        assert.equal(snapshot(B.dir, t.paths), snapshot(A.dir, t.paths))
        // Now local: a second get is a local hit.
        assert.is((await b.cache.get(t.fingerprint)).source, 'local')
      }
      assert.is(b.cache.stats().hits, 3)
      assert.equal(b.warnings, [])

      // A bad signature: a reader with another key refuses every entry, writes nothing.
      const c = await tiered(C, be.url(srv), { ...be.env, TASKS_REMOTE_CACHE_SIGNATURE_KEY: 'other-key' })
      for (const t of tasks) assert.is(await c.cache.get(t.fingerprint), undefined)
      assert.ok(c.warnings.length >= 3, c.warnings.join('\n'))
      assert.match(c.warnings.join('\n'), be.blobStore ? /signature that does not verify/ : /x-artifact-tag|signature/)
      assert.equal(acEntries(C), [])
      assert.not.ok(existsSync(join(C.dir, 'out')))

      // A flipped blob on the server (no key, so the blob hash check is what catches it).
      const d = await tiered(D, be.url(srv), { ...be.env })
      const target = tasks.find((t) => t.name === 'c')
      const blob = readFileSync(join(A.dir, target.paths[0]))
      const flipped = flipOnServer(
        srv.dir,
        be.blobStore ? sha(blob) : target.fingerprint,
        be.blobStore ? undefined : blob,
      )
      assert.ok(flipped >= 1, `no server file for the blob in ${srv.dir}`)
      assert.is(await d.cache.get(target.fingerprint), undefined)
      assert.ok(d.warnings.length >= 1)
      assert.not.ok(existsSync(join(D.dir, 'out')))
      assert.equal(acEntries(D), [])
      // The untouched tasks still restore (unsigned entries are fine without a key).
      assert.ok(await d.cache.get(tasks[0].fingerprint), d.warnings.join('\n'))
    } finally {
      for (const x of [A, B, C, D]) x.cleanup()
      await srv.stop()
    }
  })

  test(`${be.name}: read-only uploads nothing; a 20 MB output round-trips; maxUploadBytes skips with a warning`, async () => {
    if (missing(be.name, be.ok)) return
    const srv = await be.start()
    const A = clone(),
      B = clone()
    try {
      const ro = await tiered(A, be.url(srv), { ...be.env, TASKS_REMOTE_CACHE_READ_ONLY: '1' })
      const tasks = await produce(A, ro.cache, randomBytes(6).toString('hex'))
      await ro.cache.flush(10_000)
      assert.equal(ro.cache.stats(), { hits: 0, uploaded: 0, off: undefined, uploadsOff: 'read-only' })
      const probe = await tiered(B, be.url(srv), be.env)
      assert.equal([...(await probe.cache.has(tasks.map((t) => t.fingerprint)))], [])

      // 20 MB
      const big = randomBytes(20 * 1024 * 1024)
      mkdirSync(join(A.dir, 'big'), { recursive: true })
      writeFileSync(join(A.dir, 'big/blob.bin'), big)
      const fp = sha(`big:${randomBytes(4).toString('hex')}`)
      const up = await tiered(A, be.url(srv), be.env)
      await up.cache.put(A.dir, input(fp, 'big'), ['big/blob.bin'], Buffer.alloc(0))
      await up.cache.flush(60_000)
      assert.is(up.cache.stats().uploaded, 1, up.warnings.join('\n'))
      const t0 = performance.now()
      const hit = await probe.cache.get(fp)
      assert.ok(hit, probe.warnings.join('\n'))
      assert.ok((await probe.cache.restore(B.dir, hit)).ok)
      const ms = performance.now() - t0
      console.log(`  [figure] ${be.name}: 20 MB output restored from the remote in ${ms.toFixed(0)} ms`)
      assert.ok(readFileSync(join(B.dir, 'big/blob.bin')).equals(big))

      // maxUploadBytes
      const small = await tiered(A, be.url(srv), be.env, { config: { url: 'x', maxUploadBytes: 1024 * 1024 } })
      await small.cache.put(A.dir, input(sha(`big2:${fp}`), 'big'), ['big/blob.bin'], Buffer.alloc(0))
      await small.cache.flush(10_000)
      assert.is(small.cache.stats().uploaded, 0)
      assert.match(small.warnings.join('\n'), /maxUploadBytes/)
    } finally {
      A.cleanup()
      B.cleanup()
      await srv.stop()
    }
  })

  test(`${be.name}: the server stopped mid-run turns the remote off with one warning and never fails`, async () => {
    if (missing(be.name, be.ok)) return
    const srv = await be.start()
    const A = clone(),
      B = clone()
    try {
      const a = await tiered(A, be.url(srv), be.env)
      const tasks = await produce(A, a.cache, randomBytes(6).toString('hex'))
      await a.cache.flush(30_000)
      const b = await tiered(B, be.url(srv), be.env)
      assert.ok(await b.cache.get(tasks[0].fingerprint))
      await srv.stop()
      const t0 = performance.now()
      assert.is(await b.cache.get(tasks[1].fingerprint), undefined)
      assert.is(await b.cache.get(tasks[2].fingerprint), undefined)
      await b.cache.put(B.dir, input(sha('after-stop'), 'x'), [], Buffer.from('x'))
      await b.cache.flush(5000)
      assert.ok(performance.now() - t0 < 15_000)
      const st = b.cache.stats()
      assert.match(st.off ?? '', /unreachable/)
      assert.is(b.warnings.filter((w) => /off for the rest of the run/.test(w)).length, 1, b.warnings.join('\n'))
      // The local entry of the task stored after the stop is there.
      assert.ok(await B.tier.get(sha('after-stop')))
    } finally {
      A.cleanup()
      B.cleanup()
      await srv.stop()
    }
  })
}

test('401 on upload (nginx without credentials): uploads off with one warning, restores go on', async () => {
  if (missing('nginx', have.nginx)) return
  const srv = await startNginx()
  const A = clone(),
    B = clone()
  try {
    const a = await tiered(A, srv.authUrl)
    const tasks = await produce(A, a.cache, randomBytes(6).toString('hex'))
    await a.cache.flush(10_000)
    const b = await tiered(B, srv.url)
    assert.ok(await b.cache.get(tasks[0].fingerprint), b.warnings.join('\n'))
    await produce(B, b.cache, randomBytes(6).toString('hex'))
    await b.cache.flush(10_000)
    const st = b.cache.stats()
    assert.is(st.uploaded, 0)
    assert.match(st.uploadsOff ?? '', /401/)
    assert.is(b.warnings.filter((w) => /uploads off/.test(w)).length, 1, b.warnings.join('\n'))
    assert.ok(await b.cache.get(tasks[1].fingerprint), 'restores still work after uploads went off')
  } finally {
    A.cleanup()
    B.cleanup()
    await srv.stop()
  }
})

test('turborepo-remote-cache READ_ONLY=true: the upload is refused, uploads off with one warning, restores go on', async () => {
  if (missing('turborepo-remote-cache', have.turbo)) return
  const rw = await startTurboCache()
  const ro = await startTurboCache({ readOnly: true, dir: rw.dir })
  const A = clone(),
    B = clone()
  try {
    const env = { TASKS_REMOTE_CACHE_TOKEN: 'token' }
    const a = await tiered(A, rw.url, env)
    const tasks = await produce(A, a.cache, randomBytes(6).toString('hex'))
    await a.cache.flush(10_000)
    const b = await tiered(B, ro.url, env)
    assert.ok(await b.cache.get(tasks[0].fingerprint), b.warnings.join('\n'))
    await produce(B, b.cache, randomBytes(6).toString('hex'))
    await b.cache.flush(10_000)
    assert.is(b.cache.stats().uploaded, 0, b.warnings.join('\n'))
    assert.ok(b.cache.stats().uploadsOff, b.warnings.join('\n'))
    assert.is(b.warnings.filter((w) => /uploads off/.test(w)).length, 1, b.warnings.join('\n'))
  } finally {
    A.cleanup()
    B.cleanup()
    await ro.stop()
    await rw.stop()
  }
})

test('an entry whose blob was evicted on the server (nginx) is a miss, not an error', async () => {
  if (missing('nginx', have.nginx)) return
  const srv = await startNginx()
  const A = clone(),
    B = clone()
  try {
    const a = await tiered(A, srv.authUrl)
    const tasks = await produce(A, a.cache, randomBytes(6).toString('hex'))
    await a.cache.flush(10_000)
    const t = tasks.find((x) => x.name === 'c')
    unlinkSync(join(srv.dir, 'cas', sha(readFileSync(join(A.dir, t.paths[0])))))
    const b = await tiered(B, srv.url)
    assert.is(await b.cache.get(t.fingerprint), undefined)
    assert.match(b.warnings.join('\n'), /evicted/)
    assert.is(b.cache.stats().off, undefined)
  } finally {
    A.cleanup()
    B.cleanup()
    await srv.stop()
  }
})

for (const scheme of ['http', 'grpc', 'turbo+http']) {
  test(`${scheme}: a port that accepts and never answers adds a few seconds at most, once, and never fails`, async () => {
    const hung = await startHungServer()
    const A = clone()
    try {
      const a = await tiered(A, `${scheme}://127.0.0.1:${hung.port}`, { TASKS_REMOTE_CACHE_TOKEN: 't' })
      const t0 = performance.now()
      // A run's worth of calls: lookups in parallel and in sequence, stores, the final flush.
      await Promise.all([1, 2, 3, 4].map((i) => a.cache.get(sha(`hung${i}`))))
      for (let i = 0; i < 5; i++) assert.is(await a.cache.get(sha(`hung-seq${i}`)), undefined)
      await produce(A, a.cache, 'hung')
      await a.cache.flush(5000)
      const s = (performance.now() - t0) / 1000
      console.log(`  [figure] ${scheme}: a server that never answers added ${s.toFixed(2)} s to the run`)
      assert.ok(s < 10, `took ${s} s`)
      assert.match(a.cache.stats().off ?? '', /unreachable/)
      assert.is(a.warnings.filter((w) => /off for the rest of the run/.test(w)).length, 1, a.warnings.join('\n'))
    } finally {
      A.cleanup()
      await hung.stop()
    }
  })

  test(`${scheme}: a refused connection costs nothing and turns the remote off`, async () => {
    const port = await freePort()
    const A = clone()
    try {
      const a = await tiered(A, `${scheme}://127.0.0.1:${port}`, { TASKS_REMOTE_CACHE_TOKEN: 't' })
      const t0 = performance.now()
      assert.is(await a.cache.get(sha('refused')), undefined)
      assert.is(await a.cache.get(sha('refused2')), undefined)
      await produce(A, a.cache, 'refused')
      await a.cache.flush(5000)
      console.log(`  [figure] ${scheme}: a refused connection added ${(performance.now() - t0).toFixed(0)} ms`)
      assert.match(a.cache.stats().off ?? '', /unreachable/)
    } finally {
      A.cleanup()
    }
  })
}

test.run()
