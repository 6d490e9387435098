/**
 * The HTTP client the HTTP-based stores share: undici with short timeouts (a cache that accepts a
 * connection and never answers costs one timeout, then the tier's circuit breaker stops calling),
 * TLS trusting Node's bundled CAs plus the system's bundle and `NODE_EXTRA_CA_CERTS`, and errors
 * mapped to {@link RemoteError} kinds.
 */
import { Agent, request, type Dispatcher } from 'undici'
import { readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'
import { RemoteError } from './store.js'

/** System CA bundles, first found wins (Debian/Ubuntu, Fedora/RHEL, Alpine/openSUSE). */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem']

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

/** One HTTP client per store. */
export class HttpClient {
  private readonly agent: Agent
  /**
   * @param connectTimeoutMs time to open the TCP (and TLS) connection, ms
   * @param requestTimeoutMs time to the response headers, and the longest pause between body chunks, ms
   */
  constructor(connectTimeoutMs: number, requestTimeoutMs: number, tls: boolean) {
    this.agent = new Agent({
      connect: { timeout: connectTimeoutMs, ...(tls ? { ca: trustedCas() } : {}) },
      headersTimeout: requestTimeoutMs,
      bodyTimeout: requestTimeoutMs,
      connections: 16,
    })
  }

  /**
   * Send a request and read the whole response body.
   * @throws {RemoteError} `unreachable` on a connection error or timeout; never for an HTTP status.
   */
  async send(method: Dispatcher.HttpMethod, url: string, headers: Record<string, string>, body?: Buffer, signal?: AbortSignal): Promise<HttpResponse> {
    let r: Dispatcher.ResponseData
    try {
      r = await request(url, { method, headers, body, dispatcher: this.agent, signal })
    } catch (err) {
      if (signal?.aborted) throw err
      throw new RemoteError('unreachable', describeNetworkError(err))
    }
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const c of r.body) {
        size += (c as Buffer).length
        // A server is untrusted: an answer larger than any result we would accept is refused, not buffered.
        if (size > MAX_RESPONSE_BYTES) {
          r.body.destroy()
          throw new RemoteError('protocol', `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`)
        }
        chunks.push(c as Buffer)
      }
    } catch (err) {
      if (err instanceof RemoteError) throw err
      if (signal?.aborted) throw err
      // The server answered, then broke off: a stall is unreachable, anything else (a reset after
      // the headers, as bazel-remote does on a corrupt stored blob) is this request's failure.
      const code = (err as { code?: string }).code
      throw new RemoteError(code === 'UND_ERR_BODY_TIMEOUT' ? 'unreachable' : 'protocol', `the response broke off: ${describeNetworkError(err)}`)
    }
    return { status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => {})
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
    case 'UND_ERR_SOCKET':
      return 'connection reset'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found'
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'no connection within the timeout'
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'the server did not answer within the timeout'
    default:
      return e.message ?? String(err)
  }
}

/** The RemoteError for an unexpected HTTP status (401/403 auth, 413 too large, else protocol). */
export function statusError(what: string, r: HttpResponse): RemoteError {
  const text = r.body.toString('utf8', 0, Math.min(r.body.length, 200)).replace(/\s+/g, ' ').trim()
  // turborepo-remote-cache answers 400 for a missing Authorization header.
  const kind = r.status === 401 || r.status === 403 || (r.status === 400 && /authori[sz]ation/i.test(text)) ? 'auth' : r.status === 413 ? 'too-large' : 'protocol'
  return new RemoteError(kind, `${what}: HTTP ${r.status}${text ? ` (${text})` : ''}`, r.status)
}
