/**
 * Input files from a {@link GitSnapshot} instead of a directory walk: a task's globs are matched
 * against git's sorted file list (binary search to the glob's static base, then a matcher), the
 * folders git did not list (ignored ones, nested repositories, submodules, symlinked folders) are
 * walked with tinyglobby only when a glob can reach into them, and clean tracked files come with
 * their git blob id, so they are neither stat-ed nor read.
 *
 * The result is the same file set tinyglobby would find from the task's cwd with the options of
 * `glob.ts` (`dot: true`, files only, `.git`/`.tasks` always skipped, `node_modules` skipped unless
 * a pattern names it). Patterns that leave the project root or are absolute are not served here:
 * {@link GitInputIndex.list} returns undefined and the caller walks.
 */
import { statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, posix } from 'node:path'
import type { DigestHints } from './checker.js'
import type { GitSnapshot } from './git.js'
import { RACY_MS } from './memo.js'
import { GLOB_SYNTAX, walkFiles, type GlobResult } from './glob.js'

const require = createRequire(import.meta.url)
type Matcher = (path: string) => boolean
let picomatch: ((glob: string | string[], options: object) => Matcher) | undefined
/** picomatch is loaded only when a pattern needs it (`src/**` and literal paths do not). */
function compile(glob: string): Matcher {
  picomatch ??= require('picomatch') as typeof picomatch
  return picomatch!(glob, { dot: true, posix: true })
}

/** Escape a literal folder name (the task's cwd) before it prefixes a pattern, as tinyglobby's `escapePath` does. */
const escapeGlob = (s: string) => s.replace(/[()[\]{}*?|!+@\\]/g, '\\$&')

/** Input files of one task as found by {@link GitInputIndex.list}. */
export interface InputList extends GlobResult {
  /** Digests already known for some of `files`, and maybe other paths (git blob ids of clean tracked or just-restored files). */
  hints: DigestHints
}

/** One root-relative positive pattern, prepared for matching. */
interface Rule {
  /** As written by the user, relative to the task's cwd. */
  source: string
  kind: 'literal' | 'prefix' | 'glob'
  /** literal: the path; prefix: the folder (`''` = everything); glob: the static base folder. */
  base: string
  match?: Matcher
}

/** Matches task globs against one {@link GitSnapshot}; lives for one run. */
export class GitInputIndex {
  private readonly files: string[]
  private readonly present: Set<string>
  private readonly known: Map<string, string>
  /** `'nm:' | ':'` + folder -> its files (root-relative), walked at most once per run. */
  private readonly walks = new Map<string, string[]>()
  private readonly dirSet: Set<string>
  /** Whether any listed file lies in `.git`, `.tasks` or `node_modules` (git was told to skip them, so rarely). */
  private skippable: boolean

  /** @param root absolute project root the snapshot was taken in */
  constructor(
    private readonly root: string,
    private readonly snapshot: GitSnapshot,
  ) {
    this.files = snapshot.files
    this.present = new Set(snapshot.files)
    this.known = snapshot.clean
    this.dirSet = new Set(snapshot.dirs)
    this.skippable = snapshot.files.some((f) => skipped(f, false))
  }

  /**
   * The files matching `patterns` (tinyglobby syntax, relative to `cwd`, `!` negates).
   * @param cwd the task's cwd, POSIX, relative to the root (`'.'` for the root)
   * @returns undefined when a pattern is absolute or leaves the root (walk instead).
   */
  list(cwd: string, patterns: readonly string[]): InputList | undefined {
    const rules: Rule[] = []
    const excludeExact = new Set<string>()
    const excludeGlobs: Matcher[] = []
    const excludePrefixes: string[] = []
    const nodeModules = patterns.some((p) => p.includes('node_modules'))
    const cwdPrefix = cwd === '.' ? '' : GLOB_SYNTAX.test(cwd) ? escapeGlob(cwd) : cwd
    for (const p of patterns) {
      const negated = p.startsWith('!')
      let body = negated ? p.slice(1) : p
      if (body.startsWith('/') || /^[a-zA-Z]:/.test(body)) return undefined
      if (body.endsWith('/')) body = body.slice(0, -1)
      const rel = posix.normalize(cwdPrefix ? `${cwdPrefix}/${body}` : body)
      if (rel === '..' || rel.startsWith('../')) return undefined
      const rule = toRule(p, rel)
      if (!negated) rules.push(rule)
      else if (rule.kind === 'literal') excludeExact.add(rule.base)
      else if (rule.kind === 'prefix') excludePrefixes.push(rule.base === '' ? '' : rule.base + '/')
      else excludeGlobs.push(rule.match!)
    }
    // Candidates per positive rule; a single prefix rule (the common `src/**`) is one sorted slice.
    const parts: string[][] = []
    for (const r of rules) {
      if (r.kind === 'literal') {
        if (r.base === '') continue
        if (this.present.has(r.base) || (this.dirsAbove(r.base).length > 0 && isFile(join(this.root, r.base)))) parts.push([r.base])
        continue
      }
      const prefix = r.base === '' ? '' : r.base + '/'
      const lo = lowerBound(this.files, prefix)
      const hi = prefix === '' ? this.files.length : lowerBound(this.files, prefix + '\uffff')
      parts.push(r.kind === 'prefix' ? this.files.slice(lo, hi) : this.files.slice(lo, hi).filter((f) => r.match!(f)))
      for (const dir of this.dirsReachedFrom(r.base)) {
        if (skipped(dir + '/', nodeModules)) continue
        const walked = this.walk(dir, nodeModules)
        parts.push(r.kind === 'prefix' ? (prefix === '' ? walked : walked.filter((f) => f.startsWith(prefix))) : walked.filter((f) => r.match!(f)))
      }
    }
    let files = parts.length === 1 ? parts[0]! : [...new Set(parts.flat())].sort()
    if (this.skippable || nodeModules) files = files.filter((f) => !skipped(f, nodeModules))
    // tinyglobby applies `!` patterns to folders too (an excluded folder is not entered), so a
    // file is excluded when it or a folder above it (below the cwd) matches.
    for (const x of excludeExact) {
      // The folder's files first (`x/…` may sort after `x-y`, `x.c`), then the file itself.
      const lo = lowerBound(files, x + '/')
      const hi = lowerBound(files, x + '/\uffff')
      if (hi > lo) files.splice(lo, hi - lo)
      const i = lowerBound(files, x)
      if (files[i] === x) files.splice(i, 1)
    }
    if (excludePrefixes.length || excludeGlobs.length) {
      const from = cwdPrefix ? cwd.length + 1 : 0
      files = files.filter((f) => {
        if (excludePrefixes.some((x) => f.startsWith(x))) return false
        for (let i = f.indexOf('/', from); i !== -1; i = f.indexOf('/', i + 1)) {
          const dir = f.slice(0, i)
          if (excludeGlobs.some((m) => m(dir))) return false
        }
        return !excludeGlobs.some((m) => m(f))
      })
    }
    const missingLiterals = rules.filter((r) => r.kind === 'literal' && files[lowerBound(files, r.base)] !== r.base).map((r) => r.source)
    return { files, missingLiterals, hints: { known: this.known } }
  }

  /** Folders git did not list that contain `path` (a file or folder, root-relative). */
  private dirsAbove(path: string): string[] {
    const out: string[] = []
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) if (this.dirSet.has(path.slice(0, i))) out.push(path.slice(0, i))
    return out
  }

  /** Folders git did not list that a pattern with static base `base` can reach into: inside it, it, or above it. */
  private dirsReachedFrom(base: string): string[] {
    const dirs = this.snapshot.dirs
    if (dirs.length === 0) return dirs
    if (base === '') return dirs
    const out = this.dirsAbove(base)
    if (this.dirSet.has(base)) out.push(base)
    for (let i = lowerBound(dirs, base + '/'); i < dirs.length && dirs[i]!.startsWith(base + '/'); i++) out.push(dirs[i]!)
    return out
  }

  /**
   * Hints for a task downstream of one that ran in this run: the snapshot's digests hold only for
   * files not written since it was taken (older than its start minus {@link RACY_MS}, since
   * file-system clocks tick coarsely).
   */
  asOfHints(): DigestHints {
    return { asOf: { digests: this.known, beforeMs: this.snapshot.takenAt - RACY_MS } }
  }

  /** Whether git's index (or a restore in this run) gives `path`'s digest without reading it. */
  vouches(path: string): boolean {
    return this.known.has(path)
  }

  /**
   * Record a file the run itself just wrote (a restore from the cache), with its git blob id.
   * Later {@link list} calls see it without walking or reading it.
   */
  restored(path: string, blobId: string): void {
    if (!this.present.has(path)) {
      this.present.add(path)
      if (skipped(path, false)) this.skippable = true
      this.files.splice(lowerBound(this.files, path), 0, path)
    }
    this.known.set(path, blobId)
    for (const key of this.walks.keys()) if (path.startsWith(key.slice(key.indexOf(':') + 1) + '/')) this.walks.delete(key)
  }

  /** Files under a folder git listed as one entry (tinyglobby, cached for the run). */
  private walk(dir: string, nodeModules: boolean): string[] {
    const key = `${nodeModules ? 'nm' : ''}:${dir}`
    let files = this.walks.get(key)
    if (!files) {
      files = walkFiles(join(this.root, dir), nodeModules).map((f) => `${dir}/${f}`)
      this.walks.set(key, files)
    }
    return files
  }
}

function toRule(source: string, rel: string): Rule {
  if (rel === '**') return { source, kind: 'prefix', base: '' }
  if (rel.endsWith('/**') && !GLOB_SYNTAX.test(rel.slice(0, -3))) return { source, kind: 'prefix', base: rel.slice(0, -3) }
  if (!GLOB_SYNTAX.test(rel)) return { source, kind: 'literal', base: rel === '.' ? '' : rel }
  // The static folder part: path segments before the first one with glob syntax.
  const segments = rel.split('/')
  const stat: string[] = []
  for (const s of segments.slice(0, -1)) {
    if (GLOB_SYNTAX.test(s)) break
    stat.push(s)
  }
  return { source, kind: 'glob', base: stat.join('/'), match: compile(rel) }
}

function isFile(abs: string): boolean {
  try {
    return statSync(abs, { throwIfNoEntry: false })?.isFile() ?? false
  } catch {
    return false
  }
}

/** Paths tinyglobby would never return with glob.ts's ignore list: inside `.git`, `.tasks`, or `node_modules` unless named. */
function skipped(path: string, nodeModules: boolean): boolean {
  return (nodeModules ? SKIP : SKIP_WITH_NODE_MODULES).test(path)
}
const SKIP = /(?:^|\/)(?:\.git|\.tasks)\//
const SKIP_WITH_NODE_MODULES = /(?:^|\/)(?:\.git|\.tasks|node_modules)\//

/** Index of the first element of sorted `a` that is >= `key`. */
function lowerBound(a: readonly string[], key: string): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid]! < key)
      lo = mid + 1 // lo <= mid < hi <= a.length
    else hi = mid
  }
  return lo
}
