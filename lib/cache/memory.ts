/**
 * An in-memory {@link Cache}: entries and blobs in Maps, nothing under `.tasks/`. For embedders
 * (tests, a server that keeps its own store) and the engine's own tests through the public API.
 * Entries are stored as JSON text and validated on every `get`, like the local cache; restores
 * go through the same verified writer (`restore.ts`).
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { gitBlobId, sha256 } from '../util/hash.js'
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
import { isEntryError, parseActionResult, type EntryError } from './entry.js'
import { restoreEntry } from './restore.js'

/** How often each operation was called, and how many gets found an entry. */
export interface MemoryCacheStats {
  gets: number
  hits: number
  puts: number
  restores: number
}

/** A cache held in memory for the life of the object. */
export class MemoryCache implements Cache {
  /** fingerprint -> entry JSON text */
  readonly entries = new Map<string, string>()
  /** SHA-256 -> bytes */
  readonly blobs = new Map<string, Buffer>()
  readonly stats: MemoryCacheStats = { gets: 0, hits: 0, puts: 0, restores: 0 }

  async get(fingerprint: string, options?: CacheGetOptions): Promise<CacheHit | undefined> {
    this.stats.gets++
    const text = this.entries.get(fingerprint)
    if (text === undefined) return undefined
    let entry: ActionResult | EntryError
    try {
      entry = parseActionResult(JSON.parse(text))
    } catch {
      entry = { error: 'not valid JSON' }
    }
    if (isEntryError(entry) && entry.otherSchema) return undefined
    if (isEntryError(entry) || entry.fingerprint !== fingerprint) {
      options?.onWarning?.(
        `cache entry ${fingerprint.slice(0, 12)} refused: ${isEntryError(entry) ? entry.error : 'it records another fingerprint'}`,
      )
      return undefined
    }
    this.stats.hits++
    return { entry, source: 'local' }
  }

  async has(fingerprints: readonly string[]): Promise<Set<string>> {
    return new Set(fingerprints.filter((f) => this.entries.has(f)))
  }

  async put(root: string, input: StoreInput, outputFiles: readonly string[], log: Buffer): Promise<ActionResult> {
    this.stats.puts++
    const { record, ...result } = input
    const outputs: OutputEntry[] = []
    for (const path of outputFiles) {
      const abs = join(root, path)
      const st = lstatSync(abs)
      if (st.isSymbolicLink()) outputs.push({ path, type: 'symlink', target: readlinkSync(abs) })
      else if (st.isFile()) {
        const data = readFileSync(abs)
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
    this.entries.set(entry.fingerprint, JSON.stringify(entry))
    return entry
  }

  async restore(root: string, hit: CacheHit): Promise<RestoreResult> {
    this.stats.restores++
    return restoreEntry(root, hit.entry, (hash) => this.blobs.get(hash))
  }

  private putBlob(data: Buffer): string {
    const hash = sha256(data)
    if (!this.blobs.has(hash)) this.blobs.set(hash, Buffer.from(data))
    return hash
  }
}
