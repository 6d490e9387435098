/**
 * Compute a task's fingerprint (cache key) and keep the record it was made from, so `--explain`
 * and the "why it ran" reasons can say which input changed, file by file.
 *
 * A {@link FingerprintRecord} holds: format version and package version; task name, normalised
 * command, cwd (POSIX); fingerprint mode; platform (only when the task declares `platform: true`);
 * declared env as hashed values; `setEnv`; arguments after `--`; tool version outputs; output
 * globs; input files (path -> digest; a task's own outputs are never its inputs); dependencies'
 * fingerprints.
 *
 * fingerprint = SHA-256 of: the record's JSON without `inputs` (fixed key order, sorted maps, so
 * canonical), a newline, then `<path>\0<digest>\n` for each input file in path order. Hashing the
 * file list as text instead of a JSON object lets a no-op skip building the record: it is built
 * only when needed (the task runs, or `--explain`/reasons diff it).
 */
import { execSync } from 'node:child_process'
import { join } from 'node:path'
import { sha256 } from '../util/hash.js'
import { taskEnv } from '../util/task-env.js'
import { VERSION } from '../version.js'
import type { FingerprintRecord } from './record.js'
import type { ResolvedTask } from '../model/internal.js'
import type { DigestHints, FileChecker } from './checker.js'
import { expandGlobs, type GlobResult } from './glob.js'
import type { InputList } from './inputs.js'

/** Bump when the record's meaning changes: every old cache entry becomes a miss. */
export const FORMAT_VERSION = 3

/** A computed fingerprint. */
export interface Fingerprint {
  hash: string
  /** The record behind `hash`, built on first access. */
  readonly record: FingerprintRecord
  /** Non-fatal findings, e.g. an input pattern matching no file. */
  warnings: string[]
}

const toolCache = new Map<string, string>()

/**
 * Output of a tool-version command (e.g. `go version`), run once per process per (cwd, command).
 * A command that fails yields `unavailable: <message>` so the fingerprint still changes when the
 * tool appears later.
 */
export function toolVersion(command: string, cwd: string, env: NodeJS.ProcessEnv): string {
  const key = `${cwd}\0${command}`
  let out = toolCache.get(key)
  if (out === undefined) {
    try {
      out = execSync(command, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim()
    } catch (err) {
      out = `unavailable: ${(err as Error).message.split('\n')[0]}`
    }
    toolCache.set(key, out)
  }
  return out
}

/** What {@link computeFingerprint} needs besides the task. */
export interface FingerprintInput {
  root: string
  args: readonly string[]
  /** The run's environment, without the task's `setEnv` (applied here: declared values and `toolVersions` see it). */
  env: NodeJS.ProcessEnv
  /** Dependency name -> its key: output digest or fingerprint (see {@link FingerprintRecord.deps}); a missing one is `'missing'`. */
  depFingerprints: ReadonlyMap<string, string>
  /**
   * Files a depfile named after the task's last run (root-relative POSIX): inputs besides the
   * listed ones. A file that no longer exists enters as `missing` (the fingerprint changes).
   */
  discovered?: readonly string[]
  checker: FileChecker
  /**
   * Lists the input files from a git snapshot (`GitInputIndex.list`); when absent or when it
   * returns undefined, the tree is walked with tinyglobby.
   */
  list?: (cwd: string, patterns: readonly string[]) => InputList | undefined
  /** Digest hints for walked inputs (a snapshot's digests valid for files untouched since it). */
  hints?: DigestHints
}

/**
 * @throws an fs error when an input file vanishes between the glob and its read.
 * Only for cacheable tasks (`task.inputs` defined).
 */
export function computeFingerprint(task: ResolvedTask, input: FingerprintInput): Fingerprint {
  const warnings: string[] = []
  // A task's own outputs are never its inputs (else every run would invalidate the next one).
  const patterns = task.inputs?.length
    ? [...task.inputs, ...task.outputs.filter((o) => !o.startsWith('!')).map((o) => `!${o}`)]
    : []
  const listed: GlobResult & { hints?: DigestHints } =
    (patterns.length ? input.list?.(task.cwd, patterns) : undefined) ?? expandGlobs(input.root, task.cwd, patterns)
  const { files, missingLiterals } = listed
  const hints = listed.hints ?? input.hints
  if ((task.inputs?.length ?? 0) > 0 && files.length === 0)
    warnings.push(`inputs ${JSON.stringify(task.inputs)} match no files`)
  else for (const m of missingLiterals) warnings.push(`input \`${m}\` matches no file`)
  const env: Record<string, string> = {}
  for (const name of [...task.env].sort()) {
    // The value the task sees: its `setEnv` (and `vars`) over the run's environment.
    const value = Object.hasOwn(task.setEnv, name) ? task.setEnv[name] : input.env[name]
    env[name] = value === undefined ? 'unset' : sha256(`${name}=${value}`)
  }
  const tools: Record<string, string> = {}
  if (task.toolVersions.length) {
    const cwdAbs = join(input.root, task.cwd)
    const toolEnv = taskEnv(task, input.env, input.root)
    for (const cmd of [...task.toolVersions].sort()) tools[cmd] = toolVersion(cmd, cwdAbs, toolEnv)
  }
  const deps: Record<string, string> = {}
  for (const d of [...task.deps].sort()) deps[d] = input.depFingerprints.get(d) ?? 'missing'
  const head: RecordHead = {
    v: FORMAT_VERSION,
    pkg: VERSION,
    task: task.name,
    command: task.command,
    cwd: task.cwd,
    mode: input.checker.mode,
    ...(task.platform ? { platform: `${process.platform}-${process.arch}` } : {}),
    env,
    setEnv: Object.fromEntries(Object.entries(task.setEnv).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    args: [...input.args],
    tools,
    outputs: [...task.outputs],
    ...(task.depfile ? { depfile: task.depfile } : {}),
    deps,
  }
  const digests = input.checker.digest(input.root, files, hints)
  if (input.discovered?.length) {
    const listedSet = new Set(files)
    const extra = [...new Set(input.discovered)].filter((f) => !listedSet.has(f))
    if (extra.length) return withExtraInputs(head, files, digests, extra, input, hints, warnings)
  }
  return makeFingerprint(head, files, digests, warnings)
}

/** {@link makeFingerprint} over the listed files plus discovered ones (a vanished one digests as `missing`). */
function withExtraInputs(
  head: RecordHead,
  files: readonly string[],
  digests: readonly string[],
  extra: readonly string[],
  input: FingerprintInput,
  hints: DigestHints | undefined,
  warnings: string[],
): Fingerprint {
  const merged = new Map<string, string>()
  for (let i = 0; i < files.length; i++) merged.set(files[i]!, digests[i]!) // digests[i] is files[i]'s
  for (const f of extra) {
    let d: string
    try {
      d = input.checker.digest(input.root, [f], hints)[0]! // one digest per file asked
    } catch {
      d = 'missing'
    }
    merged.set(f, d)
  }
  const all = [...merged.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return makeFingerprint(
    head,
    all,
    all.map((f) => merged.get(f)!),
    warnings,
  )
}

/** A record without its input files. */
type RecordHead = Omit<FingerprintRecord, 'inputs'>

/** Hash `head` and the (sorted) files with their digests; the record object is built lazily. */
function makeFingerprint(
  head: RecordHead,
  files: readonly string[],
  digests: readonly string[],
  warnings: string[],
): Fingerprint {
  let lines = ''
  for (let i = 0; i < files.length; i++) lines += `${files[i]}\0${digests[i]}\n`
  const hash = sha256(`${JSON.stringify(head)}\n${lines}`)
  let record: FingerprintRecord | undefined
  return {
    hash,
    warnings,
    get record() {
      if (!record) {
        const inputs: Record<string, string> = {}
        for (let i = 0; i < files.length; i++) inputs[files[i]!] = digests[i]!
        const { deps, ...rest } = head
        record = { ...rest, inputs, deps }
      }
      return record
    },
  }
}

/**
 * The fingerprint with some input digests replaced or added (paths root-relative), e.g. files a
 * dry run predicts a dependency would restore. Keys stay sorted, so the JSON stays canonical.
 */
export function withInputs(fp: Fingerprint, overrides: ReadonlyMap<string, string>): Fingerprint {
  const { inputs, deps, ...rest } = fp.record
  const merged = { ...inputs }
  for (const [path, digest] of overrides) merged[path] = digest
  const files = Object.keys(merged).sort()
  return makeFingerprint(
    { ...rest, deps },
    files,
    files.map((f) => merged[f]!),
    fp.warnings,
  )
}
