/**
 * Local cache size limit: least-recently-used eviction of action results and collection of the
 * blobs no remaining entry references (the same policy as bazel-remote's and ccache's LRU, at the
 * granularity of whole entries). "Used" is the newest of an entry file's mtime and atime; a cache
 * hit or an up-to-date task marks its entry used ({@link markUsed}), so the build you run every day
 * stays and last month's branches go.
 *
 * Layout read: `<dir>/ac/<fingerprint>.json` entries, `<dir>/cas/**\/<sha256>` blobs. A blob is
 * referenced when its hash appears as a string anywhere in an entry's JSON (robust to the entry
 * schema). Blobs younger than the grace period are never collected: a store in another process
 * writes its blobs before its entry.
 */
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { StateStore } from './state.js'

/** @default 5 GB, the default `cache.maxSize`. */
export const DEFAULT_MAX_SIZE = 5 * 1000 ** 3
/** Blobs younger than this are never collected, ms. */
export const BLOB_GRACE_MS = 60 * 60 * 1000

/** What a collection did. Sizes in bytes. */
export interface GcResult {
  entries: number
  blobs: number
  bytesBefore: number
  bytesAfter: number
  entriesRemoved: number
  blobsRemoved: number
}

interface EntryFile {
  path: string
  fingerprint: string
  size: number
  used: number
  refs: string[]
}
interface BlobFile {
  path: string
  size: number
  mtime: number
}

const HEX64 = /^[0-9a-f]{64}$/

function listEntries(dir: string): EntryFile[] {
  const out: EntryFile[] = []
  let names: string[] = []
  try {
    names = readdirSync(join(dir, 'ac'))
  } catch {
    return out
  }
  for (const name of names) {
    if (!name.endsWith('.json')) continue
    const path = join(dir, 'ac', name)
    try {
      const st = statSync(path)
      const text = readFileSync(path, 'utf8')
      const refs = new Set<string>()
      JSON.parse(text, (_k, v) => {
        if (typeof v === 'string' && HEX64.test(v)) refs.add(v)
        return v
      })
      out.push({
        path,
        fingerprint: name.slice(0, -5),
        size: st.size,
        used: Math.max(st.mtimeMs, st.atimeMs),
        refs: [...refs],
      })
    } catch {
      // An unreadable entry references nothing; it is removed with the first eviction pass.
      out.push({ path, fingerprint: name.slice(0, -5), size: 0, used: 0, refs: [] })
    }
  }
  return out
}

function listBlobs(dir: string): Map<string, BlobFile> {
  const out = new Map<string, BlobFile>()
  const walk = (d: string) => {
    let es
    try {
      es = readdirSync(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of es) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (HEX64.test(e.name)) {
        try {
          const st = statSync(p)
          out.set(e.name, { path: p, size: st.size, mtime: st.mtimeMs })
        } catch {}
      }
    }
  }
  walk(join(dir, 'cas'))
  return out
}

/**
 * Evict least-recently-used entries until the cache fits in 80% of `maxSize` (when it is over
 * `maxSize`), then delete every blob no entry references (older than the grace period) and no
 * task state names as its record.
 * @param dir the cache folder, e.g. `<root>/.tasks`
 * @param maxSize bytes; `Infinity` only collects unreferenced blobs
 */
export function collectGarbage(dir: string, maxSize: number, now = Date.now()): GcResult {
  const entries = listEntries(dir)
  const blobs = listBlobs(dir)
  const refcount = new Map<string, number>()
  for (const e of entries) for (const h of e.refs) if (blobs.has(h)) refcount.set(h, (refcount.get(h) ?? 0) + 1)
  const bytesBefore = entries.reduce((s, e) => s + e.size, 0) + [...blobs.values()].reduce((s, b) => s + b.size, 0)
  // Live size: entries plus referenced blobs (unreferenced ones go anyway).
  let live = entries.reduce((s, e) => s + e.size, 0) + [...refcount.keys()].reduce((s, h) => s + blobs.get(h)!.size, 0)
  let entriesRemoved = 0
  // Blobs whose last referencing entry was evicted: complete, so no grace period applies to them.
  const orphaned = new Set<string>()
  if (bytesBefore > maxSize) {
    const target = maxSize * 0.8
    for (const e of [...entries].sort((x, y) => x.used - y.used)) {
      if (live <= target) break
      try {
        rmSync(e.path, { force: true })
      } catch {
        continue
      }
      entriesRemoved++
      live -= e.size
      for (const h of e.refs) {
        const n = refcount.get(h)
        if (n === undefined) continue
        if (n <= 1) {
          refcount.delete(h)
          orphaned.add(h)
          live -= blobs.get(h)!.size
        } else refcount.set(h, n - 1)
      }
    }
  }
  let blobsRemoved = 0
  // The records the task states name (`state.ts`): kept, so "why it ran" survives an evicted entry.
  const records = stateRecordBlobs(dir)
  for (const [h, b] of blobs) {
    if (refcount.has(h) || records.has(h) || (!orphaned.has(h) && now - b.mtime < BLOB_GRACE_MS)) continue
    try {
      rmSync(b.path, { force: true })
      blobsRemoved++
    } catch {}
  }
  const after =
    listEntries(dir).reduce((s, e) => s + e.size, 0) + [...listBlobs(dir).values()].reduce((s, b) => s + b.size, 0)
  return {
    entries: entries.length - entriesRemoved,
    blobs: blobs.size - blobsRemoved,
    bytesBefore,
    bytesAfter: after,
    entriesRemoved,
    blobsRemoved,
  }
}

/** The record blobs the task states in `<dir>/state` name; empty when they cannot be read (nothing is kept then: a record is only an explanation). */
function stateRecordBlobs(dir: string): Set<string> {
  try {
    const store = new StateStore(join(dir, 'state'), { casDir: join(dir, 'cas') })
    const blobs = store.recordBlobs()
    store.close()
    return blobs
  } catch {
    return new Set()
  }
}

/** Entries and blobs now in the cache, and their size in bytes. */
export function cacheUsage(dir: string): { entries: number; blobs: number; bytes: number } {
  const entries = listEntries(dir),
    blobs = listBlobs(dir)
  return {
    entries: entries.length,
    blobs: blobs.size,
    bytes: entries.reduce((s, e) => s + e.size, 0) + [...blobs.values()].reduce((s, b) => s + b.size, 0),
  }
}

/** Mark the entries of these fingerprints used now (LRU): sets their mtime. Missing ones are ignored. */
export function markUsed(dir: string, fingerprints: readonly string[], now = new Date()): void {
  for (const fp of fingerprints) {
    if (!HEX64.test(fp)) continue
    try {
      utimesSync(join(dir, 'ac', `${fp}.json`), now, now)
    } catch {}
  }
}

/**
 * Collect when the last check is older than `everyMs` (a stamp file `<dir>/gc-stamp`), so a run
 * pays for the scan at most once per hour. A cache without a stamp (new, or emptied by `tasks
 * cache clean`) starts the clock instead of scanning: it holds at most what the runs since its
 * creation stored, so the first collection comes `everyMs` later (a cold run of 100 tasks no
 * longer walks the cache it just wrote). Returns what was done, or undefined when skipped.
 */
export function maybeCollect(
  dir: string,
  maxSize: number,
  everyMs = 60 * 60 * 1000,
  now = Date.now(),
): GcResult | undefined {
  const stamp = join(dir, 'gc-stamp')
  let last: number | undefined
  try {
    last = statSync(stamp).mtimeMs
  } catch {}
  if (last !== undefined && now - last < everyMs) return undefined
  try {
    mkdirSync(dir, { recursive: true })
    writeFileSync(stamp, '')
  } catch {
    return undefined
  }
  return last === undefined ? undefined : collectGarbage(dir, maxSize, now)
}

/** Delete the whole cache (`ac/`, `cas/`), keeping task state (up-to-date checks still work). */
export function cleanCache(dir: string): { entries: number; blobs: number; bytes: number } {
  const usage = cacheUsage(dir)
  for (const sub of ['ac', 'cas', 'gc-stamp']) rmSync(join(dir, sub), { recursive: true, force: true })
  return usage
}
