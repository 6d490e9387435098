/**
 * A fingerprint's record (everything that decides a task's result, kept beside the hash so
 * `--explain` and the "why it ran" reasons can say what changed) and the differences between two
 * records. `fingerprint.ts` builds records; the cache stores them; `explain` diffs them.
 */
import { canonicalJson } from '../util/hash.js'

/** Everything that decides a task's result. Env values are SHA-256 hashes, never clear text. */
export interface FingerprintRecord {
  v: number
  pkg: string
  task: string
  command: string
  cwd: string
  mode: 'content' | 'mtime'
  platform?: string
  env: Record<string, string>
  setEnv: Record<string, string>
  args: string[]
  tools: Record<string, string>
  outputs: string[]
  /** Root-relative POSIX path -> digest (git blob id in content mode, `size:mtimeMs` in mtime mode). */
  inputs: Record<string, string>
  /** The task's `depfile` (root-relative), when it has one. */
  depfile?: string
  /**
   * Dependency name -> what this task keys on: the digest of its outputs when it is a cached task
   * with outputs (early cutoff: a rerun that wrote the same bytes changes nothing here), else its fingerprint.
   */
  deps: Record<string, string>
}

/** One difference between two records, for `--explain` and run reasons. */
export interface Change {
  kind: 'input-added' | 'input-removed' | 'input-changed' | 'env' | 'dep' | 'command' | 'args' | 'tools' | 'other'
  /** File path, env name, dependency name or record key. */
  what: string
}

/** The differences from `prev` to `next`, inputs file by file (sorted by path). */
export function diffRecords(prev: FingerprintRecord, next: FingerprintRecord): Change[] {
  const changes: Change[] = []
  if (prev.command !== next.command) changes.push({ kind: 'command', what: 'command' })
  for (const k of unionKeys(prev.env, next.env)) if (prev.env[k] !== next.env[k]) changes.push({ kind: 'env', what: k })
  for (const k of unionKeys(prev.setEnv, next.setEnv))
    if (prev.setEnv[k] !== next.setEnv[k]) changes.push({ kind: 'env', what: k })
  if (canonicalJson(prev.args) !== canonicalJson(next.args))
    changes.push({ kind: 'args', what: next.args.join(' ') || '(none)' })
  for (const k of unionKeys(prev.tools, next.tools))
    if (prev.tools[k] !== next.tools[k]) changes.push({ kind: 'tools', what: k })
  for (const k of unionKeys(prev.deps, next.deps))
    if (prev.deps[k] !== next.deps[k]) changes.push({ kind: 'dep', what: k })
  for (const k of unionKeys(prev.inputs, next.inputs)) {
    if (!(k in prev.inputs)) changes.push({ kind: 'input-added', what: k })
    else if (!(k in next.inputs)) changes.push({ kind: 'input-removed', what: k })
    else if (prev.inputs[k] !== next.inputs[k]) changes.push({ kind: 'input-changed', what: k })
  }
  for (const key of ['v', 'pkg', 'cwd', 'mode', 'platform', 'outputs', 'depfile'] as const) {
    if (canonicalJson(prev[key] ?? null) !== canonicalJson(next[key] ?? null))
      changes.push({ kind: 'other', what: key })
  }
  return changes
}

/** How each kind of {@link Change} is named in messages (`input changed: src/a.c`). */
export const CHANGE_LABELS: Readonly<Record<Change['kind'], string>> = {
  'input-added': 'input added',
  'input-removed': 'input removed',
  'input-changed': 'input changed',
  env: 'env changed',
  dep: 'dependency changed',
  command: 'command changed',
  args: 'arguments changed',
  tools: 'tool version changed',
  other: 'setting changed',
}

/** A one-line summary of changes, e.g. `input changed: src/a.c (+2 more)`. */
export function describeChanges(changes: readonly Change[]): string {
  if (changes.length === 0) return 'fingerprint changed'
  const first = changes[0]!
  const more = changes.length > 1 ? ` (+${changes.length - 1} more)` : ''
  return `${CHANGE_LABELS[first.kind]}: ${first.what}${more}`
}

function unionKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
}
