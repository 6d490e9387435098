/**
 * The local cache in `<root>/.tasks/`: `cas/<2 hex>/<sha256>` blobs and `ac/<fingerprint>.json`
 * action results. Every write is temp file + rename; the `ac` entry is written last (the commit
 * point), so a `kill -9` mid-store leaves at worst unreferenced blobs, never a broken entry.
 * Blobs are verified by hash on restore: a corrupt blob is a miss, never a crash.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync, renameSync, unlinkSync, chmodSync } from 'node:fs'
import { dirname, join, posix, relative, sep, isAbsolute } from 'node:path'
import { gitBlobId, sha256 } from '../util/hash.js'
import { tempPathFor, writeFileAtomic } from '../util/fs.js'
import { readStable } from './stable-read.js'
import type { ActionResult, Cache, OutputEntry, RestoreResult } from './cache.js'
import type { FingerprintRecord } from '../fingerprint/fingerprint.js'

/** The local, on-disk cache. */
export class LocalCache implements Cache {
  private readonly cas: string
  private readonly ac: string
  private realRoot: string | undefined
  /** @param dir the cache folder, e.g. `<root>/.tasks` */
  constructor(dir: string) {
    this.cas = join(dir, 'cas')
    this.ac = join(dir, 'ac')
  }

  get(fingerprint: string): ActionResult | undefined {
    try {
      const r = JSON.parse(readFileSync(join(this.ac, `${fingerprint}.json`), 'utf8')) as ActionResult
      return r && r.fingerprint === fingerprint && Array.isArray(r.outputs) ? r : undefined
    } catch {
      return undefined
    }
  }

  put(root: string, { record, ...result }: Omit<ActionResult, 'outputs' | 'log' | 'createdAt' | 'recordBlob'> & { record: FingerprintRecord }, outputFiles: readonly string[], log: string): ActionResult {
    const outputs: OutputEntry[] = []
    for (const path of outputFiles) {
      const abs = join(root, path)
      const st = lstatSync(abs)
      if (st.isSymbolicLink()) {
        outputs.push({ path, type: 'symlink', target: readlinkSync(abs) })
      } else if (st.isFile()) {
        const { data } = readStable(abs, path) // refuses a file that changed while read
        const hash = this.putBlob(data)
        outputs.push({ path, type: 'file', mode: st.mode & 0o777, size: data.length, hash, blob: gitBlobId(data) })
      }
    }
    const entry: ActionResult = {
      ...result, outputs, log: log ? this.putBlob(Buffer.from(log)) : null, createdAt: new Date().toISOString(), recordBlob: this.putBlob(Buffer.from(JSON.stringify(record))),
    }
    writeFileAtomic(join(this.ac, `${result.fingerprint}.json`), JSON.stringify(entry), 0o644, true)
    return entry
  }

  restore(root: string, result: ActionResult): RestoreResult {
    // Verify everything before writing anything: a miss must leave the work tree untouched.
    const blobs = new Map<string, Buffer>()
    for (const o of result.outputs) {
      const bad = unsafePath(o.path)
      if (bad) return { ok: false, reason: `output path \`${o.path}\` ${bad}` }
      if (o.type === 'file' && !blobs.has(o.hash)) {
        const data = this.readBlob(o.hash)
        if (!data) return { ok: false, reason: `cache blob ${o.hash.slice(0, 12)} for \`${o.path}\` is missing or corrupt (hash mismatch)` }
        blobs.set(o.hash, data)
      }
    }
    let log = ''
    if (result.log) {
      const data = this.readBlob(result.log)
      if (!data) return { ok: false, reason: `cache blob ${result.log.slice(0, 12)} (log) is missing or corrupt (hash mismatch)` }
      log = data.toString()
    }
    const realRoot = (this.realRoot ??= realpathSync(root))
    for (const o of result.outputs) {
      const abs = join(root, o.path)
      mkdirSync(dirname(abs), { recursive: true })
      const realParent = realpathSync(dirname(abs))
      const rel = relative(realRoot, realParent)
      if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '..') {
        return { ok: false, reason: `output \`${o.path}\` would be written outside the project root (a symlinked folder leads to ${realParent})` }
      }
      if (o.type === 'file') {
        writeFileAtomic(abs, blobs.get(o.hash)!, o.mode)
        chmodSync(abs, o.mode)
      } else {
        const tmp = tempPathFor(abs)
        symlinkSync(o.target, tmp)
        try {
          renameSync(tmp, abs)
        } catch (err) {
          try { unlinkSync(tmp) } catch {}
          throw err
        }
      }
    }
    return { ok: true, restored: result.outputs.length, log }
  }

  private blobPath(hash: string): string {
    return join(this.cas, hash.slice(0, 2), hash)
  }

  private putBlob(data: Buffer): string {
    const hash = sha256(data)
    const p = this.blobPath(hash)
    if (!existsSync(p)) writeFileAtomic(p, data)
    return hash
  }

  /** The blob's bytes when present and its SHA-256 matches, else undefined (a corrupt blob is deleted, so the next store writes it again). */
  private readBlob(hash: string): Buffer | undefined {
    let data: Buffer
    try {
      data = readFileSync(this.blobPath(hash))
    } catch {
      return undefined
    }
    if (sha256(data) === hash) return data
    try { unlinkSync(this.blobPath(hash)) } catch {}
    return undefined
  }
}

/** Why a stored output path is unsafe to restore (absolute, or climbing with `..`), or undefined. */
function unsafePath(p: string): string | undefined {
  if (isAbsolute(p) || p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return 'is absolute'
  if (posix.normalize(p).split('/').includes('..')) return 'climbs out of the project root'
  return undefined
}
