/**
 * Signatures on remote cache entries.
 *
 * - Our own, on every protocol: `hmac-sha256:v1:` + base64 HMAC-SHA256 over a domain string and
 *   the entry's canonical JSON (keys sorted at every level). It signs fields, never the bytes a
 *   server returns: bazel-remote re-encodes action results, so raw bytes differ after a round trip.
 *   The entry names every blob by SHA-256, and every blob is verified by hash, so the signature
 *   covers the output bytes too.
 * - Turborepo's `x-artifact-tag`, in turbo 2.x's "v2" format (verified against turbo 2.11 in
 *   ../shared/PROTOCOLS.md): base64(HMAC-SHA256(key, u64le(len d) ‖ d ‖ u64le(len h) ‖ h ‖
 *   u64le(len t) ‖ t ‖ u64le(len body) ‖ body)), d = `artifact-signature:v2`, h the artifact hash,
 *   t the team id (empty when only a slug is set).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { canonicalJson } from '../../util/hash.js'

const ENTRY_DOMAIN = 'typed-tasks:remote-entry:v1\n'
const PREFIX = 'hmac-sha256:v1:'

/** The signature string for an entry (any JSON value). */
export function signEntry(key: Buffer, entry: unknown): string {
  return PREFIX + createHmac('sha256', key).update(ENTRY_DOMAIN).update(canonicalJson(entry)).digest('base64')
}

/** True when `signature` is a valid {@link signEntry} of `entry` under `key` (constant-time compare). */
export function verifyEntry(key: Buffer, entry: unknown, signature: unknown): boolean {
  if (typeof signature !== 'string' || !signature.startsWith(PREFIX)) return false
  return equal(signature, signEntry(key, entry))
}

/** Turborepo's `x-artifact-tag` (turbo 2.x "v2") for an artifact body. */
export function turboTag(key: Buffer, hash: string, teamId: string, body: Uint8Array): string {
  const h = createHmac('sha256', key)
  for (const part of [Buffer.from('artifact-signature:v2'), Buffer.from(hash), Buffer.from(teamId), body]) {
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(part.length))
    h.update(len).update(part)
  }
  return h.digest('base64')
}

/** True when `tag` is the {@link turboTag} of the body. */
export function verifyTurboTag(key: Buffer, hash: string, teamId: string, body: Uint8Array, tag: unknown): boolean {
  return typeof tag === 'string' && equal(tag, turboTag(key, hash, teamId, body))
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a),
    y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
