/**
 * Hash helpers (node:crypto, no dependency). Fingerprints and cache blob keys are SHA-256; input
 * file digests are git blob ids (SHA-1, as git itself and Turborepo use), so git can vouch for them.
 */
import { createHash } from 'node:crypto'

/** Hex SHA-256 of a string (UTF-8) or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * Canonical JSON: object keys sorted at every level, so the same value always gives the same text
 * (and the same hash) whatever order it was built in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  )
}

/**
 * The git blob id of `data`: SHA-1 of `blob <size>\0` followed by the bytes, the id `git
 * hash-object` prints. Content-mode input digests use it, so a file git reports as clean is
 * digested from the index without reading it, and a file hashed here gets the same digest.
 */
export function gitBlobId(data: Uint8Array): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex')
}
