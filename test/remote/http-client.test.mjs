// The remote stores' HTTP client on Node's own http/https (issue 8: undici took 260-530 ms to
// load): against real servers on 127.0.0.1 — keep-alive reuse, Content-Length on uploads, the
// three timeouts (connect is the tiered tests' silent port), a reset mid-body,
// an abort, and TLS trusting a CA given by NODE_EXTRA_CA_CERTS (and refusing one it does not know).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO } from '../rig.mjs'

const { HttpClient } = await import(join(REPO, 'dist/lib/cache/remote/http-client.js'))

async function listen(server) {
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return `127.0.0.1:${server.address().port}`
}
const close = (server) => new Promise((r) => (server.closeAllConnections?.(), server.close(() => r())))

async function rejection(p) {
  try {
    await p
  } catch (err) {
    return err
  }
  assert.unreachable('expected a rejection')
}

test('keep-alive: sequential requests share one connection; a PUT carries Content-Length, never chunked', async () => {
  let connections = 0
  const seen = []
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      seen.push({
        method: req.method,
        length: req.headers['content-length'],
        chunked: req.headers['transfer-encoding'],
        body: Buffer.concat(chunks).toString(),
      })
      res.end(`ok ${req.method}`)
    })
  })
  server.on('connection', () => connections++)
  const host = await listen(server)
  const http = new HttpClient(2000, 2000, false)
  try {
    const a = await http.send('GET', `http://${host}/a`, {})
    const b = await http.send(
      'PUT',
      `http://${host}/b`,
      { 'content-type': 'application/octet-stream' },
      Buffer.from('hello'),
    )
    const c = await http.send('HEAD', `http://${host}/c`, {})
    assert.is(a.status, 200)
    assert.is(a.body.toString(), 'ok GET')
    assert.is(b.body.toString(), 'ok PUT')
    assert.is(c.body.length, 0)
    assert.is(connections, 1, 'one kept-alive connection')
    assert.equal(seen[1], { method: 'PUT', length: '5', chunked: undefined, body: 'hello' })
  } finally {
    await http.close()
    await close(server)
  }
})

test('a stall after the headers is unreachable after the body timeout; a reset mid-body is a protocol failure', async () => {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('0123456789')
    if (req.url === '/reset') setTimeout(() => req.socket.destroy(), 50)
    // /stall: never more
  })
  const host = await listen(server)
  const http = new HttpClient(2000, 300, false)
  try {
    const t0 = Date.now()
    const stall = await rejection(http.send('GET', `http://${host}/stall`, {}))
    assert.is(stall.name, 'RemoteError')
    assert.is(stall.kind, 'unreachable', stall.message)
    assert.match(stall.message, /did not answer within the timeout/)
    assert.ok(Date.now() - t0 < 5000, 'bounded by the body timeout')
    const reset = await rejection(http.send('GET', `http://${host}/reset`, {}))
    assert.is(reset.kind, 'protocol', reset.message)
    assert.match(reset.message, /broke off/)
  } finally {
    await http.close()
    await close(server)
  }
})

test('no headers within the timeout is unreachable; an abort rejects with its reason', async () => {
  const server = createServer(() => {}) // accepts, reads, never answers
  const host = await listen(server)
  const http = new HttpClient(2000, 300, false)
  try {
    const silent = await rejection(http.send('GET', `http://${host}/x`, {}))
    assert.is(silent.kind, 'unreachable')
    const ac = new AbortController()
    const p = http.send('GET', `http://${host}/y`, {}, undefined, ac.signal)
    setTimeout(() => ac.abort(new Error('stop now')), 50)
    const aborted = await rejection(p)
    assert.is(aborted.message, 'stop now')
  } finally {
    await http.close()
    await close(server)
  }
})

test('TLS: a CA from NODE_EXTRA_CA_CERTS is trusted; without it the certificate is refused (unreachable)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-tls-'))
  const saved = process.env.NODE_EXTRA_CA_CERTS
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { encoding: 'utf8' },
  )
  assert.is(r.status, 0, r.stderr)
  const server = createTlsServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (req, res) => res.end('secret'),
  )
  const host = await listen(server)
  try {
    delete process.env.NODE_EXTRA_CA_CERTS
    const untrusting = new HttpClient(2000, 2000, true)
    const refused = await rejection(untrusting.send('GET', `https://${host}/`, {}))
    assert.is(refused.kind, 'unreachable', refused.message)
    await untrusting.close()
    process.env.NODE_EXTRA_CA_CERTS = join(dir, 'cert.pem')
    const trusting = new HttpClient(2000, 2000, true)
    const ok = await trusting.send('GET', `https://${host}/`, {})
    assert.is(ok.body.toString(), 'secret')
    await trusting.close()
  } finally {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS
    else process.env.NODE_EXTRA_CA_CERTS = saved
    await close(server)
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
