/**
 * The HTTP client the HTTP-based stores share: Node's `http`/`https` with short timeouts (a cache that accepts a
 * connection and never answers costs one timeout, then the tier's circuit breaker stops calling),
 * TLS trusting Node's bundled CAs plus the system's bundle and `NODE_EXTRA_CA_CERTS`, and errors
 * mapped to {@link RemoteError} kinds.
 */
import { readFileSync } from 'node:fs'
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { rootCertificates } from 'node:tls'
import { RemoteError } from './store.js'

/** System CA bundles, first found wins (Debian/Ubuntu, Fedora/RHEL, Alpine/openSUSE). */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
]

/** Node's CAs + the system's bundle + `NODE_EXTRA_CA_CERTS` (an explicit `ca` replaces Node's default store, so all are listed). */
export function trustedCas(): string[] {
  const cas = [...rootCertificates]
  for (const f of SYSTEM_BUNDLES) {
    try {
      cas.push(readFileSync(f, 'utf8'))
      break
    } catch {}
  }
  if (process.env.NODE_EXTRA_CA_CERTS) {
    try {
      cas.push(readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8'))
    } catch {}
  }
  return cas
}

/** The largest response body read, bytes (2 GiB). */
export const MAX_RESPONSE_BYTES = 2 * 1024 ** 3

/** A response with its body read. */
export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** The HTTP methods the stores send. */
export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST'

/** An error of this client's own timeouts, with a code {@link describeNetworkError} knows. */
class TimeoutError extends Error {
  constructor(
    readonly code: 'CONNECT_TIMEOUT' | 'HEADERS_TIMEOUT' | 'BODY_TIMEOUT',
    ms: number,
  ) {
    super(`${code === 'CONNECT_TIMEOUT' ? 'no connection' : 'no answer'} within ${ms} ms`)
  }
}

/**
 * One HTTP client per store, on Node's own `http`/`https` with a keep-alive agent (16 sockets per
 * origin). Node's modules are part of its binary; undici from npm took 260–530 ms to load here, a
 * third of a remote restore. Three timeouts, as undici's `connect.timeout`, `headersTimeout` and
 * `bodyTimeout`: the connection, the response headers, and the longest pause between body chunks.
 */
export class HttpClient {
  private readonly agent: HttpAgent | HttpsAgent
  /**
   * @param connectTimeoutMs time to open the TCP (and TLS) connection, ms
   * @param requestTimeoutMs time to the response headers, and the longest pause between body chunks, ms
   * @param tls whether the store's URLs are https (one agent per client: every URL of a store shares its scheme)
   */
  constructor(
    private readonly connectTimeoutMs: number,
    private readonly requestTimeoutMs: number,
    private readonly tls: boolean,
  ) {
    this.agent = tls
      ? new HttpsAgent({ keepAlive: true, maxSockets: 16, ca: trustedCas() })
      : new HttpAgent({ keepAlive: true, maxSockets: 16 })
  }

  /**
   * Send a request and read the whole response body (at most {@link MAX_RESPONSE_BYTES}).
   * @throws {RemoteError} `unreachable` on a connection error or timeout, `protocol` when the
   *   answer breaks off or is too large; never for an HTTP status. An abort rejects with the signal's reason.
   */
  send(
    method: HttpMethod,
    url: string,
    headers: Record<string, string>,
    body?: Buffer,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const u = new URL(url)
      if ((u.protocol === 'https:') !== this.tls)
        return reject(
          new RemoteError('protocol', `${u.protocol} URL on a client made for ${this.tls ? 'https' : 'http'}`),
        )
      let timer: NodeJS.Timeout | undefined
      let done = false
      let armed: TimeoutError['code'] | undefined
      // One timer per phase; a new body chunk only pushes it back (`refresh`). The error is made when it fires.
      const arm = (code: TimeoutError['code'], ms: number) => {
        if (armed === code && timer) return void timer.refresh()
        clearTimeout(timer)
        armed = code
        timer = setTimeout(() => req.destroy(new TimeoutError(code, ms)), ms)
      }
      const finish = (err: unknown, value?: HttpResponse) => {
        if (done) return
        done = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (err === undefined) resolve(value!)
        else reject(err)
      }
      const onAbort = () => {
        req.destroy()
        finish(signal!.reason)
      }
      let answered = false
      const req = (this.tls ? httpsRequest : httpRequest)(u, {
        method,
        headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
        agent: this.agent,
      })
      signal?.addEventListener('abort', onAbort, { once: true })
      arm('CONNECT_TIMEOUT', this.connectTimeoutMs)
      req.on('socket', (socket) => {
        const connected = () => arm('HEADERS_TIMEOUT', this.requestTimeoutMs)
        // A kept-alive socket is connected already; a new one says so once (TLS: after the handshake).
        if ((socket as { connecting?: boolean }).connecting)
          socket.once(this.tls ? 'secureConnect' : 'connect', connected)
        else connected()
      })
      const fail = (err: unknown) => {
        if (signal?.aborted) return finish(signal.reason)
        // The server answered, then broke off: a stall is unreachable, anything else (a reset after
        // the headers, as bazel-remote does on a corrupt stored blob) is this request's failure.
        if (answered)
          finish(
            new RemoteError(
              (err as { code?: string }).code === 'BODY_TIMEOUT' ? 'unreachable' : 'protocol',
              `the response broke off: ${describeNetworkError(err)}`,
            ),
          )
        else finish(new RemoteError('unreachable', describeNetworkError(err)))
      }
      req.on('error', fail)
      req.on('response', (res) => {
        answered = true
        const idle = () => arm('BODY_TIMEOUT', this.requestTimeoutMs)
        idle()
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          // A server is untrusted: an answer larger than any result we would accept is refused, not buffered.
          if (size > MAX_RESPONSE_BYTES) {
            finish(new RemoteError('protocol', `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`))
            req.destroy()
            return
          }
          chunks.push(c)
          idle()
        })
        res.on('error', fail)
        res.on('end', () => {
          if (res.complete)
            finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
        })
        // Closed before the whole body came (a reset, a destroy by a timeout): the error, if any, came first.
        res.on('close', () => fail(Object.assign(new Error('the connection closed mid-body'), { code: 'ECONNRESET' })))
      })
      req.end(body)
    })
  }

  /** Close the agent's sockets (kept-alive ones included). */
  async close(): Promise<void> {
    this.agent.destroy()
  }
}

/** A short reason for a network error: `connection refused`, `no answer within 3000 ms`, ... */
export function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = e.code ?? e.cause?.code
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found'
    case 'CONNECT_TIMEOUT':
      return 'no connection within the timeout'
    case 'HEADERS_TIMEOUT':
    case 'BODY_TIMEOUT':
      return 'the server did not answer within the timeout'
    default:
      return e.message ?? String(err)
  }
}

/** The RemoteError for an unexpected HTTP status (401/403 auth, 413 too large, else protocol). */
export function statusError(what: string, r: HttpResponse): RemoteError {
  const text = r.body.toString('utf8', 0, Math.min(r.body.length, 200)).replace(/\s+/g, ' ').trim()
  // turborepo-remote-cache answers 400 for a missing Authorization header.
  const kind =
    r.status === 401 || r.status === 403 || (r.status === 400 && /authori[sz]ation/i.test(text))
      ? 'auth'
      : r.status === 413
        ? 'too-large'
        : 'protocol'
  return new RemoteError(kind, `${what}: HTTP ${r.status}${text ? ` (${text})` : ''}`, r.status)
}
