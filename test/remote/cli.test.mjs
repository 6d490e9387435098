// The remote cache through the real CLI: clone A runs cold and uploads, clone B (another folder,
// empty .tasks/) restores every task from the remote and runs none; the summary line tells what
// happened; a server that is down, hung, read-only or refusing uploads never fails the run.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { project, tasksJson, tasks, dump } from '../rig.mjs'
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
const config = `{
    a: { run: 'mkdir -p out && cat a.txt > out/a.txt && echo built-a && echo ran >> runs-a', inputs: ['a.txt'], outputs: ['out/a.txt'] },
    b: { run: 'mkdir -p out && printf "#!/bin/sh\\\\necho b\\\\n" > out/b.sh && chmod 755 out/b.sh && echo ran >> runs-b', deps: ['a'], inputs: ['b.txt'], outputs: ['out/b.sh'] },
    big: { run: 'mkdir -p out && head -c 20971520 /dev/urandom > out/big.bin && echo ran >> runs-big', inputs: ['big.txt'], outputs: ['out/big.bin'] },
    all: { deps: ['b', 'big'] },
  }`
const files = { 'a.txt': 'A\n', 'b.txt': 'B\n', 'big.txt': 'big\n' }
const runs = (p, t) =>
  existsSync(p.path(`runs-${t}`))
    ? readFileSync(p.path(`runs-${t}`), 'utf8')
        .split('\n')
        .filter(Boolean).length
    : 0

const backends = [
  { name: 'nginx WebDAV', ok: have.nginx, start: startNginx, url: (s) => s.authUrl },
  { name: 'bazel-remote HTTP', ok: have.bazelRemote, start: startBazelRemote, url: (s) => s.httpUrl },
  { name: 'bazel-remote gRPC', ok: have.bazelRemote, start: startBazelRemote, url: (s) => s.grpcUrl },
  {
    name: 'turborepo-remote-cache',
    ok: have.turbo,
    start: () => startTurboCache({ signing: true }),
    url: (s) => s.url,
    env: { TASKS_REMOTE_CACHE_TOKEN: 'token' },
  },
]

for (const be of backends) {
  test(`${be.name}: clone A uploads; clone B restores every task (20 MB included) and runs none; summary lines`, async () => {
    if (missing(be.name, be.ok)) return
    const srv = await be.start()
    const A = project(config, files),
      B = project(config, files)
    try {
      const env = { ...be.env, TASKS_REMOTE_CACHE: be.url(srv), TASKS_REMOTE_CACHE_SIGNATURE_KEY: 'k1' }
      const ra = await tasksJson(A.dir, ['all'], { env })
      assert.is(ra.code, 0, dump(ra))
      for (const t of ['a', 'b', 'big']) assert.is(ra.status[t], 'ran', dump(ra))
      assert.equal(ra.json.summary.remote, { hits: 0, uploaded: 3 }, dump(ra))
      const t0 = Date.now()
      const rb = await tasksJson(B.dir, ['all'], { env })
      const ms = Date.now() - t0
      assert.is(rb.code, 0, dump(rb))
      for (const t of ['a', 'b', 'big']) {
        assert.is(rb.status[t], 'cache-hit', dump(rb))
        assert.is(rb.task(t).cacheSource ?? rb.task(t).reason?.source ?? 'remote', 'remote', dump(rb))
        assert.is(runs(B, t), 0, `${t} ran in clone B`)
      }
      console.log(
        `  [figure] ${be.name}: clone B restored 3 tasks (one 20 MB output) from the remote in ${ms} ms (whole CLI run)`,
      )
      assert.ok(readFileSync(B.path('out/big.bin')).equals(readFileSync(A.path('out/big.bin'))))
      assert.is(statSync(B.path('out/b.sh')).mode & 0o777, 0o755)
      assert.equal(rb.json.summary.remote, { hits: 3, uploaded: 0 }, dump(rb))
      assert.match(rb.stderr, /remote: 3 hits, 0 uploaded/)
      // Plain output says it too.
      const rc = await tasks(B.dir, ['all'], { env })
      assert.match(rc.stderr, /remote: 0 hits, 0 uploaded/)
    } finally {
      A.cleanup()
      B.cleanup()
      await srv.stop()
    }
  })
}

test('read-only (TASKS_REMOTE_CACHE_READ_ONLY=1 and --remote-cache-read-only) uploads nothing; --no-remote-cache turns it off', async () => {
  if (missing('bazel-remote', have.bazelRemote)) return
  const srv = await startBazelRemote()
  const A = project(config, files),
    B = project(config, files)
  try {
    let r = await tasksJson(A.dir, ['a'], {
      env: { TASKS_REMOTE_CACHE: srv.grpcUrl, TASKS_REMOTE_CACHE_READ_ONLY: '1' },
    })
    assert.is(r.code, 0, dump(r))
    assert.is(r.json.summary.remote.uploaded, 0, dump(r))
    assert.match(r.stderr, /remote: 0 hits, 0 uploaded \(read-only\)/)
    r = await tasksJson(A.dir, ['b', '--remote-cache-read-only', '--remote-cache', srv.grpcUrl])
    assert.is(r.json.summary.remote.uploaded, 0, dump(r))
    r = await tasksJson(B.dir, ['b'], { env: { TASKS_REMOTE_CACHE: srv.grpcUrl } })
    assert.is(r.status.a, 'ran', dump(r))
    assert.is(r.status.b, 'ran', dump(r))
    r = await tasksJson(B.dir, ['big', '--no-remote-cache'], { env: { TASKS_REMOTE_CACHE: srv.grpcUrl } })
    assert.is(r.json.summary.remote, undefined, dump(r))
  } finally {
    A.cleanup()
    B.cleanup()
    await srv.stop()
  }
})

test('401 on upload (nginx, no credentials): the run succeeds, one warning, summary says uploads are off', async () => {
  if (missing('nginx', have.nginx)) return
  const srv = await startNginx()
  const A = project(config, files)
  try {
    const r = await tasks(A.dir, ['b'], { env: { TASKS_REMOTE_CACHE: srv.url } })
    assert.is(r.code, 0, dump(r))
    assert.is((r.stderr.match(/uploads off for the rest of the run/g) ?? []).length, 1, dump(r))
    assert.match(r.stderr, /remote: 0 hits, 0 uploaded \(uploads off: .*401/)
  } finally {
    A.cleanup()
    await srv.stop()
  }
})

test('the server stopped mid-run: the run succeeds; the summary says why the remote went off', async () => {
  if (missing('turborepo-remote-cache', have.turbo)) return
  const srv = await startTurboCache()
  const A = project(
    `{
    first: { run: 'echo 1 > first.out', inputs: ['a.txt'], outputs: ['first.out'] },
    stop: { run: 'kill $STOP_PID; sleep 1; echo 2 > stop.out', deps: ['first'], inputs: ['b.txt'], outputs: ['stop.out'] },
    after: { run: 'echo 3 > after.out', deps: ['stop'], inputs: ['big.txt'], outputs: ['after.out'] },
  }`,
    files,
  )
  try {
    const pid = /* the server */ srv.pid
    const r = await tasksJson(A.dir, ['after'], {
      env: { TASKS_REMOTE_CACHE: srv.url, TASKS_REMOTE_CACHE_TOKEN: 'token', STOP_PID: String(pid) },
    })
    assert.is(r.code, 0, dump(r))
    for (const t of ['first', 'stop', 'after']) assert.is(r.status[t], 'ran', dump(r))
    assert.match(r.json.summary.remote.off ?? '', /unreachable/, dump(r))
    assert.match(r.stderr, /remote: \d+ hits?, \d+ uploaded \(off: /)
  } finally {
    A.cleanup()
    await srv.stop()
  }
})

for (const scheme of ['http', 'grpc', 'turbo+http']) {
  test(`${scheme}: a port that accepts and never answers adds at most a few seconds to the whole run; a refused port costs nothing`, async () => {
    const hung = await startHungServer()
    const A = project(config, { ...files }),
      B = project(config, { ...files }),
      C = project(config, { ...files })
    try {
      // Baseline without a remote, then the same cold run against the hung server.
      let t0 = Date.now()
      let r = await tasksJson(A.dir, ['all'])
      const base = Date.now() - t0
      assert.is(r.code, 0, dump(r))
      t0 = Date.now()
      r = await tasksJson(B.dir, ['all'], {
        env: { TASKS_REMOTE_CACHE: `${scheme}://127.0.0.1:${hung.port}`, TASKS_REMOTE_CACHE_TOKEN: 't' },
      })
      const hungMs = Date.now() - t0
      assert.is(r.code, 0, dump(r))
      assert.match(r.json.summary.remote.off ?? '', /unreachable/, dump(r))
      console.log(
        `  [figure] ${scheme}: a server that never answers added ${((hungMs - base) / 1000).toFixed(2)} s to the run (${base} ms without, ${hungMs} ms with)`,
      )
      assert.ok(hungMs - base < 10_000, `added ${hungMs - base} ms`)
      const port = await freePort()
      t0 = Date.now()
      r = await tasksJson(C.dir, ['all'], {
        env: { TASKS_REMOTE_CACHE: `${scheme}://127.0.0.1:${port}`, TASKS_REMOTE_CACHE_TOKEN: 't' },
      })
      assert.is(r.code, 0, dump(r))
      console.log(`  [figure] ${scheme}: a refused port: ${Date.now() - t0} ms (${base} ms without a remote)`)
    } finally {
      A.cleanup()
      B.cleanup()
      C.cleanup()
      await hung.stop()
    }
  })
}

test.run()
