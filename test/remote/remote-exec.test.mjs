// The REAPI v2 remote execution client (lib/remote-exec/) against a real Buildbarn started by
// test/remote/buildbarn.mjs on 127.0.0.1, plus unit tests of the input root's Merkle tree (no server).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as net from 'node:net'
import { buildbarnDir, missingBuildbarn, startBuildbarn } from './buildbarn.mjs'
import { freePort } from './servers.mjs'
import { buildInputRoot, digestOf } from '../../dist/lib/remote-exec/input-root.js'
import { buildAction, buildCommand } from '../../dist/lib/remote-exec/action.js'
import { decode } from '../../dist/lib/remote-exec/proto.js'
import { RemoteExecutor } from '../../dist/lib/remote-exec/client.js'
import { RemoteExecError } from '../../dist/lib/remote-exec/errors.js'
import { executorStatus } from '../../dist/lib/remote-exec/status.js'

const sha = (b) => createHash('sha256').update(b).digest('hex')
// The root digest of the first test's list, pinned: it was cross-checked with an independent
// hand-written encoder of the protobuf wire format (tag order, proto3 defaults omitted).
const PINNED_ROOT = '701be76813c7cab834a8bc7aa051b4a1fba1915e7e085c1c99f7c99708cc1b4d'
const files = (m) => Object.entries(m).map(([path, text]) => ({ path, bytes: Buffer.from(text) }))

// ---- (f) input root determinism: unit tests, no server -------------------------------------------

test('input root: the same files in any order give the same root digest; the Directory messages are canonical', () => {
  const list = [
    { path: 'in/a.txt', bytes: Buffer.from('alpha\n') },
    { path: 'in/sub/z.sh', bytes: Buffer.from('#!/bin/sh\necho z\n'), executable: true },
    { path: 'b.txt', bytes: Buffer.from('beta\n') },
    { path: 'in/B.txt', bytes: Buffer.from('upper\n') },
    { path: 'link', symlink: 'b.txt' },
  ]
  const a = buildInputRoot(list)
  const b = buildInputRoot([...list].reverse())
  assert.equal(a.root, b.root)
  assert.equal([...a.blobs.keys()].sort(), [...b.blobs.keys()].sort())
  // A pinned value: any machine, any Node version, gives exactly this digest for this list.
  assert.is(a.root.hash, PINNED_ROOT, `root digest changed: ${a.root.hash}`)
  const root = decode('reapi.Directory', a.blobs.get(a.root.hash).bytes)
  assert.equal(
    root.files.map((f) => f.name),
    ['b.txt'],
  )
  assert.equal(
    root.directories.map((d) => d.name),
    ['in'],
  )
  assert.equal(root.symlinks, [{ name: 'link', target: 'b.txt' }])
  const inDir = decode('reapi.Directory', a.blobs.get(root.directories[0].digest.hash).bytes)
  // Sorted by UTF-8 bytes: 'B.txt' (0x42) before 'a.txt' (0x61).
  assert.equal(
    inDir.files.map((f) => f.name),
    ['B.txt', 'a.txt'],
  )
  const sub = decode('reapi.Directory', a.blobs.get(inDir.directories[0].digest.hash).bytes)
  assert.equal(sub.files[0].isExecutable, true)
  // Every blob is stored under its own SHA-256, and a file's blob is its content.
  for (const [hash, blob] of a.blobs) if (blob.bytes) assert.is(sha(blob.bytes), hash)
  assert.ok(a.blobs.has(sha('alpha\n')))
})

test('input root: content, names and the executable bit change the digest; local metadata does not enter it', () => {
  const base = buildInputRoot(files({ 'x/y.txt': 'y' })).root.hash
  assert.is.not(buildInputRoot(files({ 'x/y.txt': 'Y' })).root.hash, base)
  assert.is.not(buildInputRoot(files({ 'x/z.txt': 'y' })).root.hash, base)
  assert.is.not(buildInputRoot([{ path: 'x/y.txt', bytes: Buffer.from('y'), executable: true }]).root.hash, base)
  // A file given by digest + path digests the same as one given by bytes.
  const dir = mkdtempSync(join(tmpdir(), 'tasks-input-root-'))
  try {
    writeFileSync(join(dir, 'y.txt'), 'y')
    const viaFile = buildInputRoot([{ path: 'x/y.txt', digest: digestOf(Buffer.from('y')), file: join(dir, 'y.txt') }])
    assert.is(viaFile.root.hash, base)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  // The empty root is the empty Directory message: the empty blob.
  assert.is(buildInputRoot([]).root.hash, sha(''))
})

test('input root: bad paths and duplicates are refused', () => {
  for (const path of ['/abs', '../up', 'a/../b', 'a//b', 'a/', '', './a', 'a\\b'])
    assert.throws(() => buildInputRoot(files({ [path]: 'x' })), /must be relative/, path)
  assert.throws(() => buildInputRoot([...files({ 'a.txt': '1' }), ...files({ 'a.txt': '2' })]), /listed twice/)
  assert.throws(() => buildInputRoot(files({ a: '1', 'a/b': '2' })), /which is a file/)
})

test('command and action: env and output paths sorted, platform sorted, same inputs same action digest', () => {
  const root = buildInputRoot(files({ 'a.txt': 'a' })).root
  const c1 = buildCommand({
    arguments: ['sh', '-c', 'true'],
    env: { ZED: '1', ALPHA: '2' },
    outputPaths: ['out/b', 'out/a', 'out/b'],
    platform: { os: 'linux', arch: 'x86_64' },
  })
  const c2 = buildCommand({
    arguments: ['sh', '-c', 'true'],
    env: { ALPHA: '2', ZED: '1' },
    outputPaths: ['out/a', 'out/b'],
    platform: { arch: 'x86_64', os: 'linux' },
  })
  assert.equal(c1.digest, c2.digest)
  const cmd = decode('reapi.Command', c1.bytes)
  assert.equal(
    cmd.environmentVariables.map((e) => e.name),
    ['ALPHA', 'ZED'],
  )
  assert.equal(cmd.outputPaths, ['out/a', 'out/b'])
  const a1 = buildAction(c1, { inputRoot: root, timeoutMs: 1500 }, { os: 'linux', arch: 'x86_64' })
  const a2 = buildAction(c2, { inputRoot: root, timeoutMs: 1500 }, { arch: 'x86_64', os: 'linux' })
  assert.equal(a1.digest, a2.digest)
  const action = decode('reapi.Action', a1.bytes)
  assert.equal(action.timeout, { seconds: 1, nanos: 500_000_000 })
  assert.equal(
    action.platform.properties.map((p) => p.name),
    ['arch', 'os'],
  )
  assert.is.not(buildAction(c1, { inputRoot: root, timeoutMs: 2000 }).digest.hash, a1.digest.hash)
  assert.is(decode('reapi.Action', buildAction(c1, { inputRoot: root, doNotCache: true }).bytes).doNotCache, true)
})

// ---- against Buildbarn --------------------------------------------------------------------------

const skip = missingBuildbarn()
let bb, client
const PLATFORM = { OSFamily: 'linux', 'container-image': 'none' }

const twoFiles = () => buildInputRoot(files({ 'in/a.txt': 'alpha bytes\n', 'in/other.txt': 'other\n' }))
const ENV = { PATH: '/usr/bin:/bin' }

test('Buildbarn: start (1 worker)', async () => {
  if (skip) return
  const t0 = Date.now()
  bb = await startBuildbarn({ workers: 1, platform: PLATFORM })
  console.log(`  Buildbarn ready in ${Date.now() - t0} ms (${buildbarnDir()})`)
  client = new RemoteExecutor({ url: bb.endpoint, instance: bb.instance })
})

test('(a) an action runs remotely: exit 0, its output file, its stdout', async () => {
  if (skip) return
  const r = await client.execute({
    arguments: ['/bin/sh', '-c', 'cat in/a.txt > out/b.txt; echo hi'],
    env: ENV,
    outputPaths: ['out/b.txt'],
    platform: PLATFORM,
    inputs: twoFiles(),
    timeoutMs: 60_000,
  })
  assert.is(r.exitCode, 0, r.stderr.toString())
  assert.is(r.servedBy, 'execute')
  assert.is(r.stdout.toString(), 'hi\n')
  const out = r.outputs.find((o) => o.path === 'out/b.txt')
  assert.ok(out, JSON.stringify(r.outputs))
  assert.is(out.type, 'file')
  assert.is(out.bytes.toString(), 'alpha bytes\n')
  assert.is(out.digest.hash, sha('alpha bytes\n'))
  assert.ok(r.upload.missing >= 4, `uploaded ${JSON.stringify(r.upload)}`) // action, command, 2 dirs, 2 files
  assert.ok(r.worker, 'the result names its worker')
})

test('(b) the second identical call is served by GetActionResult, without Execute', async () => {
  if (skip) return
  const before = { ...client.connection.calls }
  const r = await client.execute({
    arguments: ['/bin/sh', '-c', 'cat in/a.txt > out/b.txt; echo hi'],
    env: ENV,
    outputPaths: ['out/b.txt'],
    platform: PLATFORM,
    inputs: twoFiles(),
    timeoutMs: 60_000,
  })
  assert.is(r.servedBy, 'action-cache')
  assert.is(r.cached, true)
  assert.is(r.stdout.toString(), 'hi\n')
  assert.is(r.outputs.find((o) => o.path === 'out/b.txt').bytes.toString(), 'alpha bytes\n')
  assert.is(client.connection.calls.Execute - before.Execute, 0, 'no Execute')
  assert.is(client.connection.calls.GetActionResult - before.GetActionResult, 1)
  assert.is(client.connection.calls.FindMissingBlobs - before.FindMissingBlobs, 0, 'nothing uploaded')
})

test('(c) a failing command returns its exit code and stderr (a result, not an error)', async () => {
  if (skip) return
  const r = await client.execute({
    arguments: ['/bin/sh', '-c', 'echo out; echo "it broke" >&2; exit 3'],
    env: ENV,
    platform: PLATFORM,
    inputs: buildInputRoot([]),
  })
  assert.is(r.exitCode, 3)
  assert.is(r.stderr.toString(), 'it broke\n')
  assert.is(r.stdout.toString(), 'out\n')
  // Failures are not stored in the action cache: the same action executes again.
  const before = client.connection.calls.Execute
  const again = await client.execute({
    arguments: ['/bin/sh', '-c', 'echo out; echo "it broke" >&2; exit 3'],
    env: ENV,
    platform: PLATFORM,
    inputs: buildInputRoot([]),
  })
  assert.is(again.exitCode, 3)
  assert.is(client.connection.calls.Execute - before, 1)
})

test('(d) a platform no worker has is a bad-request error naming the properties', async () => {
  if (skip) return
  const t0 = Date.now()
  try {
    await client.execute({
      arguments: ['/bin/true'],
      platform: { OSFamily: 'windows', 'container-image': 'none' },
      inputs: buildInputRoot([]),
    })
    assert.unreachable('should have thrown')
  } catch (err) {
    assert.instance(err, RemoteExecError)
    assert.is(err.kind, 'bad-request', err.message)
    assert.is(err.fallback, false)
    assert.match(err.message, /OSFamily=windows/)
    assert.match(err.message, /container-image=none/)
    assert.equal(err.platform, { 'container-image': 'none', OSFamily: 'windows' })
  }
  assert.ok(Date.now() - t0 < 10_000, 'answered promptly')
})

test('(e) an output directory comes back through a Tree, an executable keeping its bit, with symlinks', async () => {
  if (skip) return
  const r = await client.execute({
    arguments: [
      '/bin/sh',
      '-c',
      'mkdir -p dist/bin dist/empty && printf "#!/bin/sh\\necho tool\\n" > dist/bin/tool && chmod +x dist/bin/tool && echo data > dist/data.txt && ln -s data.txt dist/link',
    ],
    env: ENV,
    outputPaths: ['dist'],
    platform: PLATFORM,
    inputs: buildInputRoot([]),
  })
  assert.is(r.exitCode, 0, r.stderr.toString())
  const by = Object.fromEntries(r.outputs.map((o) => [o.path, o]))
  assert.is(by['dist/bin/tool']?.type, 'file', JSON.stringify(r.outputs.map((o) => o.path)))
  assert.is(by['dist/bin/tool'].executable, true)
  assert.is(by['dist/bin/tool'].bytes.toString(), '#!/bin/sh\necho tool\n')
  assert.is(by['dist/data.txt'].executable, false)
  assert.is(by['dist/data.txt'].bytes.toString(), 'data\n')
  assert.equal(by['dist/link'], { type: 'symlink', path: 'dist/link', target: 'data.txt' })
  assert.is(by['dist/empty']?.type, 'directory')
  assert.is(by['dist']?.type, 'directory')
})

test('a large input goes through ByteStream Write and a large output comes back through ByteStream Read', async () => {
  if (skip) return
  const big = Buffer.alloc(6 * 1024 * 1024, 7) // above the 4 MiB batch ceiling
  const before = { ...client.connection.calls }
  const r = await client.execute({
    arguments: ['/bin/sh', '-c', 'cp big.bin copy.bin'],
    env: ENV,
    outputPaths: ['copy.bin'],
    platform: PLATFORM,
    inputs: buildInputRoot([{ path: 'big.bin', bytes: big }]),
  })
  assert.is(r.exitCode, 0, r.stderr.toString())
  assert.is(r.upload.streamed, 1)
  assert.is(client.connection.calls.Write - before.Write, 1)
  assert.ok(client.connection.calls.Read - before.Read >= 1)
  assert.ok(r.outputs[0].bytes.equals(big))
})

test('Action.timeout is enforced: a result with timedOut', async () => {
  if (skip) return
  const t0 = Date.now()
  const r = await client.execute({
    arguments: ['/bin/sh', '-c', 'echo started; sleep 5'],
    env: ENV,
    platform: PLATFORM,
    inputs: buildInputRoot([]),
    timeoutMs: 1000,
  })
  assert.is(r.timedOut, true)
  assert.is.not(r.exitCode, 0)
  assert.is(r.stdout.toString(), 'started\n', 'the log up to the timeout is kept')
  assert.ok(Date.now() - t0 < 4500, `took ${Date.now() - t0} ms`)
})

test('a dropped Execute stream is re-attached with WaitExecution', async () => {
  if (skip) return
  // A TCP proxy in front of bb_storage; once the action is EXECUTING, every connection through it
  // is cut: the Execute stream drops, and the client re-attaches through a new connection.
  const port = await freePort()
  const target = Number(new URL(bb.endpoint).port)
  const sockets = new Set()
  const proxy = net.createServer((c) => {
    const s = net.connect(target, '127.0.0.1')
    c.pipe(s).pipe(c)
    const cut = () => (c.destroy(), s.destroy())
    c.on('error', cut)
    s.on('error', cut)
    sockets.add(cut)
  })
  await new Promise((r) => proxy.listen(port, '127.0.0.1', r))
  const flaky = new RemoteExecutor({ url: `grpc://127.0.0.1:${port}`, maxReattach: 10 })
  let cuts = 0
  try {
    const r = await flaky.execute({
      arguments: ['/bin/sh', '-c', `sleep 2; echo survived ${Date.now()}`],
      env: ENV,
      platform: PLATFORM,
      inputs: buildInputRoot([]),
      onStage: (stage) => {
        if (stage !== 'EXECUTING' || cuts++) return
        for (const cut of sockets) cut()
        sockets.clear()
      },
    })
    assert.is(r.exitCode, 0)
    assert.match(r.stdout.toString(), /^survived/)
    assert.ok(cuts >= 1, 'the stream was cut')
    assert.ok(flaky.connection.calls.WaitExecution >= 1, JSON.stringify(flaky.connection.calls))
    assert.is(flaky.connection.calls.Execute, 1)
  } finally {
    flaky.close()
    for (const cut of sockets) cut()
    proxy.close()
  }
})

test('status: GetCapabilities summary', async () => {
  if (skip) return
  const s = await executorStatus({ url: bb.endpoint })
  assert.is(s.reachable, true, s.error)
  assert.is(s.execEnabled, true)
  assert.ok(s.cacheDigestFunctions.includes('SHA256'), JSON.stringify(s))
  assert.ok(s.apiVersions.high?.startsWith('2.'), JSON.stringify(s.apiVersions))
})

test('an unreachable executor is an infrastructure error the caller may fall back from', async () => {
  const port = await freePort() // nothing listens there
  const c = new RemoteExecutor({ url: `grpc://127.0.0.1:${port}`, requestTimeoutMs: 2000 })
  try {
    await c.execute({ arguments: ['/bin/true'], inputs: buildInputRoot([]) })
    assert.unreachable('should have thrown')
  } catch (err) {
    assert.instance(err, RemoteExecError)
    assert.is(err.kind, 'infrastructure', err.message)
    assert.is(err.fallback, true)
  } finally {
    c.close()
  }
  const s = await executorStatus({ url: `grpc://127.0.0.1:${port}`, requestTimeoutMs: 2000 })
  assert.is(s.reachable, false)
  assert.match(s.error, /UNAVAILABLE|DEADLINE/)
})

test('Buildbarn: stop', async () => {
  client?.close()
  await bb?.stop()
})

test.run()
