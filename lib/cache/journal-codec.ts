/**
 * The on-disk formats of a {@link KeyedJournal} (`journal.ts`): journal file names, journal lines
 * (`<16 hex> <json>\n`, the hex the JSON's SHA-256's first 16 digits) and the snapshot's rows, plus
 * the file identity used to tell whether a file changed. Pure encoding and decoding; reading and
 * writing the files is `journal.ts`'s.
 */
import { statSync } from 'node:fs'
import { sha256 } from '../util/hash.js'

/** A journal file's name: `<ms>-<pid>-<start>-<n>.jsonl` (group 2 the owner's pid, group 3 its start time). */
export const JOURNAL_NAME = /^(\d+)-(\d+)-(\w+)-(\d+)\.jsonl$/

/** One key's newest entry: `raw` is the value as read (undefined for a delete), `parsed` caches its validation. */
export interface JournalEntry {
  /** Sequence number: the entry with the highest wins. */
  s: number
  /** Time written, ms since the epoch (breaks a tie of `s`). */
  t: number
  raw: unknown
  deleted: boolean
  /** Validated value, computed on first read (undefined: not yet; null: invalid). */
  parsed?: unknown
}

/** The journal line (newline included) recording `value` for `key` (undefined: a delete), numbered `s`, written at `t` ms. */
export function encodeLine(key: string, s: number, t: number, value: unknown): Buffer {
  const json = JSON.stringify(value === undefined ? { j: 1, k: key, s, t, d: 1 } : { j: 1, k: key, s, t, v: value })
  return Buffer.from(`${sha256(json).slice(0, 16)} ${json}\n`)
}

/** Call `apply` for each valid line of `text` (lines without the trailing newline); torn or corrupt lines are skipped. */
export function decodeLines(text: string, apply: (key: string, e: JournalEntry) => void): void {
  for (const line of text.split('\n')) {
    if (line.length < 18 || line.charCodeAt(16) !== 0x20) continue
    const json = line.slice(17)
    if (sha256(json).slice(0, 16) !== line.slice(0, 16)) continue
    let v: unknown
    try {
      v = JSON.parse(json)
    } catch {
      continue
    }
    if (!v || typeof v !== 'object') continue
    const o = v as Record<string, unknown>
    if (o.j !== 1 || typeof o.k !== 'string' || !isSeq(o.s) || typeof o.t !== 'number') continue
    if (o.d === 1) apply(o.k, { s: o.s as number, t: o.t, raw: undefined, deleted: true })
    else if ('v' in o && o.v !== null && o.v !== undefined)
      apply(o.k, { s: o.s as number, t: o.t, raw: o.v, deleted: false })
  }
}

/**
 * Call `apply` for each valid row of a parsed snapshot (`{"v":1,"entries":[[key,seq,ms,value|null],...]}`);
 * malformed rows are skipped.
 * @returns false when `json` is not a snapshot at all
 */
export function decodeSnapshot(json: unknown, apply: (key: string, e: JournalEntry) => void): boolean {
  const rows =
    json && typeof json === 'object' && (json as { v?: unknown }).v === 1
      ? (json as { entries?: unknown }).entries
      : undefined
  if (!Array.isArray(rows)) return false
  for (const r of rows) {
    if (!Array.isArray(r) || r.length !== 4 || typeof r[0] !== 'string' || !isSeq(r[1]) || typeof r[2] !== 'number')
      continue
    apply(
      r[0],
      r[3] === null
        ? { s: r[1], t: r[2], raw: undefined, deleted: true }
        : { s: r[1], t: r[2], raw: r[3], deleted: false },
    )
  }
  return true
}

function isSeq(s: unknown): s is number {
  return Number.isSafeInteger(s) && (s as number) >= 0
}

/** A file's identity for "did it change": inode, size and mtime (ns); undefined when missing. */
export function statId(file: string): string | undefined {
  try {
    const st = statSync(file, { bigint: true, throwIfNoEntry: false })
    return st ? `${st.ino}:${st.size}:${st.mtimeNs}` : undefined
  } catch {
    return undefined
  }
}
