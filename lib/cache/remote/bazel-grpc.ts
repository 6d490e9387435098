/**
 * Bazel's gRPC remote cache (REAPI v2): `Capabilities.GetCapabilities`, `ActionCache`
 * (`GetActionResult`, NOT_FOUND = miss; `UpdateActionResult`), `ContentAddressableStorage`
 * (`FindMissingBlobs`, `BatchUpdateBlobs`, `BatchReadBlobs`) and `google.bytestream.ByteStream`
 * (`Read`/`Write`) for blobs above the batch limit. Served by bazel-remote, Buildbarn, BuildBuddy,
 * NativeLink. @grpc/grpc-js with protobufjs codecs from `proto.ts` (no generated code).
 */
import * as grpc from '@grpc/grpc-js'
import type protobuf from 'protobufjs'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { trustedCas } from './http-client.js'
import { SHA256, actionResultToEnvelope, envelopeToActionResult, sizeOf, type } from './proto.js'
import {
  RemoteError,
  type Digest,
  type Envelope,
  type ProbeCheck,
  type ProbeReport,
  type RemoteStore,
  type StoreOptions,
} from './store.js'
import type { RemoteUrl } from './url.js'

/**
 * The (de)serialisers @grpc/grpc-js wants for one protobufjs message type: plain objects in, plain
 * objects out (int64 as numbers, bytes as Buffers, unset fields absent). Also used by lib/remote-exec/.
 */
export const codecOf = (T: protobuf.Type) => ({
  serialize: (m: object) => Buffer.from(T.encode(T.fromObject(m)).finish()),
  deserialize: (b: Buffer) =>
    T.toObject(T.decode(b), { longs: Number, bytes: Buffer, defaults: false }) as Record<string, any>,
})
const codec = (name: string) => codecOf(type(name))
const METHODS = {
  getCapabilities: [
    '/build.bazel.remote.execution.v2.Capabilities/GetCapabilities',
    'reapi.GetCapabilitiesRequest',
    'reapi.ServerCapabilities',
  ],
  getActionResult: [
    '/build.bazel.remote.execution.v2.ActionCache/GetActionResult',
    'reapi.GetActionResultRequest',
    'reapi.ActionResult',
  ],
  updateActionResult: [
    '/build.bazel.remote.execution.v2.ActionCache/UpdateActionResult',
    'reapi.UpdateActionResultRequest',
    'reapi.ActionResult',
  ],
  findMissingBlobs: [
    '/build.bazel.remote.execution.v2.ContentAddressableStorage/FindMissingBlobs',
    'reapi.FindMissingBlobsRequest',
    'reapi.FindMissingBlobsResponse',
  ],
  batchUpdateBlobs: [
    '/build.bazel.remote.execution.v2.ContentAddressableStorage/BatchUpdateBlobs',
    'reapi.BatchUpdateBlobsRequest',
    'reapi.BatchUpdateBlobsResponse',
  ],
  batchReadBlobs: [
    '/build.bazel.remote.execution.v2.ContentAddressableStorage/BatchReadBlobs',
    'reapi.BatchReadBlobsRequest',
    'reapi.BatchReadBlobsResponse',
  ],
  read: ['/google.bytestream.ByteStream/Read', 'google.bytestream.ReadRequest', 'google.bytestream.ReadResponse'],
  write: ['/google.bytestream.ByteStream/Write', 'google.bytestream.WriteRequest', 'google.bytestream.WriteResponse'],
} as const
type Method = keyof typeof METHODS

/** gRPC's default message limit (4 MiB) less room for the framing of a batch. */
const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024 - 64 * 1024
const CHUNK = 1024 * 1024

/** A REAPI v2 remote cache over gRPC. */
export class BazelGrpcStore implements RemoteStore {
  readonly protocol = 'bazel-grpc'
  readonly display: string
  private readonly client: grpc.Client
  private readonly metadata: grpc.Metadata
  private readonly timeoutMs: number
  private caps?: Promise<Record<string, any>>

  constructor(
    private readonly url: RemoteUrl,
    options: StoreOptions,
  ) {
    this.display = url.display
    this.timeoutMs = options.requestTimeoutMs ?? 3000
    const channel = grpcChannel(url, options.token)
    this.client = channel.client
    this.metadata = channel.metadata
  }

  private unary(
    method: Method,
    request: object,
    timeoutMs = this.timeoutMs,
    signal?: AbortSignal,
  ): Promise<Record<string, any>> {
    const [path, req, res] = METHODS[method]
    const a = codec(req),
      b = codec(res)
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        path,
        a.serialize,
        b.deserialize,
        request,
        this.metadata,
        { deadline: Date.now() + timeoutMs },
        (err, value) => {
          signal?.removeEventListener('abort', cancel)
          if (err) reject(grpcError(method, err))
          else resolve(value!)
        },
      )
      const cancel = () => call.cancel()
      signal?.addEventListener('abort', cancel, { once: true })
    })
  }

  private capabilities(): Promise<Record<string, any>> {
    this.caps ??= this.unary('getCapabilities', { instanceName: this.url.instance }).catch((err) => {
      this.caps = undefined
      throw err
    })
    return this.caps
  }

  private async batchLimit(): Promise<number> {
    const max = Number((await this.capabilities()).cacheCapabilities?.maxBatchTotalSizeBytes ?? 0)
    return max > 0 ? Math.min(max - 64 * 1024, DEFAULT_BATCH_BYTES) : DEFAULT_BATCH_BYTES
  }

  async getEntry(
    key: string,
    signal?: AbortSignal,
  ): Promise<{ envelope: Envelope; blobs: Map<string, Buffer> } | undefined> {
    let msg
    try {
      msg = await this.unary(
        'getActionResult',
        { instanceName: this.url.instance, actionDigest: actionDigest(key), digestFunction: SHA256 },
        this.timeoutMs,
        signal,
      )
    } catch (err) {
      if ((err as RemoteError).status === grpc.status.NOT_FOUND) return undefined
      throw err
    }
    const env = actionResultToEnvelope(msg)
    if ('error' in env) throw new RemoteError('protocol', env.error)
    return { envelope: env, blobs: new Map() }
  }

  async getBlobs(digests: readonly Digest[], signal?: AbortSignal): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>()
    if (!digests.length) return out
    const limit = await this.batchLimit()
    const small = digests.filter((d) => d.size >= 0 && d.size <= limit)
    const large = digests.filter((d) => !(d.size >= 0 && d.size <= limit))
    for (const group of batches(small, limit)) {
      const r = await this.unary(
        'batchReadBlobs',
        { instanceName: this.url.instance, digests: group.map(pb), digestFunction: SHA256 },
        this.timeoutMs,
        signal,
      )
      for (const x of r.responses ?? [])
        if (!x.status?.code && x.digest?.hash) out.set(x.digest.hash, x.data ?? Buffer.alloc(0))
    }
    await Promise.all(
      large.map(async (d) => {
        const data = await this.readStream(d, signal)
        if (data) out.set(d.hash, data)
      }),
    )
    return out
  }

  /** ByteStream.Read of `{instance}/blobs/{hash}/{size}`; undefined on NOT_FOUND. */
  private readStream(d: Digest, signal?: AbortSignal): Promise<Buffer | undefined> {
    const [path, req, res] = METHODS.read
    const a = codec(req),
      b = codec(res)
    const resource = `${this.url.instance ? `${this.url.instance}/` : ''}blobs/${d.hash}/${Math.max(d.size, 0)}`
    return new Promise((resolve, reject) => {
      const call = this.client.makeServerStreamRequest(
        path,
        a.serialize,
        b.deserialize,
        { resourceName: resource, readOffset: 0 },
        this.metadata,
        { deadline: Date.now() + this.transferMs(d.size) },
      )
      const chunks: Buffer[] = []
      const cancel = () => call.cancel()
      signal?.addEventListener('abort', cancel, { once: true })
      call.on('data', (m: Record<string, any>) => {
        if (m.data) chunks.push(m.data)
      })
      call.on('error', (err: grpc.ServiceError) => {
        signal?.removeEventListener('abort', cancel)
        if (err.code === grpc.status.NOT_FOUND) resolve(undefined)
        else reject(grpcError('read', err))
      })
      call.on('end', () => {
        signal?.removeEventListener('abort', cancel)
        resolve(Buffer.concat(chunks))
      })
    })
  }

  /** Deadline for moving `size` bytes: the request timeout plus 1 s per 10 MB. */
  private transferMs(size: number): number {
    return this.timeoutMs + Math.ceil(Math.max(size, 0) / 10_000_000) * 1000
  }

  async hasEntries(keys: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
    const out = new Set<string>()
    await Promise.all(
      keys.map(async (k) => {
        if (await this.getEntry(k, signal)) out.add(k)
      }),
    )
    return out
  }

  async put(
    key: string,
    envelope: Envelope,
    blobs: ReadonlyMap<string, Buffer>,
    _info: { durationMs: number },
    signal?: AbortSignal,
  ): Promise<void> {
    const digests = [...blobs].map(([hash, data]) => ({ hash, size: data.length }))
    const missing = digests.length
      ? ((
          await this.unary(
            'findMissingBlobs',
            { instanceName: this.url.instance, blobDigests: digests.map(pb), digestFunction: SHA256 },
            this.timeoutMs,
            signal,
          )
        ).missingBlobDigests ?? [])
      : []
    const need: Digest[] = missing.map((d: any) => ({ hash: d.hash, size: sizeOf(d) }))
    const limit = await this.batchLimit()
    for (const group of batches(
      need.filter((d) => d.size <= limit),
      limit,
    )) {
      const r = await this.unary(
        'batchUpdateBlobs',
        {
          instanceName: this.url.instance,
          requests: group.map((d) => ({ digest: pb(d), data: blobs.get(d.hash) })),
          digestFunction: SHA256,
        },
        this.timeoutMs,
        signal,
      )
      const bad = (r.responses ?? []).find((x: any) => x.status?.code)
      if (bad)
        throw new RemoteError(
          bad.status.code === grpc.status.RESOURCE_EXHAUSTED ? 'too-large' : 'protocol',
          `BatchUpdateBlobs refused ${bad.digest?.hash?.slice(0, 12)}: ${bad.status.message ?? bad.status.code}`,
        )
    }
    for (const d of need.filter((d) => d.size > limit)) await this.writeStream(d, blobs.get(d.hash)!, signal)
    // The action result last: a reader never sees it before its blobs.
    await this.unary(
      'updateActionResult',
      {
        instanceName: this.url.instance,
        actionDigest: actionDigest(key),
        actionResult: envelopeToActionResult(envelope),
        digestFunction: SHA256,
      },
      this.timeoutMs,
      signal,
    )
  }

  /** ByteStream.Write of `{instance}/uploads/{uuid}/blobs/{hash}/{size}` in 1 MiB chunks. */
  private writeStream(d: Digest, data: Buffer, signal?: AbortSignal): Promise<void> {
    const [path, req, res] = METHODS.write
    const a = codec(req),
      b = codec(res)
    const resource = `${this.url.instance ? `${this.url.instance}/` : ''}uploads/${randomUUID()}/blobs/${d.hash}/${d.size}`
    return new Promise((resolve, reject) => {
      const call = this.client.makeClientStreamRequest(
        path,
        a.serialize,
        b.deserialize,
        this.metadata,
        { deadline: Date.now() + this.transferMs(d.size) },
        (err) => {
          signal?.removeEventListener('abort', cancel)
          if (err) reject(grpcError('write', err))
          else resolve()
        },
      )
      const cancel = () => call.cancel()
      signal?.addEventListener('abort', cancel, { once: true })
      for (let off = 0; off < data.length || off === 0; off += CHUNK) {
        const end = Math.min(off + CHUNK, data.length)
        call.write({
          resourceName: off === 0 ? resource : '',
          writeOffset: off,
          finishWrite: end >= data.length,
          data: data.subarray(off, end),
        })
        if (end >= data.length) break
      }
      call.end()
    })
  }

  async probe({ readOnly }: { readOnly: boolean }): Promise<ProbeReport> {
    const checks: ProbeCheck[] = []
    const report = { protocol: 'Bazel gRPC remote cache (REAPI v2)', url: this.display, checks }
    let caps
    try {
      caps = await this.capabilities()
    } catch (err) {
      const e = err as RemoteError
      checks.push(
        e.kind === 'auth'
          ? {
              name: 'reachable',
              ok: false,
              detail: e.message,
              fix: 'the server wants credentials: set TASKS_REMOTE_CACHE_TOKEN, or put user:password in the URL',
            }
          : {
              name: 'reachable',
              ok: false,
              detail: e.message,
              fix: 'check the URL (grpc:// for plaintext, grpcs:// for TLS) and that the server is running',
            },
      )
      return report
    }
    const cc = caps.cacheCapabilities ?? {}
    const sha = (cc.digestFunctions ?? []).includes(SHA256) || !(cc.digestFunctions ?? []).length
    const v = caps.highApiVersion
    checks.push({ name: 'reachable', ok: true, detail: 'GetCapabilities answered' })
    checks.push({
      name: 'protocol',
      ok: sha,
      detail: `REAPI ${v ? `${v.major ?? 0}.${v.minor ?? 0}` : '2.x'}, digest functions: ${(cc.digestFunctions ?? []).join(', ') || 'unspecified'}${cc.maxBatchTotalSizeBytes ? `, batch limit ${cc.maxBatchTotalSizeBytes} bytes` : ''}`,
      fix: sha ? undefined : 'the server must support SHA256 digests',
    })
    try {
      await this.getEntry(randomBytes(32).toString('hex'))
      checks.push({
        name: 'read',
        ok: true,
        detail: 'a lookup of an unknown key answered NOT_FOUND (a miss), as it should',
      })
    } catch (err) {
      checks.push({ name: 'read', ok: false, detail: (err as Error).message })
    }
    const updateEnabled = cc.actionCacheUpdateCapabilities?.updateEnabled !== false
    if (readOnly) checks.push({ name: 'write', ok: true, detail: 'not tried: read-only mode' })
    else if (!updateEnabled)
      checks.push({
        name: 'write',
        ok: false,
        detail: 'the server says action cache updates are disabled (update_enabled: false)',
        fix: 'run read-only (TASKS_REMOTE_CACHE_READ_ONLY=1), or enable uploads on the server',
      })
    else {
      const probe = Buffer.from(`typed-tasks cache probe ${new Date().toISOString()}\n`)
      const d = { hash: createHash('sha256').update(probe).digest('hex'), size: probe.length }
      try {
        const r = await this.unary('batchUpdateBlobs', {
          instanceName: this.url.instance,
          requests: [{ digest: pb(d), data: probe }],
          digestFunction: SHA256,
        })
        const bad = (r.responses ?? []).find((x: any) => x.status?.code)
        checks.push(
          bad
            ? { name: 'write', ok: false, detail: `BatchUpdateBlobs: ${bad.status.message}` }
            : { name: 'write', ok: true, detail: 'a probe blob was uploaded' },
        )
      } catch (err) {
        const e = err as RemoteError
        checks.push({
          name: 'write',
          ok: false,
          detail: e.message,
          fix:
            e.kind === 'auth'
              ? 'uploads need credentials: set TASKS_REMOTE_CACHE_TOKEN or user:password in the URL, or run read-only'
              : undefined,
        })
      }
    }
    return report
  }

  async close(): Promise<void> {
    this.client.close()
  }
}

/**
 * The action digest we key results by: the fingerprint as the hash (fingerprints are SHA-256 of
 * the fingerprint record, our "action"). The size is a stand-in (the record is not uploaded);
 * it must not be 0, which servers reserve for the empty blob.
 */
function actionDigest(key: string) {
  return { hash: key, sizeBytes: 32 }
}

function pb(d: Digest) {
  return { hash: d.hash, sizeBytes: Math.max(d.size, 0) }
}

/** Group digests into batches of at most `limit` bytes in total. */
function batches(ds: readonly Digest[], limit: number): Digest[][] {
  const out: Digest[][] = []
  let cur: Digest[] = [],
    size = 0
  for (const d of ds) {
    if (cur.length && size + d.size > limit) {
      out.push(cur)
      cur = []
      size = 0
    }
    cur.push(d)
    size += d.size
  }
  if (cur.length) out.push(cur)
  return out
}

/**
 * A gRPC client for a `grpc(s)://` URL (TLS with the system CAs and `NODE_EXTRA_CA_CERTS` for
 * grpcs, 64 MiB messages, no automatic retries) and the call metadata carrying its credentials:
 * the URL's user:password as Basic auth, else `token` as a Bearer token. Also used by lib/remote-exec/.
 */
export function grpcChannel(url: RemoteUrl, token?: string): { client: grpc.Client; metadata: grpc.Metadata } {
  const creds = url.tls
    ? grpc.credentials.createSsl(Buffer.from(trustedCas().join('\n')))
    : grpc.credentials.createInsecure()
  const client = new grpc.Client(url.address, creds, {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.enable_retries': 0,
  })
  const metadata = new grpc.Metadata()
  const auth = url.basicAuth ?? (token ? `Bearer ${token}` : undefined)
  if (auth) metadata.set('authorization', auth)
  return { client, metadata }
}

/** Map a gRPC error to a {@link RemoteError} (its `status` is the gRPC code). Also used by lib/remote-exec/. */
export function grpcError(method: string, err: grpc.ServiceError): RemoteError {
  const c = err.code
  const kind =
    c === grpc.status.UNAVAILABLE || c === grpc.status.DEADLINE_EXCEEDED
      ? 'unreachable'
      : c === grpc.status.UNAUTHENTICATED || c === grpc.status.PERMISSION_DENIED
        ? 'auth'
        : c === grpc.status.RESOURCE_EXHAUSTED
          ? 'too-large'
          : 'protocol'
  const what =
    c === grpc.status.DEADLINE_EXCEEDED ? 'the server did not answer within the timeout' : err.details || err.message
  return new RemoteError(kind, `${method}: ${grpc.status[c] ?? c} (${what})`, c)
}
