/**
 * The slice of REAPI v2 (bazelbuild/remote-apis `build/bazel/remote/execution/v2/remote_execution.proto`,
 * `google/bytestream/bytestream.proto`, `google/rpc/status.proto`) a cache client needs, written
 * from the spec's field numbers as a protobufjs JSON descriptor (no .proto file to ship), and the
 * mapping between an {@link Envelope} and an `ActionResult`.
 *
 * Our entry travels in `execution_metadata.auxiliary_metadata` as a `google.protobuf.Any`
 * (`type.googleapis.com/typed_tasks.v1.Envelope`, value = the envelope's JSON); the outputs are
 * also listed as real `output_files` / `output_symlinks` and the log as `stdout_digest`, so a
 * server that checks references (bazel-remote answers 404 when a referenced blob was evicted)
 * checks ours, and a REAPI tool can read the result.
 */
import protobuf from 'protobufjs'
import { ENVELOPE_FORMAT, type Envelope } from './store.js'

const digest = { hash: { type: 'string', id: 1 }, sizeBytes: { type: 'int64', id: 2 } }
/** The protobufjs JSON descriptor of the REAPI cache slice (lib/remote-exec/ extends it with the execution messages). */
export const descriptor = {
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: { Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } },
        },
        rpc: { nested: { Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } } } },
        bytestream: {
          nested: {
            ReadRequest: {
              fields: {
                resourceName: { type: 'string', id: 1 },
                readOffset: { type: 'int64', id: 2 },
                readLimit: { type: 'int64', id: 3 },
              },
            },
            ReadResponse: { fields: { data: { type: 'bytes', id: 10 } } },
            WriteRequest: {
              fields: {
                resourceName: { type: 'string', id: 1 },
                writeOffset: { type: 'int64', id: 2 },
                finishWrite: { type: 'bool', id: 3 },
                data: { type: 'bytes', id: 10 },
              },
            },
            WriteResponse: { fields: { committedSize: { type: 'int64', id: 1 } } },
          },
        },
      },
    },
    reapi: {
      nested: {
        Digest: { fields: digest },
        OutputFile: {
          fields: {
            path: { type: 'string', id: 1 },
            digest: { type: 'Digest', id: 2 },
            isExecutable: { type: 'bool', id: 4 },
          },
        },
        OutputSymlink: { fields: { path: { type: 'string', id: 1 }, target: { type: 'string', id: 2 } } },
        ExecutedActionMetadata: {
          fields: {
            worker: { type: 'string', id: 1 },
            auxiliaryMetadata: { rule: 'repeated', type: 'google.protobuf.Any', id: 11 },
          },
        },
        ActionResult: {
          fields: {
            outputFiles: { rule: 'repeated', type: 'OutputFile', id: 2 },
            exitCode: { type: 'int32', id: 4 },
            stdoutDigest: { type: 'Digest', id: 6 },
            stderrDigest: { type: 'Digest', id: 8 },
            executionMetadata: { type: 'ExecutedActionMetadata', id: 9 },
            outputSymlinks: { rule: 'repeated', type: 'OutputSymlink', id: 12 },
          },
        },
        GetActionResultRequest: {
          fields: {
            instanceName: { type: 'string', id: 1 },
            actionDigest: { type: 'Digest', id: 2 },
            digestFunction: { type: 'int32', id: 6 },
          },
        },
        UpdateActionResultRequest: {
          fields: {
            instanceName: { type: 'string', id: 1 },
            actionDigest: { type: 'Digest', id: 2 },
            actionResult: { type: 'ActionResult', id: 3 },
            digestFunction: { type: 'int32', id: 5 },
          },
        },
        FindMissingBlobsRequest: {
          fields: {
            instanceName: { type: 'string', id: 1 },
            blobDigests: { rule: 'repeated', type: 'Digest', id: 2 },
            digestFunction: { type: 'int32', id: 3 },
          },
        },
        FindMissingBlobsResponse: { fields: { missingBlobDigests: { rule: 'repeated', type: 'Digest', id: 2 } } },
        BatchUpdateBlobsRequest: {
          fields: {
            instanceName: { type: 'string', id: 1 },
            requests: { rule: 'repeated', type: 'UpdateRequest', id: 2 },
            digestFunction: { type: 'int32', id: 5 },
          },
          nested: { UpdateRequest: { fields: { digest: { type: 'Digest', id: 1 }, data: { type: 'bytes', id: 2 } } } },
        },
        BatchUpdateBlobsResponse: {
          fields: { responses: { rule: 'repeated', type: 'UpdateResponse', id: 1 } },
          nested: {
            UpdateResponse: {
              fields: { digest: { type: 'Digest', id: 1 }, status: { type: 'google.rpc.Status', id: 2 } },
            },
          },
        },
        BatchReadBlobsRequest: {
          fields: {
            instanceName: { type: 'string', id: 1 },
            digests: { rule: 'repeated', type: 'Digest', id: 2 },
            digestFunction: { type: 'int32', id: 4 },
          },
        },
        BatchReadBlobsResponse: {
          fields: { responses: { rule: 'repeated', type: 'ReadResponse', id: 1 } },
          nested: {
            ReadResponse: {
              fields: {
                digest: { type: 'Digest', id: 1 },
                data: { type: 'bytes', id: 2 },
                status: { type: 'google.rpc.Status', id: 3 },
              },
            },
          },
        },
        GetCapabilitiesRequest: { fields: { instanceName: { type: 'string', id: 1 } } },
        SemVer: {
          fields: {
            major: { type: 'int32', id: 1 },
            minor: { type: 'int32', id: 2 },
            patch: { type: 'int32', id: 3 },
            prerelease: { type: 'string', id: 4 },
          },
        },
        ActionCacheUpdateCapabilities: { fields: { updateEnabled: { type: 'bool', id: 1 } } },
        CacheCapabilities: {
          fields: {
            digestFunctions: { rule: 'repeated', type: 'int32', id: 1 },
            actionCacheUpdateCapabilities: { type: 'ActionCacheUpdateCapabilities', id: 2 },
            maxBatchTotalSizeBytes: { type: 'int64', id: 4 },
          },
        },
        ServerCapabilities: {
          fields: {
            cacheCapabilities: { type: 'CacheCapabilities', id: 1 },
            lowApiVersion: { type: 'SemVer', id: 4 },
            highApiVersion: { type: 'SemVer', id: 5 },
          },
        },
      },
    },
  },
}

/** The message types, resolved once. */
export const root = protobuf.Root.fromJSON(descriptor)
/** Look up a message type (`reapi.ActionResult`, `google.bytestream.ReadRequest`, ...). */
export const type = (name: string): protobuf.Type => root.lookupType(name)

/** REAPI's `DigestFunction.SHA256`. */
export const SHA256 = 1
/** The `Any.type_url` our envelope travels under. */
export const ENVELOPE_TYPE_URL = 'type.googleapis.com/typed_tasks.v1.Envelope'

interface PbDigest {
  hash: string
  sizeBytes: number | { toNumber(): number }
}
interface PbActionResult {
  outputFiles?: { path: string; digest?: PbDigest; isExecutable?: boolean }[]
  outputSymlinks?: { path: string; target: string }[]
  exitCode?: number
  stdoutDigest?: PbDigest
  executionMetadata?: { worker?: string; auxiliaryMetadata?: { typeUrl: string; value: Uint8Array }[] }
}

/** The `ActionResult` message (as a plain object for protobufjs) that carries an envelope. */
export function envelopeToActionResult(env: Envelope): Record<string, unknown> {
  const entry = env.entry as {
    outputs?: { path: string; type: string; hash?: string; mode?: number; target?: string }[]
    log?: string | null
    exitCode?: number
  }
  const size = (h: string) => env.sizes[h] ?? 0
  return {
    outputFiles: (entry.outputs ?? [])
      .filter((o) => o.type === 'file' && o.hash)
      .map((o) => ({
        path: o.path,
        digest: { hash: o.hash, sizeBytes: size(o.hash!) },
        isExecutable: !!((o.mode ?? 0) & 0o111),
      })),
    outputSymlinks: (entry.outputs ?? [])
      .filter((o) => o.type === 'symlink')
      .map((o) => ({ path: o.path, target: o.target ?? '' })),
    exitCode: entry.exitCode ?? 0,
    ...(entry.log ? { stdoutDigest: { hash: entry.log, sizeBytes: size(entry.log) } } : {}),
    executionMetadata: {
      worker: 'typed-tasks',
      auxiliaryMetadata: [{ typeUrl: ENVELOPE_TYPE_URL, value: Buffer.from(JSON.stringify(env)) }],
    },
  }
}

/** Serialise {@link envelopeToActionResult}. */
export function encodeActionResult(env: Envelope): Buffer {
  const T = type('reapi.ActionResult')
  return Buffer.from(T.encode(T.fromObject(envelopeToActionResult(env))).finish())
}

/**
 * The envelope inside a decoded `ActionResult` message, or a reason it has none (an action result
 * written by another tool, or a malformed one).
 */
export function actionResultToEnvelope(msg: unknown): Envelope | { error: string } {
  const ar = msg as PbActionResult
  const any = ar.executionMetadata?.auxiliaryMetadata?.find((a) => a.typeUrl === ENVELOPE_TYPE_URL)
  if (!any) return { error: 'the action result was not written by typed-tasks (no envelope in its metadata)' }
  let env: Envelope
  try {
    env = JSON.parse(Buffer.from(any.value).toString('utf8'))
  } catch {
    return { error: 'the envelope in the action result is not valid JSON' }
  }
  if (!env || typeof env !== 'object' || env.format !== ENVELOPE_FORMAT)
    return { error: `unknown envelope format ${JSON.stringify((env as Envelope | null)?.format)}` }
  if (!env.sizes || typeof env.sizes !== 'object') env.sizes = {}
  return env
}

/** Decode an `ActionResult`'s bytes into its envelope (see {@link actionResultToEnvelope}). */
export function decodeActionResult(bytes: Uint8Array): Envelope | { error: string } {
  try {
    return actionResultToEnvelope(type('reapi.ActionResult').decode(bytes))
  } catch (err) {
    return { error: `the action result is not a valid ActionResult protobuf (${(err as Error).message})` }
  }
}

/** A digest's size as a number (protobufjs gives int64 as a Long or a number). */
export function sizeOf(d: PbDigest | undefined): number {
  if (!d) return 0
  return typeof d.sizeBytes === 'number' ? d.sizeBytes : Number(d.sizeBytes?.toNumber?.() ?? d.sizeBytes ?? 0)
}
