/**
 * The outputs of a REAPI v2 `ActionResult`, fetched and verified: `output_files` (with their
 * executable bit), `output_directories` (each a `Tree` blob: the root `Directory` and every child,
 * matched to the `DirectoryNode` digests by hashing each child's bytes as sent), `output_symlinks`
 * (and the pre-2.1 `output_file_symlinks`/`output_directory_symlinks`), and stdout/stderr from
 * `stdout_raw`/`stderr_raw` or their digests. Every blob is checked against its digest before it is
 * returned; nothing is written to disk here.
 */
import protobuf from 'protobufjs'
import { download, verified } from './cas.js'
import { RemoteExecError } from './errors.js'
import { digestOf, type Digest } from './input-root.js'
import { decode } from './proto.js'
import type { ReapiConnection } from './connection.js'

/** One output of a remote action, paths POSIX and relative to the working directory. */
export type RemoteOutput =
  | { type: 'file'; path: string; digest: Digest; executable: boolean; bytes: Buffer }
  | { type: 'symlink'; path: string; target: string }
  /** A directory of an output directory's tree (the output directory itself included, even when empty). */
  | { type: 'directory'; path: string }

/** What a finished action produced. */
export interface ActionOutputs {
  exitCode: number
  stdout: Buffer
  stderr: Buffer
  outputs: RemoteOutput[]
  /** `execution_metadata.worker`, when the server names it. */
  worker?: string
}

interface PendingFile {
  path: string
  digest: Digest
  executable: boolean
  inline?: Buffer
}

const toDigest = (d: { hash?: string; sizeBytes?: number } | undefined): Digest | undefined =>
  d?.hash ? { hash: d.hash, size: Number(d.sizeBytes ?? 0) } : undefined

/** The raw bytes of a `Tree`'s root (field 1) and children (field 2), as sent (their digests must match). */
function splitTree(bytes: Buffer): { root?: Buffer; children: Buffer[] } {
  const r = protobuf.Reader.create(bytes)
  const out: { root?: Buffer; children: Buffer[] } = { children: [] }
  while (r.pos < r.len) {
    const tag = r.uint32()
    const field = tag >>> 3,
      wire = tag & 7
    if (wire === 2 && field === 1) out.root = Buffer.from(r.bytes())
    else if (wire === 2 && field === 2) out.children.push(Buffer.from(r.bytes()))
    else r.skipType(wire)
  }
  return out
}

/** Flatten one output directory's `Tree` into `files`/`rest` entries under `base`. */
function walkTree(base: string, tree: Buffer, files: PendingFile[], rest: RemoteOutput[]): void {
  const { root, children } = splitTree(tree)
  const byDigest = new Map(children.map((c) => [digestOf(c).hash, c]))
  const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name)
  const visit = (dirBytes: Buffer, dir: string, depth: number) => {
    if (depth > 1000) throw new RemoteExecError('infrastructure', `the output tree of ${base} is too deep (a cycle?)`)
    rest.push({ type: 'directory', path: dir })
    const d = decode('reapi.Directory', dirBytes)
    for (const f of d.files ?? [])
      files.push({
        path: join(dir, f.name),
        digest: toDigest(f.digest) ?? digestOf(Buffer.alloc(0)),
        executable: !!f.isExecutable,
      })
    for (const s of d.symlinks ?? []) rest.push({ type: 'symlink', path: join(dir, s.name), target: s.target ?? '' })
    for (const sub of d.directories ?? []) {
      const child = byDigest.get(sub.digest?.hash ?? '')
      if (!child)
        throw new RemoteExecError(
          'infrastructure',
          `the output tree of ${base} lacks the directory ${join(dir, sub.name)}`,
        )
      visit(child, join(dir, sub.name), depth + 1)
    }
  }
  visit(root ?? Buffer.alloc(0), base, 0)
}

/** stdout or stderr: the inline bytes, else the blob named by the digest, else empty. */
function logDigest(raw: Buffer | undefined, digest: Digest | undefined): { raw?: Buffer; digest?: Digest } {
  return raw?.length ? { raw } : digest && digest.size > 0 ? { digest } : { raw: Buffer.alloc(0) }
}

/**
 * Fetch and verify everything an `ActionResult` (decoded by `proto.ts`) refers to.
 * `limit` is the batch limit (`batchLimit`).
 * @throws {RemoteExecError} `infrastructure` for a missing blob, a digest mismatch or a malformed tree.
 */
export async function fetchOutputs(
  conn: ReapiConnection,
  ar: Record<string, any>,
  limit: number,
): Promise<ActionOutputs> {
  const files: PendingFile[] = (ar.outputFiles ?? []).map((f: any) => ({
    path: f.path,
    digest: toDigest(f.digest) ?? digestOf(Buffer.alloc(0)),
    executable: !!f.isExecutable,
    inline: f.contents?.length ? f.contents : undefined,
  }))
  const rest: RemoteOutput[] = []
  const links = new Map<string, string>()
  for (const s of [
    ...(ar.outputSymlinks ?? []),
    ...(ar.outputFileSymlinks ?? []),
    ...(ar.outputDirectorySymlinks ?? []),
  ])
    links.set(s.path, s.target ?? '')
  for (const [path, target] of links) rest.push({ type: 'symlink', path, target })
  const trees = (ar.outputDirectories ?? []).map((o: any) => ({ path: o.path ?? '', digest: toDigest(o.treeDigest) }))
  const treeBlobs = await download(conn, trees.map((t: any) => t.digest).filter(Boolean), limit)
  for (const t of trees) {
    if (!t.digest) throw new RemoteExecError('infrastructure', `the output directory ${t.path} has no tree digest`)
    walkTree(t.path, treeBlobs.get(t.digest.hash)!, files, rest)
  }
  const stdout = logDigest(ar.stdoutRaw, toDigest(ar.stdoutDigest))
  const stderr = logDigest(ar.stderrRaw, toDigest(ar.stderrDigest))
  const need = [...files.filter((f) => !f.inline).map((f) => f.digest), stdout.digest, stderr.digest].filter(
    (d): d is Digest => !!d,
  )
  const blobs = await download(conn, need, limit)
  const fileOutputs: RemoteOutput[] = files.map((f) => ({
    type: 'file',
    path: f.path,
    digest: f.digest,
    executable: f.executable,
    bytes: f.inline ? verified(f.digest, f.inline, f.path) : blobs.get(f.digest.hash)!,
  }))
  return {
    exitCode: Number(ar.exitCode ?? 0),
    stdout: stdout.raw ?? blobs.get(stdout.digest!.hash)!,
    stderr: stderr.raw ?? blobs.get(stderr.digest!.hash)!,
    outputs: [...fileOutputs, ...rest].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    worker: ar.executionMetadata?.worker || undefined,
  }
}
