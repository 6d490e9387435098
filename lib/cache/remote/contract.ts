/**
 * What the remote tier needs of the local tier beneath it: the engine's `Cache` plus the three
 * methods `LocalCache` has for tiers above it (docs/design/engine-v2.md, "The cache").
 */
import type { ActionResult, Cache } from '../cache.js'

/** A local tier: {@link Cache} + blob access + importing a verified entry (`LocalCache` is one). */
export interface LocalTier extends Cache {
  /** The blob's bytes, verified by SHA-256, or undefined when missing or corrupt. */
  readBlob(hash: string): Promise<Buffer | undefined>
  /** Store a blob; resolves to its SHA-256. */
  writeBlob(data: Buffer): Promise<string>
  /** Validate and verify an entry with its blobs (SHA-256 -> bytes), then store it as a local entry. Throws when refused. */
  importEntry(entry: ActionResult, blobs: ReadonlyMap<string, Buffer>): Promise<void>
}
