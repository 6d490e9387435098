/**
 * The REAPI v2 execution messages (bazelbuild/remote-apis `build/bazel/remote/execution/v2/remote_execution.proto`,
 * `google/longrunning/operations.proto`, `google/rpc/status.proto`, `google/rpc/error_details.proto`,
 * `google/protobuf/duration.proto`), written from the spec's field numbers as a protobufjs JSON
 * descriptor that extends the cache slice of `lib/cache/remote/proto.ts` (same namespaces: `reapi.*`,
 * `google.*`), so both speak the same `Digest`, `ActionResult`, ... types. No .proto file to ship.
 *
 * Canonical encoding (REAPI `Digest`: "fields serialized in tag order, no unknown fields, default
 * values omitted"): protobufjs writes fields in tag order; {@link encode} drops default values
 * (false, 0, '', empty lists) first, as proto3 encoders do, so a digest here equals Bazel's or Go's.
 */
import protobuf from 'protobufjs'
import { descriptor as cacheDescriptor } from '../cache/remote/proto.js'
import { codecOf } from '../cache/remote/bazel-grpc.js'

const D = 'reapi.Digest'
const str = (id: number) => ({ type: 'string', id })
const rep = (type: string, id: number) => ({ rule: 'repeated', type, id })
const msg = (type: string, id: number) => ({ type, id })

/** Fields and messages added to the cache descriptor (merged field by field into existing messages). */
const execution = {
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: { Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } } },
        },
        rpc: {
          nested: {
            Status: { fields: { details: rep('google.protobuf.Any', 3) } },
            PreconditionFailure: {
              fields: { violations: rep('Violation', 1) },
              nested: { Violation: { fields: { type: str(1), subject: str(2), description: str(3) } } },
            },
          },
        },
        longrunning: {
          nested: {
            Operation: {
              fields: {
                name: str(1),
                metadata: msg('google.protobuf.Any', 2),
                done: { type: 'bool', id: 3 },
                error: msg('google.rpc.Status', 4),
                response: msg('google.protobuf.Any', 5),
              },
            },
          },
        },
      },
    },
    reapi: {
      nested: {
        NodeProperty: { fields: { name: str(1), value: str(2) } },
        FileNode: {
          fields: { name: str(1), digest: msg(D, 2), isExecutable: { type: 'bool', id: 4 } },
        },
        DirectoryNode: { fields: { name: str(1), digest: msg(D, 2) } },
        SymlinkNode: { fields: { name: str(1), target: str(2) } },
        Directory: {
          fields: { files: rep('FileNode', 1), directories: rep('DirectoryNode', 2), symlinks: rep('SymlinkNode', 3) },
        },
        Tree: { fields: { root: msg('Directory', 1), children: rep('Directory', 2) } },
        Platform: {
          fields: { properties: rep('Property', 1) },
          nested: { Property: { fields: { name: str(1), value: str(2) } } },
        },
        Command: {
          fields: {
            arguments: { rule: 'repeated', type: 'string', id: 1 },
            environmentVariables: rep('EnvironmentVariable', 2),
            platform: msg('Platform', 5),
            workingDirectory: str(6),
            outputPaths: { rule: 'repeated', type: 'string', id: 7 },
          },
          nested: { EnvironmentVariable: { fields: { name: str(1), value: str(2) } } },
        },
        Action: {
          fields: {
            commandDigest: msg(D, 1),
            inputRootDigest: msg(D, 2),
            timeout: msg('google.protobuf.Duration', 6),
            doNotCache: { type: 'bool', id: 7 },
            salt: { type: 'bytes', id: 9 },
            platform: msg('Platform', 10),
          },
        },
        OutputFile: { fields: { contents: { type: 'bytes', id: 5 } } },
        OutputDirectory: {
          fields: { path: str(1), treeDigest: msg(D, 3), isTopologicallySorted: { type: 'bool', id: 4 } },
        },
        ActionResult: {
          fields: {
            outputDirectories: rep('OutputDirectory', 3),
            stdoutRaw: { type: 'bytes', id: 5 },
            stderrRaw: { type: 'bytes', id: 7 },
            outputFileSymlinks: rep('OutputSymlink', 10),
            outputDirectorySymlinks: rep('OutputSymlink', 11),
          },
        },
        ExecuteRequest: {
          fields: {
            instanceName: str(1),
            skipCacheLookup: { type: 'bool', id: 3 },
            actionDigest: msg(D, 6),
            digestFunction: { type: 'int32', id: 9 },
          },
        },
        LogFile: { fields: { digest: msg(D, 1), humanReadable: { type: 'bool', id: 2 } } },
        ExecuteResponse: {
          fields: {
            result: msg('ActionResult', 1),
            cachedResult: { type: 'bool', id: 2 },
            status: msg('google.rpc.Status', 3),
            serverLogs: { keyType: 'string', type: 'LogFile', id: 4 },
            message: str(5),
          },
        },
        ExecuteOperationMetadata: {
          fields: {
            stage: { type: 'int32', id: 1 },
            actionDigest: msg(D, 2),
            stdoutStreamName: str(3),
            stderrStreamName: str(4),
          },
        },
        WaitExecutionRequest: { fields: { name: str(1) } },
        ExecutionCapabilities: {
          fields: {
            digestFunction: { type: 'int32', id: 1 },
            execEnabled: { type: 'bool', id: 2 },
            supportedNodeProperties: { rule: 'repeated', type: 'string', id: 4 },
            digestFunctions: { rule: 'repeated', type: 'int32', id: 5 },
          },
        },
        ServerCapabilities: {
          fields: {
            executionCapabilities: msg('ExecutionCapabilities', 2),
            deprecatedApiVersion: msg('SemVer', 3),
          },
        },
      },
    },
  },
}

/** Deep-merge plain JSON objects (b into a copy of a); on a clash b wins. */
function merge(a: unknown, b: unknown): unknown {
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) || Array.isArray(b)) return b
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) }
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = k in out ? merge(out[k], v) : v
  return out
}

/** The cache slice plus the execution messages, resolved once. */
export const execRoot = protobuf.Root.fromJSON(merge(cacheDescriptor, execution) as protobuf.INamespace)

/** Look up a message type of {@link execRoot} (`reapi.Directory`, `google.longrunning.Operation`, ...). */
export const execType = (name: string): protobuf.Type => execRoot.lookupType(name)

/** @grpc/grpc-js (de)serialisers for a message type of {@link execRoot} (see `codecOf`). */
export const execCodec = (name: string) => codecOf(execType(name))

/** `ExecutionStage.Value` of `ExecuteOperationMetadata.stage`, by number. */
export const STAGES = ['UNKNOWN', 'CACHE_CHECK', 'QUEUED', 'EXECUTING', 'COMPLETED'] as const

/** REAPI's `DigestFunction.Value` names, by number (for `tasks remote status`). */
export const DIGEST_FUNCTIONS = [
  'UNKNOWN',
  'SHA256',
  'SHA1',
  'MD5',
  'VSO',
  'SHA384',
  'SHA512',
  'MURMUR3',
  'SHA256TREE',
  'BLAKE3',
] as const

/**
 * A copy of `value` without proto3 default values (false, 0, '', empty lists, empty byte strings)
 * and without message fields left empty by that, so the encoding is canonical.
 */
export function stripDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDefaults)
  if (value instanceof Uint8Array) return value
  if (!value || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, raw] of Object.entries(value as Record<string, unknown>)) {
    const v = stripDefaults(raw)
    if (v === undefined || v === null || v === false || v === 0 || v === '') continue
    if ((Array.isArray(v) || v instanceof Uint8Array) && v.length === 0) continue
    if (typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !Object.keys(v).length) continue
    out[k] = v
  }
  return out
}

/**
 * Encode a message canonically (see the module comment): `name` is a type of {@link execRoot},
 * `value` a plain object with camelCase field names.
 */
export function encode(name: string, value: object): Buffer {
  const T = execType(name)
  return Buffer.from(T.encode(T.fromObject(stripDefaults(value) as object)).finish())
}

/** Decode a message of {@link execRoot} into a plain object (int64 as numbers, bytes as Buffers, unset fields absent). */
export function decode(name: string, bytes: Uint8Array): Record<string, any> {
  const T = execType(name)
  return T.toObject(T.decode(bytes), { longs: Number, bytes: Buffer, defaults: false }) as Record<string, any>
}
