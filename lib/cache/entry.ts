/**
 * The cache entry format (`ActionResult`, schema 3) and its validation. An entry is untrusted
 * input (a hand edit, a bad disk, a remote server): every field is checked on read, before any
 * path or hash in it is used. Hashes are lowercase hex of the right length (never a path), output
 * paths are relative, normalised POSIX paths inside the project and outside `.git/` and `.tasks/`,
 * modes are permission bits only. Anything else is `{ error }`, which the cache turns into a miss
 * with a warning.
 */
import * as v from 'valibot'
import { ENTRY_SCHEMA, type ActionResult } from './cache.js'

/** A SHA-256 in lowercase hex (CAS keys, fingerprints). */
export const SHA256_HEX = /^[0-9a-f]{64}$/
/** A git blob id: SHA-1 (40 hex) or SHA-256 object format (64 hex). */
const BLOB_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/
/** Longest accepted output path and path segment, bytes (Linux PATH_MAX and NAME_MAX). */
export const MAX_PATH_BYTES = 4096
export const MAX_NAME_BYTES = 255
/** Most outputs one entry may list. */
export const MAX_OUTPUTS = 1_000_000
/** Folders no restore writes into (any path segment, case-insensitive: case-insensitive file systems alias them). */
const RESERVED_SEGMENTS = new Set(['.git', '.tasks'])

/**
 * Why `p` is not a safe output path, or undefined when it is: non-empty, no NUL or backslash, not
 * absolute (no `/`, no drive letter), normalised (no empty, `.` or `..` segment, no trailing `/`),
 * within {@link MAX_PATH_BYTES} / {@link MAX_NAME_BYTES}, and no `.git` or `.tasks` segment.
 */
export function unsafeOutputPath(p: string): string | undefined {
  if (p.length === 0) return 'is empty'
  if (p.includes('\0')) return 'contains a NUL byte'
  if (p.includes('\\')) return 'contains a backslash'
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return 'is absolute'
  if (Buffer.byteLength(p) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`
  const segments = p.split('/')
  for (const s of segments) {
    if (s === '..') return 'climbs out of the project root'
    if (s === '' || s === '.') return 'is not normalised'
    if (Buffer.byteLength(s) > MAX_NAME_BYTES) return `has a name longer than ${MAX_NAME_BYTES} bytes`
    if (RESERVED_SEGMENTS.has(s.toLowerCase())) return `is inside \`${s}/\` (never restored)`
  }
  return undefined
}

const hex64 = v.pipe(v.string(), v.regex(SHA256_HEX, 'a SHA-256 in lowercase hex'))
const outputPath = v.pipe(
  v.string(),
  v.check(
    (p) => unsafeOutputPath(p) === undefined,
    (issue) => `output path ${JSON.stringify(issue.input)} ${unsafeOutputPath(String(issue.input))}`,
  ),
)
const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))

const FileOutput = v.object({
  path: outputPath,
  type: v.literal('file'),
  mode: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0o777, 'permission bits (0 to 0o777)')),
  size: count,
  hash: hex64,
  blob: v.pipe(v.string(), v.regex(BLOB_ID, 'a git blob id')),
})
const SymlinkOutput = v.object({
  path: outputPath,
  type: v.literal('symlink'),
  target: v.pipe(
    v.string(),
    v.minLength(1),
    v.maxBytes(MAX_PATH_BYTES),
    v.check((t) => !t.includes('\0'), 'a symlink target without NUL'),
  ),
})

const EntrySchema = v.object({
  schema: v.literal(ENTRY_SCHEMA),
  fingerprint: hex64,
  task: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  exitCode: v.pipe(v.number(), v.integer()),
  durationMs: v.pipe(v.number(), v.finite(), v.minValue(0)),
  outputs: v.pipe(v.array(v.variant('type', [FileOutput, SymlinkOutput])), v.maxLength(MAX_OUTPUTS)),
  log: v.nullable(hex64),
  value: v.optional(v.unknown()),
  createdAt: v.string(),
  recordBlob: hex64,
})

/** Why an entry was refused. `otherSchema`: it is an entry of another version (a plain miss, not worth a warning). */
export interface EntryError {
  error: string
  otherSchema?: boolean
}

/**
 * Validate a parsed `ac/<fingerprint>.json` (or an entry from a remote store).
 * Besides each field's shape: output paths are unique and none is inside another output (a
 * symlink output could otherwise redirect a later file of the same entry).
 * @returns the entry, typed, or `{ error }` naming the first problem. Never throws.
 */
export function parseActionResult(json: unknown): ActionResult | EntryError {
  if (
    json &&
    typeof json === 'object' &&
    !Array.isArray(json) &&
    (json as { schema?: unknown }).schema !== ENTRY_SCHEMA
  ) {
    const schema = (json as { schema?: unknown }).schema
    if (schema === undefined || (typeof schema === 'number' && Number.isInteger(schema))) {
      return {
        error: `cache entry of schema ${schema ?? '1-2'}, this version reads schema ${ENTRY_SCHEMA}`,
        otherSchema: true,
      }
    }
  }
  const r = v.safeParse(EntrySchema, json)
  if (!r.success) {
    const issue = r.issues[0]
    const where = issue.path?.map((p) => String(p.key)).join('.')
    return { error: `malformed cache entry${where ? ` at \`${where}\`` : ''}: ${issue.message}` }
  }
  const entry = r.output as ActionResult
  // Compared case-insensitively: on a case-insensitive file system `A` and `a/x` alias.
  const paths = new Set<string>()
  for (const o of entry.outputs) {
    const key = o.path.toLowerCase()
    if (paths.has(key)) return { error: `malformed cache entry: output \`${o.path}\` is listed twice` }
    paths.add(key)
  }
  for (const p of paths) {
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
      if (paths.has(p.slice(0, i)))
        return { error: `malformed cache entry: output \`${p}\` is inside output \`${p.slice(0, i)}\`` }
    }
  }
  return entry
}

/** Type guard for {@link parseActionResult}'s failure. */
export function isEntryError(r: ActionResult | EntryError): r is EntryError {
  return 'error' in r && !('schema' in r)
}
