/**
 * A REAPI v2 remote execution client: one action at a time, the protocol in the order the spec and
 * Buildbarn want it:
 * 1. `ActionCache.GetActionResult` on the action digest (Buildbarn's `Execute` never consults the
 *    action cache): a hit whose blobs are all there is the result, no execution;
 * 2. `ContentAddressableStorage.FindMissingBlobs` over the action, the command and the input root,
 *    then only the missing blobs (`BatchUpdateBlobs`, ByteStream `Write` above the batch limit);
 * 3. `Execution.Execute`, streaming `google.longrunning.Operation`s until one is `done`; when the
 *    stream drops, `Execution.WaitExecution` on the operation's name (a fresh `Execute` if the server
 *    forgot it); FAILED_PRECONDITION with `MISSING` violations re-uploads the inputs once;
 * 4. the `ExecuteResponse`: a non-OK `status` is an error (DEADLINE_EXCEEDED = the action's timeout,
 *    a result with `timedOut`), else the `ActionResult`'s outputs, fetched and verified (`outputs.ts`).
 * A non-zero exit code is a normal result. Errors are {@link RemoteExecError}s: `infrastructure`
 * (the caller may run the command locally), `bad-request` (e.g. a platform no worker has), `auth`.
 */
import * as grpc from '@grpc/grpc-js'
import { buildAction, buildCommand, type ActionSpec, type CommandSpec } from './action.js'
import { MissingBlobError, batchLimit, uploadMissing, type UploadStats } from './cas.js'
import { ReapiConnection, type ConnectionOptions } from './connection.js'
import { RemoteExecError, classify } from './errors.js'
import { type Blob, type Digest, type InputRoot, pbDigest } from './input-root.js'
import { fetchOutputs, type ActionOutputs } from './outputs.js'
import { STAGES, decode } from './proto.js'
import { SHA256 } from '../cache/remote/proto.js'
import { RemoteError } from '../cache/remote/store.js'

/** One remote execution: the command, its action settings and its input root (`buildInputRoot`). */
export interface ExecRequest extends CommandSpec, Omit<ActionSpec, 'inputRoot'> {
  inputs: InputRoot
  /** Skip step 1 (and ask the server to skip its own cache lookup: `ExecuteRequest.skip_cache_lookup`). */
  skipCacheLookup?: boolean
  /** Told each `ExecutionStage` the server reports (`QUEUED`, `EXECUTING`, ...). */
  onStage?: (stage: string) => void
}

/** The result of {@link RemoteExecutor.execute}: the outputs, with how they were obtained. */
export interface ExecResult extends ActionOutputs {
  /** The `Action` digest (a function of the command, the input root, the timeout and the platform). */
  actionDigest: Digest
  /** `action-cache`: `GetActionResult` answered; `execute`: an `Execute` ran (or the server served its cache). */
  servedBy: 'action-cache' | 'execute'
  /** True when the result was not freshly executed (action cache hit, or `ExecuteResponse.cached_result`). */
  cached: boolean
  /**
   * The action ran past `Action.timeout` (status DEADLINE_EXCEEDED): the logs and outputs are what
   * the server kept, `exitCode` is -1 unless the server reported one.
   */
  timedOut: boolean
  /** `ExecuteResponse.message`, when the server sent one. */
  message?: string
  /** What the upload sent (absent for an action cache hit). */
  upload?: UploadStats
}

/** Settings of a {@link RemoteExecutor}. */
export interface ExecutorOptions extends ConnectionOptions {
  /** How many times a dropped `Execute`/`WaitExecution` stream is re-attached. @default 5 */
  maxReattach?: number
}

/** The gRPC codes that end a stream without ending the operation: re-attach with `WaitExecution`. */
const DROPPED = new Set<number>([
  grpc.status.UNAVAILABLE,
  grpc.status.CANCELLED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
])

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const codeOf = (err: unknown) => (err instanceof RemoteError ? err.status : (err as { code?: number })?.code)

/** `MISSING` violations of a `google.rpc.Status` (`PreconditionFailure` details): the server lost an input. */
function missingInputs(status: Record<string, any> | undefined): boolean {
  if (status?.code !== grpc.status.FAILED_PRECONDITION) return false
  return (status.details ?? []).some((d: any) => {
    if (!String(d.typeUrl ?? '').endsWith('google.rpc.PreconditionFailure')) return false
    return (decode('google.rpc.PreconditionFailure', d.value).violations ?? []).some((v: any) => v.type === 'MISSING')
  })
}

/** A REAPI v2 remote executor client (see the module comment). */
export class RemoteExecutor {
  /** The connection (its `calls` count the RPCs made). */
  readonly connection: ReapiConnection
  private readonly maxReattach: number
  private caps?: Promise<Record<string, any>>

  /** @throws {Error} for a URL that is not `grpc(s)://`. Connects lazily. */
  constructor(options: ExecutorOptions) {
    this.connection = new ReapiConnection(options)
    this.maxReattach = options.maxReattach ?? 5
  }

  /**
   * `Capabilities.GetCapabilities` (asked once, then remembered).
   * @throws {RemoteExecError} when the server cannot be reached.
   */
  capabilities(): Promise<Record<string, any>> {
    this.caps ??= this.connection.unary('GetCapabilities', { instanceName: this.connection.instance }).catch((err) => {
      this.caps = undefined
      throw classify('GetCapabilities', err)
    })
    return this.caps
  }

  /**
   * Run one action remotely (steps 1–4 of the module comment) and return its verified outputs.
   * @throws {RemoteExecError} (never for a non-zero exit code); `Error` for a malformed request.
   */
  async execute(req: ExecRequest): Promise<ExecResult> {
    const command = buildCommand(req)
    const action = buildAction(command, { ...req, inputRoot: req.inputs.root }, req.platform)
    const limit = batchLimit(await this.capabilities())
    const base = { actionDigest: action.digest, timedOut: false }
    if (!req.doNotCache && !req.skipCacheLookup) {
      const hit = await this.lookup(action.digest, limit)
      if (hit) return { ...hit, ...base, servedBy: 'action-cache', cached: true }
    }
    const blobs: Blob[] = [action, command, ...req.inputs.blobs.values()]
    const upload = await uploadMissing(this.connection, blobs, limit)
    let response = await this.run(action.digest, req)
    if (missingInputs(response.status)) {
      await uploadMissing(this.connection, blobs, limit, true)
      response = await this.run(action.digest, req)
    }
    const status = response.status
    const timedOut = status?.code === grpc.status.DEADLINE_EXCEEDED
    if (status?.code && !timedOut) throw classify('Execute', status, req.platform)
    const outputs = await fetchOutputs(this.connection, response.result ?? {}, limit)
    return {
      ...outputs,
      ...base,
      // A killed command has no exit status of its own: -1 unless the server kept one.
      exitCode: timedOut && !outputs.exitCode ? -1 : outputs.exitCode,
      timedOut,
      servedBy: 'execute',
      cached: !!response.cachedResult,
      message: response.message || status?.message || undefined,
      upload,
    }
  }

  /** Step 1: `GetActionResult`; undefined on NOT_FOUND or when the result's blobs are gone. */
  private async lookup(actionDigest: Digest, limit: number): Promise<ActionOutputs | undefined> {
    let ar
    try {
      ar = await this.connection.unary('GetActionResult', {
        instanceName: this.connection.instance,
        actionDigest: pbDigest(actionDigest),
        inlineStdout: true,
        inlineStderr: true,
        digestFunction: SHA256,
      })
    } catch (err) {
      if (codeOf(err) === grpc.status.NOT_FOUND) return undefined
      throw classify('GetActionResult', err)
    }
    try {
      return await fetchOutputs(this.connection, ar, limit)
    } catch (err) {
      // An entry whose outputs were evicted is a miss: execute again.
      if (err instanceof MissingBlobError) return undefined
      throw err
    }
  }

  /** Step 3: `Execute`, re-attached with `WaitExecution` when the stream drops; the decoded `ExecuteResponse`. */
  private async run(actionDigest: Digest, req: ExecRequest): Promise<Record<string, any>> {
    let name: string | undefined
    let done: Record<string, any> | undefined
    let last: unknown
    const onOperation = (op: Record<string, any>) => {
      if (op.name) name = op.name
      if (op.metadata?.value && req.onStage) {
        const stage = decode('reapi.ExecuteOperationMetadata', op.metadata.value).stage ?? 0
        req.onStage(STAGES[stage] ?? String(stage))
      }
      if (op.done) done = op
    }
    const request = {
      instanceName: this.connection.instance,
      skipCacheLookup: !!req.skipCacheLookup,
      actionDigest: pbDigest(actionDigest),
      digestFunction: SHA256,
    }
    for (let attempt = 0; !done; attempt++) {
      const rpc = name ? 'WaitExecution' : 'Execute'
      try {
        await this.connection.serverStream(rpc, name ? { name } : request, onOperation)
        last = new Error(`${rpc}: the stream ended before the operation was done`)
      } catch (err) {
        if (done) break
        const code = codeOf(err)
        if (rpc === 'Execute' && !name) throw classify('Execute', err, req.platform)
        if (rpc === 'WaitExecution' && code === grpc.status.NOT_FOUND) name = undefined
        else if (code === undefined || !DROPPED.has(code)) throw classify(rpc, err, req.platform)
        last = err
      }
      if (done) break
      if (attempt >= this.maxReattach)
        throw new RemoteExecError(
          'infrastructure',
          `the execution stream dropped ${attempt + 1} times: ${(last as Error)?.message}`,
        )
      await sleep(Math.min(2000, 100 * 2 ** attempt))
    }
    if (done!.error?.code) throw classify('Execute', done!.error, req.platform)
    if (!done!.response?.value)
      throw new RemoteExecError('infrastructure', 'Execute: the finished operation has no response')
    return decode('reapi.ExecuteResponse', done!.response.value)
  }

  /** Close the connection. */
  close(): void {
    this.connection.close()
  }
}
