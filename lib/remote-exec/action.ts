/**
 * The REAPI v2 `Command` and `Action` messages of a remote execution (`remote_execution.proto`),
 * built canonically: environment variables sorted by name, `output_paths` deduplicated and sorted,
 * platform properties sorted by name then value (all in UTF-8 byte order), default values omitted.
 * The action digest is a function of these inputs only, so two machines asking for the same work
 * produce the same action (and share its cached result).
 */
import { byUtf8, digestOf, pbDigest, segments, type Digest } from './input-root.js'
import { encode } from './proto.js'

/** What to run. */
export interface CommandSpec {
  /** `Command.arguments`: argv, the program first (e.g. `['/bin/sh', '-c', 'make']`). */
  arguments: readonly string[]
  /** `Command.environment_variables`: the whole environment the command sees (the worker adds only `PWD`). */
  env?: Readonly<Record<string, string>>
  /**
   * `Command.output_paths`: files or directories (relative to the working directory, POSIX) the
   * worker sends back; the worker creates their parent folders before the command runs.
   */
  outputPaths?: readonly string[]
  /** `Command.working_directory`: relative to the input root; it must exist in the input root. '' = the root. */
  workingDirectory?: string
  /**
   * Platform properties (`Action.platform`, and the deprecated `Command.platform` for servers older
   * than REAPI 2.2): a worker runs the action only if it offers exactly these.
   */
  platform?: Readonly<Record<string, string>>
}

/** The action around a command. */
export interface ActionSpec {
  /** `Action.input_root_digest`: see `buildInputRoot`. */
  inputRoot: Digest
  /** `Action.timeout`, in milliseconds; absent = the server's default. */
  timeoutMs?: number
  /** `Action.do_not_cache`: never store the result, never serve it from the action cache. */
  doNotCache?: boolean
  /** `Action.salt`: a cache namespace (e.g. to disown poisoned results). */
  salt?: string
}

/** A serialized message and its digest (the blob to upload). */
export interface Encoded {
  digest: Digest
  bytes: Buffer
}

/** `Platform.properties`, sorted by name then value. */
function platformOf(platform: Readonly<Record<string, string>> | undefined) {
  const properties = Object.entries(platform ?? {})
    .sort(([a, x], [b, y]) => byUtf8(a, b) || byUtf8(x, y))
    .map(([name, value]) => ({ name, value }))
  return properties.length ? { properties } : undefined
}

/**
 * The `Command` message: `arguments`, `environment_variables` sorted by name, `output_paths`
 * deduplicated and sorted, `working_directory`, `platform`.
 * @throws {Error} for empty arguments or a bad output path / working directory (see `segments`).
 */
export function buildCommand(spec: CommandSpec): Encoded {
  if (!spec.arguments.length) throw new Error('a remote command needs at least one argument (the program)')
  for (const p of spec.outputPaths ?? []) segments(p, 'output path')
  if (spec.workingDirectory) segments(spec.workingDirectory, 'working directory')
  const bytes = encode('reapi.Command', {
    arguments: [...spec.arguments],
    environmentVariables: Object.entries(spec.env ?? {})
      .sort(([a], [b]) => byUtf8(a, b))
      .map(([name, value]) => ({ name, value })),
    platform: platformOf(spec.platform),
    workingDirectory: spec.workingDirectory ?? '',
    outputPaths: [...new Set(spec.outputPaths ?? [])].sort(byUtf8),
  })
  return { digest: digestOf(bytes), bytes }
}

/**
 * The `Action` message: `command_digest`, `input_root_digest`, `timeout` (a `Duration`),
 * `do_not_cache`, `salt`, `platform` (sorted; the same properties as the command's).
 * @throws {Error} for a negative or non-finite timeout.
 */
export function buildAction(command: Encoded, spec: ActionSpec, platform?: Readonly<Record<string, string>>): Encoded {
  const ms = spec.timeoutMs
  if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0))
    throw new Error(`a remote action's timeout must be ≥ 0 ms (got ${ms})`)
  const bytes = encode('reapi.Action', {
    commandDigest: pbDigest(command.digest),
    inputRootDigest: pbDigest(spec.inputRoot),
    timeout: ms ? { seconds: Math.floor(ms / 1000), nanos: Math.round(ms % 1000) * 1e6 } : undefined,
    doNotCache: !!spec.doNotCache,
    salt: spec.salt ? Buffer.from(spec.salt, 'utf8') : undefined,
    platform: platformOf(platform),
  })
  return { digest: digestOf(bytes), bytes }
}
