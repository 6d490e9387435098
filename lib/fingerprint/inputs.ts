/**
 * Input files from a {@link GitSnapshot} instead of a directory walk: a task's globs are matched
 * against git's sorted file list (binary search to the glob's static base, then a matcher), the
 * folders git did not list (ignored ones, nested repositories, submodules, symlinked folders) are
 * walked (`glob.ts`'s `walkFiles`) only when a glob can reach into them, and clean tracked files
 * come with their git blob id, so they are neither stat-ed nor read. The patterns are compiled by
 * `patterns.ts`, shared with the walk.
 *
 * The result is the same file set tinyglobby would find from the task's cwd with the options of
 * `glob.ts` (`dot: true`, files only, `.git`/`.tasks` always skipped, `node_modules` skipped unless
 * a pattern names it), except for exclusions of a folder above a pattern's static base, which
 * tinyglobby does not apply there (`PatternPlan.walkable`): the index excludes the folder's files.
 * Patterns that leave the project root or are absolute are not served here:
 * {@link GitInputIndex.list} returns undefined and the caller walks.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { DigestHints } from './checker.js'
import type { GitSnapshot } from './git.js'
import { RACY_MS } from './memo.js'
import { walkFiles, type GlobResult } from './glob.js'
import { applyExcludes, lowerBound, missingLiterals, planPatterns } from './patterns.js'

/** Input files of one task as found by {@link GitInputIndex.list}. */
export interface InputList extends GlobResult {
  /** Digests already known for some of `files`, and maybe other paths (git blob ids of clean tracked or just-restored files). */
  hints: DigestHints
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
    const plan = planPatterns(cwd, patterns)
    if (!plan) return undefined
    const { nodeModules } = plan
    // Candidates per positive rule; a single prefix rule (the common `src/**`) is one sorted slice.
    const parts: string[][] = []
    for (const r of plan.rules) {
      if (r.kind === 'literal') {
        if (r.base === '') continue
        if (this.present.has(r.base) || (this.dirsAbove(r.base).length > 0 && isFile(join(this.root, r.base))))
          parts.push([r.base])
        continue
      }
      const prefix = r.base === '' ? '' : r.base + '/'
      const lo = lowerBound(this.files, prefix)
      const hi = prefix === '' ? this.files.length : lowerBound(this.files, prefix + '\uffff')
      parts.push(r.kind === 'prefix' ? this.files.slice(lo, hi) : this.files.slice(lo, hi).filter((f) => r.match!(f)))
      for (const dir of this.dirsReachedFrom(r.base)) {
        if (skipped(dir + '/', nodeModules)) continue
        const walked = this.walk(dir, nodeModules)
        parts.push(
          r.kind === 'prefix'
            ? prefix === ''
              ? walked
              : walked.filter((f) => f.startsWith(prefix))
            : walked.filter((f) => r.match!(f)),
        )
      }
    }
    let files = parts.length === 1 ? parts[0]! : [...new Set(parts.flat())].sort()
    if (this.skippable || nodeModules) files = files.filter((f) => !skipped(f, nodeModules))
    // tinyglobby applies `!` patterns to folders too (an excluded folder is not entered), so a
    // file is excluded when it or a folder above it (below the cwd) matches.
    files = applyExcludes(plan, files)
    return { files, missingLiterals: missingLiterals(plan, files), hints: { known: this.known } }
  }

  /** Folders git did not list that contain `path` (a file or folder, root-relative). */
  private dirsAbove(path: string): string[] {
    const out: string[] = []
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1))
      if (this.dirSet.has(path.slice(0, i))) out.push(path.slice(0, i))
    return out
  }

  /** Folders git did not list that a pattern with static base `base` can reach into: inside it, it, or above it. */
  private dirsReachedFrom(base: string): string[] {
    const dirs = this.snapshot.dirs
    if (dirs.length === 0) return dirs
    if (base === '') return dirs
    const out = this.dirsAbove(base)
    if (this.dirSet.has(base)) out.push(base)
    for (let i = lowerBound(dirs, base + '/'); i < dirs.length && dirs[i]!.startsWith(base + '/'); i++)
      out.push(dirs[i]!)
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
    for (const key of this.walks.keys())
      if (path.startsWith(key.slice(key.indexOf(':') + 1) + '/')) this.walks.delete(key)
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

function isFile(abs: string): boolean {
  try {
    return statSync(abs, { throwIfNoEntry: false })?.isFile() ?? false
  } catch {
    return false
  }
}

/** Paths tinyglobby would never return with glob.ts's ignore list: inside (or named) `.git`, `.tasks`, or `node_modules` unless named. */
function skipped(path: string, nodeModules: boolean): boolean {
  return (nodeModules ? SKIP : SKIP_WITH_NODE_MODULES).test(path)
}
const SKIP = /(?:^|\/)(?:\.git|\.tasks)(?:\/|$)/
const SKIP_WITH_NODE_MODULES = /(?:^|\/)(?:\.git|\.tasks|node_modules)(?:\/|$)/
