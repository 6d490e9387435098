/** SHA-256 helpers (node:crypto, no dependency): cache keys are cryptographic so a shared cache can't be forged. */
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
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  )
}
