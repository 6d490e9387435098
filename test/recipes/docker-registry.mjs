// A minimal Docker Registry HTTP API v2 (push and pull of manifests and blobs) with Basic auth, in
// memory, for the docker.push tests. The Docker daemon treats 127.0.0.0/8 registries as insecure
// (plain HTTP allowed) by default, so no daemon configuration is needed.
import { createServer } from 'node:http'
import { createHash, randomUUID } from 'node:crypto'

/**
 * Start the registry on 127.0.0.1 (random port).
 * @param {{ username: string, password: string }} auth credentials every request must carry
 * @returns {Promise<{ host: string, manifests: Map<string, {type: string, body: Buffer}>, requests: string[], close(): Promise<void> }>}
 */
export async function startRegistry(auth) {
  const blobs = new Map() // digest -> Buffer
  const uploads = new Map() // uuid -> Buffer[]
  const manifests = new Map() // name:ref -> { type, body, digest }
  const requests = []
  const expected = 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`).toString('base64')
  const digestOf = (buf) => 'sha256:' + createHash('sha256').update(buf).digest('hex')

  const server = createServer(async (req, res) => {
    const chunks = []
    for await (const c of req) chunks.push(c)
    const body = Buffer.concat(chunks)
    const url = new URL(req.url, 'http://x')
    const path = url.pathname
    requests.push(`${req.method} ${path}`)
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0')
    if (req.headers.authorization !== expected) {
      res.writeHead(401, {
        'WWW-Authenticate': 'Basic realm="typed-tasks test registry"',
        'Content-Type': 'application/json',
      })
      return res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }))
    }
    let m
    if (path === '/v2/' || path === '/v2') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}')
    if ((m = /^\/v2\/(.+)\/blobs\/uploads\/?$/.exec(path)) && req.method === 'POST') {
      const id = randomUUID()
      uploads.set(id, [])
      return res
        .writeHead(202, {
          Location: `/v2/${m[1]}/blobs/uploads/${id}`,
          'Docker-Upload-UUID': id,
          Range: '0-0',
          'Content-Length': '0',
        })
        .end()
    }
    if ((m = /^\/v2\/(.+)\/blobs\/uploads\/([\w-]+)$/.exec(path))) {
      const parts = uploads.get(m[2])
      if (!parts) return res.writeHead(404).end()
      parts.push(body)
      const size = parts.reduce((n, b) => n + b.length, 0)
      if (req.method === 'PATCH') {
        return res
          .writeHead(202, {
            Location: path,
            'Docker-Upload-UUID': m[2],
            Range: `0-${Math.max(0, size - 1)}`,
            'Content-Length': '0',
          })
          .end()
      }
      if (req.method === 'PUT') {
        const data = Buffer.concat(parts)
        const digest = url.searchParams.get('digest')
        if (digestOf(data) !== digest)
          return res.writeHead(400).end(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID' }] }))
        blobs.set(digest, data)
        uploads.delete(m[2])
        return res
          .writeHead(201, {
            Location: `/v2/${m[1]}/blobs/${digest}`,
            'Docker-Content-Digest': digest,
            'Content-Length': '0',
          })
          .end()
      }
    }
    if ((m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]+)$/.exec(path))) {
      const data = blobs.get(m[2])
      if (!data)
        return res
          .writeHead(404, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN' }] }))
      res.writeHead(200, {
        'Content-Length': data.length,
        'Docker-Content-Digest': m[2],
        'Content-Type': 'application/octet-stream',
      })
      return res.end(req.method === 'HEAD' ? undefined : data)
    }
    if ((m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path))) {
      const key = `${m[1]}:${m[2]}`
      if (req.method === 'PUT') {
        const digest = digestOf(body)
        const entry = { type: req.headers['content-type'], body, digest }
        manifests.set(key, entry)
        manifests.set(`${m[1]}:${digest}`, entry)
        return res
          .writeHead(201, {
            Location: `/v2/${m[1]}/manifests/${digest}`,
            'Docker-Content-Digest': digest,
            'Content-Length': '0',
          })
          .end()
      }
      const entry = manifests.get(key)
      if (!entry)
        return res
          .writeHead(404, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN' }] }))
      res.writeHead(200, {
        'Content-Type': entry.type,
        'Content-Length': entry.body.length,
        'Docker-Content-Digest': entry.digest,
      })
      return res.end(req.method === 'HEAD' ? undefined : entry.body)
    }
    res.writeHead(404).end()
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address()
  return {
    host: `127.0.0.1:${port}`,
    manifests,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.()
        server.close(() => r())
      }),
  }
}
