/**
 * The local cache in `<root>/.tasks/`: `cas/<2 hex>/<sha256>` blobs and `ac/<fingerprint>.json`
 * action results. Every write is temp file + rename; the `ac` entry is written last (the commit
 * point), so a `kill -9` mid-store leaves at worst unreferenced blobs, never a broken entry.
 * Entries are untrusted on read: validated by `entry.ts` (a malformed one is a miss with a
 * warning), blobs verified by SHA-256 before the first write of a restore (`restore.ts`).
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { gitBlobId, sha256 } from '../util/hash.js'
import { writeFileAtomic } from '../util/fs.js'
import {
  ENTRY_SCHEMA,
  type ActionResult,
  type Cache,
  type CacheGetOptions,
  type CacheHit,
  type OutputEntry,
  type RestoreResult,
  type StoreInput,
} from './cache.js'
import { SHA256_HEX, isEntryError, parseActionResult } from './entry.js'
import { restoreEntry } from './restore.js'
import { readStable } from './stable-read.js'

/** Largest `ac/` entry read, bytes (an entry lists outputs, not their content). */
export const MAX_ENTRY_BYTES = 256 * 1024 * 1024

/** The local, on-disk cache (the default of `run`). */
export class LocalCache implements Cache {
  private readonly cas: string
  private readonly ac: string
  private realRoot: { root: string; real: string } | undefined
  /** @param dir the cache folder, e.g. `<root>/.tasks` */
  constructor(dir: string) {
    this.cas = join(dir, 'cas')
    this.ac = join(dir, 'ac')
  }

  async get(fingerprint: string, options?: CacheGetOptions): Promise<CacheHit | undefined> {
    if (!SHA256_HEX.test(fingerprint)) return undefined
    const file = join(this.ac, `${fingerprint}.json`)
    let text: string
    try {
      // Only a regular file of sane size is read (a symlink to /dev/zero or a huge file is refused, not read).
      const st = lstatSync(file, { throwIfNoEntry: false })
      if (!st) return undefined
      if (!st.isFile() || st.size > MAX_ENTRY_BYTES) {
        options?.onWarning?.(
          `cache entry ${fingerprint.slice(0, 12)} refused: not a regular file of at most ${MAX_ENTRY_BYTES} bytes`,
        )
        return undefined
      }
      text = readFileSync(file, 'utf8')
    } catch {
      return undefined
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      // A truncated entry (kill -9 mid-write of an older version, a full disk): a plain miss.
      options?.onWarning?.(`cache entry ${fingerprint.slice(0, 12)} is not valid JSON (ignored)`)
      return undefined
    }
    const entry = parseActionResult(json)
    if (isEntryError(entry)) {
      if (!entry.otherSchema) options?.onWarning?.(`cache entry ${fingerprint.slice(0, 12)} refused: ${entry.error}`)
      return undefined
    }
    if (entry.fingerprint !== fingerprint) {
      options?.onWarning?.(
        `cache entry ${fingerprint.slice(0, 12)} refused: it records fingerprint ${entry.fingerprint.slice(0, 12)}`,
      )
      return undefined
    }
    return { entry, source: 'local' }
  }

  async has(fingerprints: readonly string[]): Promise<Set<string>> {
    return new Set(fingerprints.filter((f) => SHA256_HEX.test(f) && existsSync(join(this.ac, `${f}.json`))))
  }

  async put(root: string, input: StoreInput, outputFiles: readonly string[], log: Buffer): Promise<ActionResult> {
    const { record, ...result } = input
    const outputs: OutputEntry[] = []
    for (const path of outputFiles) {
      const abs = join(root, path)
      const st = lstatSync(abs)
      if (st.isSymbolicLink()) {
        outputs.push({ path, type: 'symlink', target: readlinkSync(abs) })
      } else if (st.isFile()) {
        const { data } = readStable(abs, path) // refuses a file that changed while read
        outputs.push({
          path,
          type: 'file',
          mode: st.mode & 0o777,
          size: data.length,
          hash: this.putBlob(data),
          blob: gitBlobId(data),
        })
      }
    }
    const entry: ActionResult = {
      schema: ENTRY_SCHEMA,
      ...result,
      outputs,
      log: log.length ? this.putBlob(log) : null,
      createdAt: new Date().toISOString(),
      recordBlob: this.putBlob(Buffer.from(JSON.stringify(record))),
    }
    this.commit(entry)
    return entry
  }

  async restore(root: string, hit: CacheHit): Promise<RestoreResult> {
    let real: string
    try {
      if (this.realRoot?.root !== root) this.realRoot = { root, real: realpathSync(root) }
      real = this.realRoot.real
    } catch (err) {
      return { ok: false, reason: `could not resolve the project root: ${(err as Error).message}` }
    }
    return restoreEntry(root, hit.entry, (hash) => this.readBlobSync(hash), real)
  }

  /** A blob's bytes when present and its SHA-256 matches, else undefined (a corrupt blob is deleted, so the next store writes it again). */
  async readBlob(hash: string): Promise<Buffer | undefined> {
    return this.readBlobSync(hash)
  }

  /** Store bytes in the CAS. @returns their SHA-256 */
  async writeBlob(data: Buffer): Promise<string> {
    return this.putBlob(data)
  }

  /**
   * Store an entry that came from elsewhere (a remote tier): validate its shape, verify every blob
   * it names (by SHA-256) from `blobs` or the local CAS, write the missing blobs, then the entry.
   * @throws {Error} naming the problem when the entry is malformed or a blob is missing or corrupt (nothing is committed then).
   */
  async importEntry(entry: ActionResult, blobs: ReadonlyMap<string, Buffer>): Promise<void> {
    const parsed = parseActionResult(entry)
    if (isEntryError(parsed)) throw new Error(parsed.error)
    const hashes = [
      ...parsed.outputs.flatMap((o) => (o.type === 'file' ? [o.hash] : [])),
      ...(parsed.log ? [parsed.log] : []),
    ]
    for (const h of hashes) {
      const given = blobs.get(h)
      if (given) {
        if (sha256(given) !== h) throw new Error(`blob ${h.slice(0, 12)} does not match its hash`)
        this.putBlob(given)
      } else if (!this.readBlobSync(h)) throw new Error(`blob ${h.slice(0, 12)} is missing`)
    }
    const record = blobs.get(parsed.recordBlob)
    if (record && sha256(record) === parsed.recordBlob) this.putBlob(record)
    this.commit(parsed)
  }

  private commit(entry: ActionResult): void {
    // No fsync: a power loss that leaves the entry (or a blob) empty or torn is caught on read (the
    // entry is validated, every blob verified by SHA-256), so the worst case is a miss, never a wrong
    // restore; an fsync per stored task cost ~10 ms of a cold run on a busy disk.
    writeFileAtomic(join(this.ac, `${entry.fingerprint}.json`), JSON.stringify(entry))
  }

  /** `hash` is validated hex by every caller, so the path is always inside `cas/`. */
  private blobPath(hash: string): string {
    if (!SHA256_HEX.test(hash)) throw new Error(`not a blob hash: ${JSON.stringify(hash.slice(0, 80))}`)
    return join(this.cas, hash.slice(0, 2), hash)
  }

  private putBlob(data: Buffer): string {
    const hash = sha256(data)
    const p = this.blobPath(hash)
    // A regular file under its hash is the blob (verified on every read); anything else is replaced.
    if (!lstatSync(p, { throwIfNoEntry: false })?.isFile()) writeFileAtomic(p, data)
    return hash
  }

  private readBlobSync(hash: string): Buffer | undefined {
    if (!SHA256_HEX.test(hash)) return undefined
    const p = this.blobPath(hash)
    let data: Buffer
    try {
      if (!lstatSync(p).isFile()) {
        // Not a blob (a symlink, a device): removed, so the next store writes the real one.
        try {
          unlinkSync(p)
        } catch {}
        return undefined
      }
      data = readFileSync(p)
    } catch {
      return undefined
    }
    if (sha256(data) === hash) return data
    try {
      unlinkSync(p)
    } catch {}
    return undefined
  }
}
