/**
 * Early cutoff: the digest of a task's outputs, what its dependents key on instead of its
 * fingerprint, so a dependency that reran and wrote byte-identical outputs (a comment-only edit of
 * a `.c` file) leaves its dependents up to date. Same semantics as ninja's `restat` and Bazel's
 * action keys on input digests. The digest is the same whether the outputs were just written, were
 * restored from a cache entry, or are recorded in the task's state.
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '../util/hash.js'
import type { OutputEntry } from '../cache/cache.js'
import type { ResolvedTask } from '../model/internal.js'

/** Whether dependents of `task` key on its output digest (a cached task with declared outputs) rather than its fingerprint. */
export function keysOnOutputs(task: ResolvedTask): boolean {
  return task.run !== undefined && task.inputs !== undefined && task.fingerprint !== false && task.outputs.length > 0
}

/**
 * SHA-256 (hex) over the outputs' paths, types, executable bits and contents (files: the SHA-256 of
 * the bytes, as the CAS keys them; symlinks: the target text), in path order.
 * @param outputs a cache entry's outputs (`ActionResult.outputs`), or {@link readOutputs} of the files on disk
 */
export function outputDigest(outputs: readonly OutputEntry[]): string {
  const lines = [...outputs]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((o) =>
      o.type === 'file'
        ? `${o.path}\0file\0${o.mode & 0o100 ? 'x' : '-'}\0${o.hash}`
        : `${o.path}\0symlink\0${o.target}`,
    )
  return sha256(`outputs\0${lines.join('\n')}`)
}

/**
 * The outputs as they are on disk, in the shape of a cache entry's (no cache involved: the cache
 * is off). Files that vanished are left out; `blob` is not computed (empty).
 * @param paths root-relative POSIX paths (the expanded output globs)
 */
export function readOutputs(root: string, paths: readonly string[]): OutputEntry[] {
  const out: OutputEntry[] = []
  for (const path of paths) {
    const abs = join(root, path)
    try {
      const st = lstatSync(abs)
      if (st.isSymbolicLink()) out.push({ path, type: 'symlink', target: readlinkSync(abs) })
      else if (st.isFile())
        out.push({
          path,
          type: 'file',
          mode: st.mode & 0o777,
          size: st.size,
          hash: sha256(readFileSync(abs)),
          blob: '',
        })
    } catch {}
  }
  return out
}
