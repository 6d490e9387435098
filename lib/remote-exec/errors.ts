/**
 * Why a remote execution failed, as data. A command that ran and exited non-zero is NOT an error
 * (it is a normal {@link ExecResult} with its exit code); these are the cases where no result exists.
 */
import * as grpc from '@grpc/grpc-js'
import { RemoteError } from '../cache/remote/store.js'

/**
 * - `infrastructure`: the executor or the network failed, not the command (UNAVAILABLE, connection
 *   refused, DEADLINE_EXCEEDED, INTERNAL, a dropped stream that could not be re-attached, a blob whose
 *   bytes do not match its digest): the caller may run the command locally instead (`fallback`).
 * - `bad-request`: the executor refused what we asked (INVALID_ARGUMENT, FAILED_PRECONDITION, a
 *   platform no worker has, a timeout above the server's maximum): running it again will not help.
 * - `auth`: UNAUTHENTICATED / PERMISSION_DENIED: the token or the server's policy must change.
 */
export type RemoteExecErrorKind = 'infrastructure' | 'bad-request' | 'auth'

/** An error from the remote executor. `grpcCode` is the gRPC status when one was received. */
export class RemoteExecError extends Error {
  constructor(
    readonly kind: RemoteExecErrorKind,
    message: string,
    readonly grpcCode?: number,
    /** For a platform no worker has: the requested properties, sorted by name. */
    readonly platform?: Record<string, string>,
  ) {
    super(message)
    this.name = 'RemoteExecError'
  }

  /** True when the caller may run the command locally instead (Bazel's `--remote_local_fallback`). */
  get fallback(): boolean {
    return this.kind === 'infrastructure'
  }
}

/** The gRPC codes that mean "the infrastructure failed": retrying elsewhere (locally) is sound. */
const INFRASTRUCTURE = new Set<number>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.CANCELLED,
  grpc.status.ABORTED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.DATA_LOSS,
])

/** Buildbarn's answer when no worker matches the action's platform (UNAVAILABLE or FAILED_PRECONDITION). */
const NO_WORKERS = /No workers exist for instance name prefix/i

/**
 * Classify a gRPC failure (a {@link RemoteError} from `lib/cache/remote`'s `grpcError`, or a raw
 * `grpc.ServiceError`) of the RPC `what`. `platform` is the action's platform, named in the message
 * when the server says no worker has it.
 */
export function classify(what: string, err: unknown, platform?: Record<string, string>): RemoteExecError {
  if (err instanceof RemoteExecError) return err
  const code = err instanceof RemoteError ? err.status : (err as { code?: unknown })?.code
  // grpcError's message already names the RPC; a raw error or a google.rpc.Status does not.
  const raw = (err as Error)?.message ?? String(err)
  const message =
    err instanceof RemoteError
      ? raw
      : `${what}: ${typeof code === 'number' ? `${grpc.status[code] ?? code} ` : ''}${raw}`
  if (NO_WORKERS.test(message)) {
    const props = Object.entries(platform ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')
    return new RemoteExecError(
      'bad-request',
      `no remote worker offers the platform {${props}} (${message}); check \`execution.remote.platform\` against the workers' platform properties`,
      typeof code === 'number' ? code : undefined,
      platform ?? {},
    )
  }
  if (typeof code !== 'number') return new RemoteExecError('infrastructure', message)
  if (code === grpc.status.UNAUTHENTICATED || code === grpc.status.PERMISSION_DENIED)
    return new RemoteExecError('auth', message, code)
  return new RemoteExecError(INFRASTRUCTURE.has(code) ? 'infrastructure' : 'bad-request', message, code)
}
