/**
 * Writing a cache entry's outputs into the work tree, shared by every {@link Cache}. One
 * verification pass comes before the first write and creates nothing: the entry's shape
 * (`parseActionResult`), every output path, the real path of every existing parent folder (a
 * symlinked folder must not lead outside the root, into `.git/` or `.tasks/`), every blob by its
 * SHA-256, size and git blob id, the log blob. Then each output is staged as a temp file (under
 * `.tasks/tmp/` during a run, see `util/fs.ts` `tempPathFor`, so globs never see it) and renamed over its target, the previous file kept aside until the whole entry is in place. Any
 * error rolls back every rename, removes every temp file and every folder the restore created, and
 * is a miss naming the output and the operation: nothing of the entry stays on disk.
 */
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path'
import { gitBlobId, sha256 } from '../util/hash.js'
import { tempPathFor } from '../util/fs.js'
import { isEntryError, parseActionResult, unsafeOutputPath } from './entry.js'
import type { ActionResult, OutputEntry, RestoreResult } from './cache.js'

/** Reads a blob by its SHA-256; undefined when missing. The caller verifies nothing: {@link restoreEntry} does. */
export type BlobReader = (hash: string) => Buffer | undefined | Promise<Buffer | undefined>

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined
    throw err
  }
}

/** Whether `real` (a real path) is inside `realRoot` and not in its `.git`/`.tasks` folders. */
function insideRoot(realRoot: string, real: string): string | undefined {
  const rel = relative(realRoot, real)
  if (rel === '') return undefined
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    return `leads outside the project root (to ${real})`
  const first = rel.split(sep)[0]!.toLowerCase()
  if (first === '.git' || first === '.tasks') return `leads into \`${first}/\` (${real})`
  return undefined
}

/**
 * Verify `entry` completely, then write its outputs under `root` (see the module comment).
 * @param realRoot `realpathSync(root)`, when the caller has it cached
 * @returns `{ ok: true, restored, log }`, or `{ ok: false, reason }` with nothing of the entry on disk. Never throws.
 */
export async function restoreEntry(
  root: string,
  entry: ActionResult,
  readBlob: BlobReader,
  realRoot?: string,
): Promise<RestoreResult> {
  const verified = await verifyEntry(root, entry, readBlob, realRoot)
  if ('reason' in verified) return { ok: false, reason: verified.reason }
  const { outputs, blobs, log } = verified
  const failed = writeOutputs(root, outputs, blobs)
  if (failed) return { ok: false, reason: failed }
  return { ok: true, restored: outputs.length, log }
}

/** An entry that passed {@link verifyEntry}: its outputs, every file blob by hash, and the log. */
interface VerifiedEntry {
  outputs: readonly OutputEntry[]
  blobs: Map<string, Buffer>
  log: Buffer
}

/** Step 1 of a restore: check the entry's shape, paths, folders and blobs, creating nothing. */
async function verifyEntry(
  root: string,
  entry: ActionResult,
  readBlob: BlobReader,
  realRoot?: string,
): Promise<VerifiedEntry | { reason: string }> {
  const parsed = parseActionResult(entry)
  if (isEntryError(parsed)) return { reason: parsed.error }
  let rr: string
  try {
    rr = realRoot ?? realpathSync(root)
  } catch (err) {
    return { reason: `could not resolve the project root: ${(err as Error).message}` }
  }
  const blobs = new Map<string, Buffer>()
  const checkedDirs = new Map<string, string | undefined>()
  for (const o of parsed.outputs) {
    const bad = unsafeOutputPath(o.path)
    if (bad) return { reason: `output path \`${o.path}\` ${bad}` }
    try {
      const why = checkParents(root, rr, o.path, checkedDirs)
      if (why) return { reason: `output \`${o.path}\`: ${why}` }
      const st = lstatOrUndefined(join(root, o.path))
      if (st?.isDirectory()) return { reason: `output \`${o.path}\`: a folder is in its place` }
    } catch (err) {
      return { reason: `output \`${o.path}\`: checking its folder failed (${(err as Error).message})` }
    }
    if (o.type !== 'file') continue
    const why = await verifyBlob(o, blobs, readBlob)
    if (why) return { reason: why }
  }
  let log: Buffer = Buffer.alloc(0)
  if (parsed.log) {
    const data = await readVerified(readBlob, parsed.log)
    if (!data) return { reason: `cache blob ${parsed.log.slice(0, 12)} (log) is missing or corrupt (hash mismatch)` }
    log = data
  }
  return { outputs: parsed.outputs, blobs, log }
}

/** Read (once per hash, into `blobs`) and check the blob of file output `o`. @returns why it is refused, or undefined */
async function verifyBlob(
  o: Extract<OutputEntry, { type: 'file' }>,
  blobs: Map<string, Buffer>,
  readBlob: BlobReader,
): Promise<string | undefined> {
  if (!blobs.has(o.hash)) {
    const data = await readVerified(readBlob, o.hash)
    if (!data) return `cache blob ${o.hash.slice(0, 12)} for \`${o.path}\` is missing or corrupt (hash mismatch)`
    blobs.set(o.hash, data)
  }
  const data = blobs.get(o.hash)!
  if (data.length !== o.size)
    return `cache entry for \`${o.path}\` records ${o.size} bytes, its blob has ${data.length}`
  if (gitBlobId(data) !== o.blob && o.blob.length === 40)
    return `cache entry for \`${o.path}\` records a git blob id that does not match its content`
  return undefined
}

/**
 * Step 2 of a restore: write each output, remembering how to undo; on an error undo everything.
 * @returns why it failed (nothing of the entry left on disk), or undefined when every output is in place
 */
function writeOutputs(
  root: string,
  outputs: readonly OutputEntry[],
  blobs: ReadonlyMap<string, Buffer>,
): string | undefined {
  const undo: (() => void)[] = []
  const backups: string[] = []
  let current: { path: string; op: string } = { path: '', op: '' }
  try {
    for (const o of outputs) {
      const abs = join(root, o.path)
      current = { path: o.path, op: 'create its folder' }
      mkdirTracked(root, dirname(o.path), undo)
      current = { path: o.path, op: 'write a temp file' }
      // Staged under .tasks/tmp (never where globs look); beside the target only when that fails
      // (a full or unusable .tasks, the output folder on another file system: EXDEV).
      let tmp = stage(abs, o, blobs, tempPathFor, undo)
      if (lstatOrUndefined(abs)) {
        current = { path: o.path, op: 'move the previous file aside' }
        const bak = renameAside(abs)
        backups.push(bak)
        undo.push(() => renameSync(bak, abs))
      }
      current = { path: o.path, op: 'rename into place' }
      try {
        renameSync(tmp, abs)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err
        current = { path: o.path, op: 'write a temp file beside it: its folder is on another file system' }
        tmp = stage(abs, o, blobs, besideTarget, undo, false)
        current = { path: o.path, op: 'rename into place' }
        renameSync(tmp, abs)
      }
      undo.push(() => unlinkQuiet(abs))
    }
  } catch (err) {
    const problems: string[] = []
    for (const u of undo.reverse()) {
      try {
        u()
      } catch (e) {
        problems.push((e as Error).message)
      }
    }
    return `restoring \`${current.path}\` failed (${current.op}): ${(err as Error).message}${problems.length ? `; rollback: ${problems.join('; ')}` : ''}`
  }
  for (const b of backups) unlinkQuiet(b)
  return undefined
}

/** A blob whose SHA-256 is `hash`, else undefined (missing, unreadable or corrupt). */
async function readVerified(readBlob: BlobReader, hash: string): Promise<Buffer | undefined> {
  let data: Buffer | undefined
  try {
    data = await readBlob(hash)
  } catch {
    return undefined
  }
  return data && sha256(data) === hash ? data : undefined
}

/**
 * Check each existing folder on the way from `root` to the output's parent: a symlink must resolve
 * to a folder inside the root (not `.git/`, `.tasks/`), a file in the way refuses. Stops at the first
 * missing folder (the rest will be created). Results are memoised per folder in `memo`.
 * @returns why it is unsafe, or undefined
 */
function checkParents(
  root: string,
  realRoot: string,
  path: string,
  memo: Map<string, string | undefined>,
): string | undefined {
  const segments = path.split('/').slice(0, -1)
  let rel = ''
  for (const s of segments) {
    rel = rel ? `${rel}/${s}` : s
    if (memo.has(rel)) {
      const m = memo.get(rel)
      if (m !== undefined) return m
      continue
    }
    const abs = join(root, rel)
    const st = lstatOrUndefined(abs)
    let why: string | undefined
    if (!st) {
      memo.set(rel, undefined)
      return undefined
    }
    if (st.isSymbolicLink()) {
      const real = realpathSync(abs)
      why = insideRoot(realRoot, real)
      if (!why && !lstatSync(real).isDirectory()) why = `\`${rel}\` is a symlink to a file, not a folder`
      if (why) why = `the symlinked folder \`${rel}\` ${why}`
    } else if (!st.isDirectory()) why = `\`${rel}\` is a file, not a folder`
    memo.set(rel, why)
    if (why) return why
  }
  return undefined
}

/** mkdir each missing folder of `relDir` under `root`, one by one, recording an rmdir for each created. */
function mkdirTracked(root: string, relDir: string, undo: (() => void)[]): void {
  if (relDir === '.' || relDir === '') return
  let rel = ''
  for (const s of relDir.split('/')) {
    rel = rel ? `${rel}/${s}` : s
    const abs = join(root, rel)
    if (lstatOrUndefined(abs)) continue
    mkdirSync(abs)
    undo.push(() => rmdirSync(abs))
  }
}

let besideCounter = 0
/** A temp name beside `abs` (same folder, so the rename cannot cross file systems): `.<name>.<pid>.<n>.tasks-tmp`. */
const besideTarget = (abs: string) =>
  join(dirname(abs), `.${basename(abs)}.${process.pid}.${++besideCounter}.tasks-tmp`)

/**
 * Write output `o` to a temp path from `pathFor` (recording its removal in `undo`); when that fails
 * and `fallback` is set, once more beside the target.
 * @returns the temp path written
 */
function stage(
  abs: string,
  o: OutputEntry,
  blobs: ReadonlyMap<string, Buffer>,
  pathFor: (abs: string) => string,
  undo: (() => void)[],
  fallback = true,
): string {
  let tmp: string
  try {
    tmp = pathFor(abs)
    writeOutput(tmp, o, blobs)
  } catch (err) {
    if (!fallback) throw err
    tmp = besideTarget(abs)
    writeOutput(tmp, o, blobs)
  }
  undo.push(() => unlinkQuiet(tmp))
  return tmp
}

/** Move the file at `abs` to a temp path (under .tasks/tmp, else beside it) and return that path. */
function renameAside(abs: string): string {
  try {
    const bak = tempPathFor(abs)
    renameSync(abs, bak)
    return bak
  } catch {
    const bak = besideTarget(abs)
    renameSync(abs, bak)
    return bak
  }
}

/** Write `o` at the fresh path `tmp`; a write that fails part-way (ENOSPC) removes what it wrote, then throws. */
function writeOutput(tmp: string, o: OutputEntry, blobs: ReadonlyMap<string, Buffer>): void {
  if (o.type === 'symlink') {
    symlinkSync(o.target, tmp)
    return
  }
  let created = false
  try {
    writeFileSync(tmp, blobs.get(o.hash)!, { mode: o.mode, flag: 'wx' })
    created = true
    chmodSync(tmp, o.mode)
  } catch (err) {
    // 'wx' failing with EEXIST means the name was not ours: leave it. Otherwise the file may exist half-written.
    if (created || (err as NodeJS.ErrnoException).code !== 'EEXIST') unlinkQuiet(tmp)
    throw err
  }
}

function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p)
  } catch {}
}
