/**
 * Moving blobs to and from the content-addressable storage of a remote executor (REAPI v2
 * `ContentAddressableStorage` and `google.bytestream.ByteStream`): upload only what
 * `FindMissingBlobs` says is missing (`BatchUpdateBlobs` for blobs that fit the server's
 * `max_batch_total_size_bytes`, ByteStream `Write` above it), and download with `BatchReadBlobs` /
 * ByteStream `Read`, verifying every blob's SHA-256 and size against its digest before returning it.
 */
import { status as grpcStatus } from '@grpc/grpc-js'
import { randomUUID } from 'node:crypto'
import { RemoteError } from '../cache/remote/store.js'
import { RemoteExecError, classify } from './errors.js'
import { blobBytes, digestOf, pbDigest, type Blob, type Digest } from './input-root.js'
import { SHA256 } from '../cache/remote/proto.js'
import type { ReapiConnection } from './connection.js'

/** gRPC's default message limit (4 MiB) less room for a batch's framing: the ceiling of one batch. */
const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024 - 64 * 1024
/** ByteStream chunk size, bytes. */
const CHUNK = 1024 * 1024

/** What an upload did: blobs and bytes sent, by batch and by ByteStream. */
export interface UploadStats {
  checked: number
  missing: number
  batched: number
  streamed: number
  bytes: number
}

/**
 * The largest total of one `BatchUpdateBlobs`/`BatchReadBlobs`, bytes: the server's
 * `CacheCapabilities.max_batch_total_size_bytes` less 64 KiB of framing, at most 4 MiB − 64 KiB.
 */
export function batchLimit(capabilities: Record<string, any>): number {
  const max = Number(capabilities.cacheCapabilities?.maxBatchTotalSizeBytes ?? 0)
  return max > 0 ? Math.max(1, Math.min(max - 64 * 1024, DEFAULT_BATCH_BYTES)) : DEFAULT_BATCH_BYTES
}

/** Group digests into batches of at most `limit` bytes in total. */
function batches<T extends { digest: Digest }>(items: readonly T[], limit: number): T[][] {
  const out: T[][] = []
  let cur: T[] = [],
    size = 0
  for (const it of items) {
    if (cur.length && size + it.digest.size > limit) {
      out.push(cur)
      cur = []
      size = 0
    }
    cur.push(it)
    size += it.digest.size
  }
  if (cur.length) out.push(cur)
  return out
}

/** Deadline for moving `size` bytes: the request timeout plus 1 s per 10 MB. */
const transferMs = (conn: ReapiConnection, size: number) => conn.requestTimeoutMs + Math.ceil(size / 10_000_000) * 1000

/**
 * Upload the blobs the server lacks (`FindMissingBlobs`, then `BatchUpdateBlobs` / ByteStream
 * `Write`). `force` skips the lookup and sends everything (after the server said an input was missing).
 * @throws {RemoteExecError} when the server refuses a blob or a call fails.
 */
export async function uploadMissing(
  conn: ReapiConnection,
  blobs: readonly Blob[],
  limit: number,
  force = false,
): Promise<UploadStats> {
  const unique = [...new Map(blobs.map((b) => [b.digest.hash, b])).values()]
  const stats: UploadStats = { checked: unique.length, missing: 0, batched: 0, streamed: 0, bytes: 0 }
  let missing = unique
  if (!force && unique.length) {
    const r = await conn
      .unary('FindMissingBlobs', {
        instanceName: conn.instance,
        blobDigests: unique.map((b) => pbDigest(b.digest)),
        digestFunction: SHA256,
      })
      .catch((err) => {
        throw classify('FindMissingBlobs', err)
      })
    const want = new Set<string>((r.missingBlobDigests ?? []).map((d: { hash: string }) => d.hash))
    missing = unique.filter((b) => want.has(b.digest.hash))
  }
  stats.missing = missing.length
  for (const group of batches(
    missing.filter((b) => b.digest.size <= limit),
    limit,
  )) {
    const requests = await Promise.all(
      group.map(async (b) => ({ digest: pbDigest(b.digest), data: await blobBytes(b) })),
    )
    const r = await conn
      .unary('BatchUpdateBlobs', { instanceName: conn.instance, requests, digestFunction: SHA256 })
      .catch((err) => {
        throw classify('BatchUpdateBlobs', err)
      })
    const bad = (r.responses ?? []).find((x: any) => x.status?.code)
    if (bad)
      throw classify('BatchUpdateBlobs', {
        code: bad.status.code,
        message: `${bad.digest?.hash}: ${bad.status.message}`,
      })
    stats.batched += group.length
    stats.bytes += group.reduce((n, b) => n + b.digest.size, 0)
  }
  for (const b of missing.filter((b) => b.digest.size > limit)) {
    await writeStream(conn, b.digest, await blobBytes(b))
    stats.streamed++
    stats.bytes += b.digest.size
  }
  return stats
}

/** ByteStream `Write` of `{instance}/uploads/{uuid}/blobs/{hash}/{size}` in 1 MiB chunks. */
async function writeStream(conn: ReapiConnection, d: Digest, data: Buffer): Promise<void> {
  const resource = `${conn.instance ? `${conn.instance}/` : ''}uploads/${randomUUID()}/blobs/${d.hash}/${d.size}`
  function* chunks() {
    for (let off = 0; ; off += CHUNK) {
      const end = Math.min(off + CHUNK, data.length)
      yield {
        resourceName: off === 0 ? resource : '',
        writeOffset: off,
        finishWrite: end >= data.length,
        data: data.subarray(off, end),
      }
      if (end >= data.length) return
    }
  }
  await conn.clientStream('Write', chunks(), transferMs(conn, d.size)).catch((err) => {
    throw classify('ByteStream.Write', err)
  })
}

/** A blob the executor's storage does not have (evicted, or never uploaded): an `infrastructure` error. */
export class MissingBlobError extends RemoteExecError {
  constructor(readonly digest: Digest) {
    super('infrastructure', `the executor's storage lacks blob ${digest.hash}/${digest.size} that its result refers to`)
  }
}

/** Check `data` against `d`. @throws {RemoteExecError} `infrastructure` when they differ. */
export function verified(d: Digest, data: Buffer, what: string): Buffer {
  const got = digestOf(data)
  if (got.hash !== d.hash || got.size !== d.size)
    throw new RemoteExecError(
      'infrastructure',
      `the executor sent bytes for ${what} that do not match its digest (${d.hash.slice(0, 12)}/${d.size} expected, ${got.hash.slice(0, 12)}/${got.size} received)`,
    )
  return data
}

/**
 * Download blobs by digest (`BatchReadBlobs` up to `limit` bytes per batch, ByteStream `Read` for
 * larger ones), each verified against its digest. The empty blob is never asked for.
 * @throws {RemoteExecError} `infrastructure` for a missing blob, a digest mismatch or a failed call.
 */
export async function download(
  conn: ReapiConnection,
  digests: readonly Digest[],
  limit: number,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  const want = [...new Map(digests.map((d) => [d.hash, d])).values()].filter((d) => {
    if (d.size !== 0) return true
    out.set(d.hash, verified(d, Buffer.alloc(0), 'the empty blob'))
    return false
  })
  const small = want.filter((d) => d.size <= limit).map((digest) => ({ digest }))
  for (const group of batches(small, limit)) {
    const r = await conn
      .unary('BatchReadBlobs', {
        instanceName: conn.instance,
        digests: group.map((g) => pbDigest(g.digest)),
        digestFunction: SHA256,
      })
      .catch((err) => {
        throw classify('BatchReadBlobs', err)
      })
    for (const x of r.responses ?? []) {
      const d = group.find((g) => g.digest.hash === x.digest?.hash)?.digest
      if (d && !x.status?.code) out.set(d.hash, verified(d, x.data ?? Buffer.alloc(0), `blob ${d.hash.slice(0, 12)}`))
    }
  }
  for (const d of want.filter((d) => d.size > limit))
    out.set(d.hash, verified(d, await readStream(conn, d), `blob ${d.hash.slice(0, 12)}`))
  const lost = want.find((d) => !out.has(d.hash))
  if (lost) throw new MissingBlobError(lost)
  return out
}

/** ByteStream `Read` of `{instance}/blobs/{hash}/{size}`. */
async function readStream(conn: ReapiConnection, d: Digest): Promise<Buffer> {
  const chunks: Buffer[] = []
  const resourceName = `${conn.instance ? `${conn.instance}/` : ''}blobs/${d.hash}/${d.size}`
  await conn
    .serverStream(
      'Read',
      { resourceName, readOffset: 0 },
      (m) => void (m.data && chunks.push(m.data)),
      transferMs(conn, d.size),
    )
    .catch((err) => {
      throw err instanceof RemoteError && err.status === grpcStatus.NOT_FOUND
        ? new MissingBlobError(d)
        : classify('ByteStream.Read', err)
    })
  return Buffer.concat(chunks)
}
