/**
 * Reading an output for the cache so that a file being rewritten while it is stored is never
 * stored: stat, read, stat again, and refuse when size, mtime, ctime or inode moved (the check
 * ccache and Bazel's local cache make before trusting a file they just hashed). Another process, or
 * a straggling child of the task, truncating the file mid-read would otherwise store wrong bytes
 * under a valid hash, and every later cache hit would restore them.
 */
import { closeSync, fstatSync, lstatSync, openSync, readSync, type BigIntStats } from 'node:fs'
import { lstat, open } from 'node:fs/promises'

/** Thrown by {@link readStable} when the file changed while it was read. `code`: `'output-changed'`. */
export class OutputChangedError extends Error {
  readonly code = 'output-changed'
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(`output \`${path}\` changed while it was being stored (${what}); not storing this result`)
    this.name = 'OutputChangedError'
  }
}

/** What {@link readStable} returns: the bytes and the (lstat) stats taken before reading. */
export interface StableRead {
  data: Buffer
  /** Stats of the file as read (bigint: ns times). */
  stat: BigIntStats
}

/**
 * Read the regular file `abs` and make sure it did not change meanwhile: its lstat before, its
 * fstat after the read and its lstat after (the path still names the same inode) must agree on
 * inode, size, mtime and ctime, and the bytes read must number `size`.
 * @param label the root-relative path used in the error message
 * @throws {OutputChangedError} when the file changed while being read
 * @throws the fs error when it cannot be opened or read (e.g. ENOENT)
 */
export function readStable(abs: string, label: string = abs): StableRead {
  const before = lstatSync(abs, { bigint: true })
  const fd = openSync(abs, 'r')
  let data: Buffer
  let during: BigIntStats
  try {
    const size = Number(before.size)
    // One byte more than expected: a file that grew is noticed even if its stats were restored.
    const buf = Buffer.allocUnsafe(size + 1)
    let n = 0
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, n)
      if (r === 0) break
      n += r
      if (n === buf.length) break
    }
    data = buf.subarray(0, n)
    during = fstatSync(fd, { bigint: true })
  } finally {
    closeSync(fd)
  }
  const after = lstatSync(abs, { bigint: true })
  const why =
    statsDiffer(before, during) ??
    statsDiffer(before, after) ??
    (BigInt(data.length) !== before.size ? `read ${data.length} bytes of ${before.size}` : undefined)
  if (why) throw new OutputChangedError(label, why)
  return { data, stat: before }
}

/**
 * {@link readStable} on `fs/promises` (for the async cache): same checks, same errors.
 * @throws {OutputChangedError} when the file changed while being read
 */
export async function readStableAsync(abs: string, label: string = abs): Promise<StableRead> {
  const before = await lstat(abs, { bigint: true })
  const fh = await open(abs, 'r')
  let data: Buffer
  let during: BigIntStats
  try {
    const buf = Buffer.allocUnsafe(Number(before.size) + 1)
    let n = 0
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n)
      if (bytesRead === 0) break
      n += bytesRead
      if (n === buf.length) break
    }
    data = buf.subarray(0, n)
    during = await fh.stat({ bigint: true })
  } finally {
    await fh.close()
  }
  const after = await lstat(abs, { bigint: true })
  const why =
    statsDiffer(before, during) ??
    statsDiffer(before, after) ??
    (BigInt(data.length) !== before.size ? `read ${data.length} bytes of ${before.size}` : undefined)
  if (why) throw new OutputChangedError(label, why)
  return { data, stat: before }
}

/** How two stats of one file differ (inode, size, mtime, ctime), or undefined when they agree. */
function statsDiffer(a: BigIntStats, b: BigIntStats): string | undefined {
  return a.ino !== b.ino || a.dev !== b.dev
    ? 'replaced by another file'
    : a.size !== b.size
      ? `size ${a.size} -> ${b.size}`
      : a.mtimeNs !== b.mtimeNs
        ? 'mtime moved'
        : a.ctimeNs !== b.ctimeNs
          ? 'ctime moved'
          : undefined
}
