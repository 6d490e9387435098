/**
 * The input root of a remote action: a list of files becomes the Merkle tree of REAPI v2 `Directory`
 * messages (`remote_execution.proto`: every child one path segment, files, directories and symlinks
 * each sorted by name in UTF-8 byte order, digests of the canonical encoding), with the root digest
 * the `Action.input_root_digest`. Deterministic: the same list (in any order) gives the same root
 * digest on any machine; nothing of the local file system (mtime, owner, absolute paths) enters it.
 */
import { readFile } from 'node:fs/promises'
import type { Digest as CacheDigest } from '../cache/remote/store.js'
import { sha256 } from '../util/hash.js'
import { encode } from './proto.js'

/** A blob named by its SHA-256 (lowercase hex) and size in bytes (REAPI `Digest`; the cache's type). */
export type Digest = CacheDigest

/**
 * One entry of the input root. `path` is POSIX, relative to the input root, without `.`/`..`
 * segments or a leading/trailing slash. Give the content as `bytes`, or as `digest` plus `file` (a
 * local path read only if the server lacks the blob). `symlink` makes it a symbolic link with that
 * target (REAPI `SymlinkNode`); `directory` an (empty) directory.
 */
export interface InputEntry {
  path: string
  bytes?: Uint8Array
  digest?: Digest
  file?: string
  /** The executable bit (`FileNode.is_executable`). */
  executable?: boolean
  symlink?: string
  directory?: boolean
}

/** A blob the action may need uploaded: its bytes, or the local file holding them. */
export interface Blob {
  digest: Digest
  bytes?: Buffer
  file?: string
}

/** The Merkle tree of an input root. */
export interface InputRoot {
  /** The digest of the root `Directory` message (`Action.input_root_digest`). */
  root: Digest
  /** Every blob of the tree by hash: the serialized `Directory` messages and the file contents. */
  blobs: Map<string, Blob>
}

/** The digest of `bytes`. */
export function digestOf(bytes: Uint8Array): Digest {
  return { hash: sha256(bytes), size: bytes.length }
}

/** A digest as REAPI's `Digest` message object (`hash`, `size_bytes`). */
export function pbDigest(d: Digest): { hash: string; sizeBytes: number } {
  return { hash: d.hash, sizeBytes: d.size }
}

/** Compare strings by UTF-8 bytes (= by code point), the order REAPI requires. */
export function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/**
 * Check a relative POSIX path and split it into segments.
 * @throws {Error} for an empty, absolute, backslashed or non-normal path (`.`, `..`, `//`, trailing `/`).
 */
export function segments(path: string, what = 'input path'): string[] {
  const parts = path.split('/')
  if (!path || path.startsWith('/') || path.includes('\\') || parts.some((p) => !p || p === '.' || p === '..'))
    throw new Error(`the ${what} \`${path}\` must be relative, use \`/\`, and have no \`.\`, \`..\` or empty segments`)
  return parts
}

interface Dir {
  files: Map<string, { digest: Digest; executable: boolean }>
  dirs: Map<string, Dir>
  symlinks: Map<string, string>
}
const newDir = (): Dir => ({ files: new Map(), dirs: new Map(), symlinks: new Map() })

/** Walk (creating) to the directory holding `parts`' last segment. */
function parentOf(root: Dir, parts: string[], path: string): Dir {
  let d = root
  for (const p of parts.slice(0, -1)) {
    if (d.files.has(p) || d.symlinks.has(p))
      throw new Error(`the input path \`${path}\` goes through \`${p}\`, which is a file`)
    let next = d.dirs.get(p)
    if (!next) d.dirs.set(p, (next = newDir()))
    d = next
  }
  return d
}

/** Add one entry to the tree; its content blob (if any) to `blobs`. */
function add(root: Dir, e: InputEntry, blobs: Map<string, Blob>): void {
  const parts = segments(e.path)
  const name = parts[parts.length - 1]!
  const d = parentOf(root, parts, e.path)
  const taken = d.files.has(name) || d.dirs.has(name) || d.symlinks.has(name)
  if (e.directory) {
    if (d.files.has(name) || d.symlinks.has(name)) throw new Error(`the input path \`${e.path}\` is listed twice`)
    if (!d.dirs.has(name)) d.dirs.set(name, newDir())
    return
  }
  if (taken) throw new Error(`the input path \`${e.path}\` is listed twice`)
  if (e.symlink !== undefined) {
    d.symlinks.set(name, e.symlink)
    return
  }
  const bytes = e.bytes ? Buffer.from(e.bytes) : undefined
  const digest = bytes ? digestOf(bytes) : e.digest
  if (!digest) throw new Error(`the input \`${e.path}\` has neither bytes nor a digest`)
  if (!bytes && !e.file) throw new Error(`the input \`${e.path}\` has a digest but no file to read it from`)
  d.files.set(name, { digest, executable: !!e.executable })
  if (!blobs.has(digest.hash)) blobs.set(digest.hash, bytes ? { digest, bytes } : { digest, file: e.file })
}

/** Serialize `d` and its subdirectories bottom-up into `blobs`; returns `d`'s digest. */
function seal(d: Dir, blobs: Map<string, Blob>): Digest {
  const sorted = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => byUtf8(a, b))
  const message = {
    files: sorted(d.files).map(([name, f]) => ({ name, digest: pbDigest(f.digest), isExecutable: f.executable })),
    directories: sorted(d.dirs).map(([name, sub]) => ({ name, digest: pbDigest(seal(sub, blobs)) })),
    symlinks: sorted(d.symlinks).map(([name, target]) => ({ name, target })),
  }
  const bytes = encode('reapi.Directory', message)
  const digest = digestOf(bytes)
  blobs.set(digest.hash, { digest, bytes })
  return digest
}

/**
 * Build the input root's Merkle tree from `entries` (any order; parent directories are implied).
 * @throws {Error} for a bad path, a path listed twice, a file used as a directory, or an entry
 *   with neither bytes nor digest+file.
 */
export function buildInputRoot(entries: readonly InputEntry[]): InputRoot {
  const root = newDir()
  const blobs = new Map<string, Blob>()
  for (const e of entries) add(root, e, blobs)
  return { root: seal(root, blobs), blobs }
}

/** The bytes of a blob: held in memory, or read from its file (checked against the digest). */
export async function blobBytes(b: Blob): Promise<Buffer> {
  if (b.bytes) return b.bytes
  const bytes = await readFile(b.file!)
  const d = digestOf(bytes)
  if (d.hash !== b.digest.hash || d.size !== b.digest.size)
    throw new Error(
      `the input file ${b.file} changed since it was digested (${d.hash.slice(0, 12)} ≠ ${b.digest.hash.slice(0, 12)})`,
    )
  return bytes
}
