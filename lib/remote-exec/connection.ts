/**
 * One gRPC connection to a REAPI v2 server for remote execution: the channel, TLS, credentials and
 * error mapping of the gRPC cache client (`lib/cache/remote/bazel-grpc.ts`: `grpcChannel`,
 * `grpcError`), the message types of `proto.ts`, unary and streaming calls with deadlines, and a
 * count of calls per RPC (for tests and `--explain`-style reports).
 */
import type * as grpc from '@grpc/grpc-js'
import { grpcChannel, grpcError } from '../cache/remote/bazel-grpc.js'
import { parseRemoteUrl, type RemoteUrl } from '../cache/remote/url.js'
import { execCodec } from './proto.js'

/** The RPCs used, as `[path, request type, response type]`. */
export const RPC = {
  GetCapabilities: [
    '/build.bazel.remote.execution.v2.Capabilities/GetCapabilities',
    'reapi.GetCapabilitiesRequest',
    'reapi.ServerCapabilities',
  ],
  GetActionResult: [
    '/build.bazel.remote.execution.v2.ActionCache/GetActionResult',
    'reapi.GetActionResultRequest',
    'reapi.ActionResult',
  ],
  FindMissingBlobs: [
    '/build.bazel.remote.execution.v2.ContentAddressableStorage/FindMissingBlobs',
    'reapi.FindMissingBlobsRequest',
    'reapi.FindMissingBlobsResponse',
  ],
  BatchUpdateBlobs: [
    '/build.bazel.remote.execution.v2.ContentAddressableStorage/BatchUpdateBlobs',
    'reapi.BatchUpdateBlobsRequest',
    'reapi.BatchUpdateBlobsResponse',
  ],
  BatchReadBlobs: [
    '/build.bazel.remote.execution.v2.ContentAddressableStorage/BatchReadBlobs',
    'reapi.BatchReadBlobsRequest',
    'reapi.BatchReadBlobsResponse',
  ],
  Read: ['/google.bytestream.ByteStream/Read', 'google.bytestream.ReadRequest', 'google.bytestream.ReadResponse'],
  Write: ['/google.bytestream.ByteStream/Write', 'google.bytestream.WriteRequest', 'google.bytestream.WriteResponse'],
  Execute: [
    '/build.bazel.remote.execution.v2.Execution/Execute',
    'reapi.ExecuteRequest',
    'google.longrunning.Operation',
  ],
  WaitExecution: [
    '/build.bazel.remote.execution.v2.Execution/WaitExecution',
    'reapi.WaitExecutionRequest',
    'google.longrunning.Operation',
  ],
} as const

/** The name of an RPC of {@link RPC}. */
export type RpcName = keyof typeof RPC

/** Where and how to connect. */
export interface ConnectionOptions {
  /** `grpc://host:port[/instance]` (plaintext) or `grpcs://...` (TLS with the system CAs and `NODE_EXTRA_CA_CERTS`). */
  url: string
  /** Overrides the URL's instance name (`""` is Buildbarn's default). */
  instance?: string
  /** A bearer token (`TASKS_REMOTE_EXECUTOR_TOKEN`; never from a config file). */
  token?: string
  /** Deadline of each unary call, ms. @default 10000 */
  requestTimeoutMs?: number
}

/** A gRPC connection to a REAPI server. Every call may throw a `RemoteError` (see `grpcError`). */
export class ReapiConnection {
  readonly url: RemoteUrl
  readonly instance: string
  readonly requestTimeoutMs: number
  /** Calls made per RPC since the connection opened (a stream counts once). */
  readonly calls: Record<RpcName, number> = Object.fromEntries(Object.keys(RPC).map((k) => [k, 0])) as Record<
    RpcName,
    number
  >
  private readonly client: grpc.Client
  private readonly metadata: grpc.Metadata

  /** @throws {TasksError} `usage` for a URL that is not `grpc(s)://`. */
  constructor(options: ConnectionOptions) {
    this.url = parseRemoteUrl(options.url)
    if (this.url.protocol !== 'bazel-grpc')
      throw new Error(`the remote executor URL \`${this.url.display}\` must start with grpc:// or grpcs://`)
    this.instance = options.instance ?? this.url.instance
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000
    ;({ client: this.client, metadata: this.metadata } = grpcChannel(this.url, options.token))
  }

  /** A unary call of `rpc` with a deadline of `timeoutMs`. */
  unary(rpc: RpcName, request: object, timeoutMs = this.requestTimeoutMs): Promise<Record<string, any>> {
    const [path, req, res] = RPC[rpc]
    const a = execCodec(req),
      b = execCodec(res)
    this.calls[rpc]++
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        a.serialize,
        b.deserialize,
        request,
        this.metadata,
        { deadline: Date.now() + timeoutMs },
        (err, value) => (err ? reject(grpcError(rpc, err)) : resolve(value!)),
      )
    })
  }

  /**
   * A server-streaming call of `rpc`: `onMessage` sees each response; resolves when the server ends
   * the stream, rejects with the mapped error (`grpcError`) when it fails. `deadlineMs` absent = none.
   */
  serverStream(
    rpc: RpcName,
    request: object,
    onMessage: (m: Record<string, any>) => void,
    deadlineMs?: number,
  ): Promise<void> {
    const [path, req, res] = RPC[rpc]
    const a = execCodec(req),
      b = execCodec(res)
    this.calls[rpc]++
    return new Promise((resolve, reject) => {
      const call = this.client.makeServerStreamRequest(
        path,
        a.serialize,
        b.deserialize,
        request,
        this.metadata,
        deadlineMs ? { deadline: Date.now() + deadlineMs } : {},
      )
      call.on('data', (m: Record<string, any>) => {
        try {
          onMessage(m)
        } catch (err) {
          call.cancel()
          reject(err)
        }
      })
      call.on('error', (err: grpc.ServiceError) => reject(grpcError(rpc, err)))
      call.on('end', () => resolve())
    })
  }

  /** A client-streaming call of `rpc`: sends `requests` in order, resolves with the one response. */
  clientStream(rpc: RpcName, requests: Iterable<object>, deadlineMs: number): Promise<Record<string, any>> {
    const [path, req, res] = RPC[rpc]
    const a = execCodec(req),
      b = execCodec(res)
    this.calls[rpc]++
    return new Promise((resolve, reject) => {
      const call = this.client.makeClientStreamRequest(
        path,
        a.serialize,
        b.deserialize,
        this.metadata,
        { deadline: Date.now() + deadlineMs },
        (err, value) => (err ? reject(grpcError(rpc, err)) : resolve(value!)),
      )
      for (const r of requests) call.write(r)
      call.end()
    })
  }

  /** Close the channel; pending calls fail. */
  close(): void {
    this.client.close()
  }
}
