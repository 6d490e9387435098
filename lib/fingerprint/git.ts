/**
 * A snapshot of the work tree as git sees it, taken once at the start of a run: which files exist
 * under the project root and, for the tracked files whose content equals the index, their blob ids.
 * With it, input files are listed without walking the tree and digested without reading or even
 * stat-ing them: git's index already did that work (the approach Turborepo's Go hasher took with
 * `git ls-tree` + `git status`; we read the index instead of HEAD so staged edits count as clean).
 *
 * Two git processes run in parallel (both read-only, `--no-optional-locks`, so a concurrent
 * `git commit` never meets our `index.lock`):
 * - `git ls-files -s -v -z`: every index entry with its mode, blob id and tag;
 * - `git status --porcelain -z -uall --ignored=matching --no-renames --ignore-submodules=all`:
 *   work-tree edits, untracked files, and ignored files and folders (an ignored folder is one
 *   entry, not walked by git).
 * The root's place in the work tree is found by looking for `.git` upwards (`git rev-parse
 * --show-prefix` only when `GIT_DIR` or `GIT_WORK_TREE` is set).
 *
 * Anything git does not vouch for (modified, untracked or ignored files, symlinks, assume-unchanged
 * and skip-worktree entries, conflicts) is listed but left for the caller to hash; folders git did
 * not enter (ignored or nested repositories, submodules, symlinked folders) are returned for the
 * caller to walk. Outside a git repository, without a `git` binary, or in a SHA-256 repository, the
 * snapshot is `undefined` and callers walk the tree as before.
 */
import { execFile } from 'node:child_process'
import { existsSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** What git says about the project root's files. All paths are POSIX, relative to the project root. */
export interface GitSnapshot {
  /** Files that exist: tracked (not deleted), untracked and ignored ones, sorted (JS string order). */
  files: string[]
  /** Tracked files whose work-tree content equals their index entry: path -> git blob id (SHA-1 hex). */
  clean: Map<string, string>
  /** Folders git reported as one entry without listing their files (no trailing slash), sorted. */
  dirs: string[]
  /** When git was started, ms since the epoch: the snapshot describes the tree as of (no earlier than) this moment. */
  takenAt: number
  /** Wall time the git commands took together, ms. */
  ms: number
}

/** Options of {@link takeGitSnapshot}. */
export interface GitSnapshotOptions {
  /** Leave `node_modules` folders out of git's walk (when no task's input names `node_modules`). @default true */
  skipNodeModules?: boolean
  /** Environment for git (the user's `GIT_*` variables apply). @default process.env (a prefetched snapshot is used only then) */
  env?: NodeJS.ProcessEnv
}

/** Output of one git command, or undefined when it failed (not a repository, no git, a git too old for a flag). */
function git(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['--no-optional-locks', ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30, windowsHide: true }, (err, stdout) => resolve(err ? undefined : stdout))
  })
}

/** A snapshot started ahead of the run that will use it (see {@link prefetchGitSnapshot}). */
let prefetched: { root: string; skipNodeModules: boolean; at: number; snapshot: Promise<GitSnapshot | undefined> } | undefined

/** A prefetched snapshot older than this (ms) when the run asks is dropped and a new one taken. */
export const PREFETCH_MAX_AGE_MS = 5000

/**
 * Start taking the snapshot of `root` now, with `process.env` and `node_modules` skipped, so the
 * git processes run while the caller loads modules and the config. The next
 * {@link takeGitSnapshot} for the same root and options (within {@link PREFETCH_MAX_AGE_MS})
 * returns it instead of starting git again. The caller promises nothing writes the tree in between
 * (the CLI calls it at start-up, before any task runs).
 */
export function prefetchGitSnapshot(root: string): void {
  prefetched = { root, skipNodeModules: true, at: Date.now(), snapshot: snapshotNow(root, {}) }
}

/**
 * Take a {@link GitSnapshot} of `root` (or hand over a matching prefetched one).
 * @param root absolute project root (inside a git work tree, or not)
 * @returns undefined when git cannot vouch for the tree (see the module comment); never throws.
 */
export function takeGitSnapshot(root: string, options: GitSnapshotOptions = {}): Promise<GitSnapshot | undefined> {
  const p = prefetched
  prefetched = undefined
  if (p && p.root === root && p.skipNodeModules === (options.skipNodeModules !== false) && options.env === undefined && Date.now() - p.at < PREFETCH_MAX_AGE_MS) {
    return p.snapshot
  }
  return snapshotNow(root, options)
}

async function snapshotNow(root: string, options: GitSnapshotOptions): Promise<GitSnapshot | undefined> {
  const started = performance.now()
  const takenAt = Date.now()
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' }
  // Literal pathspecs are cheap for git; nested `.tasks`/`node_modules` folders are dropped by the matcher.
  const excludes = [':(exclude).tasks', ...(options.skipNodeModules === false ? [] : [':(exclude)node_modules'])]
  const top = env.GIT_DIR || env.GIT_WORK_TREE ? undefined : workTreeTop(root)
  const [prefixOut, lsOut, statusOut] = await Promise.all([
    top !== undefined ? top.prefix : git(root, ['rev-parse', '--show-prefix'], env),
    git(root, ['ls-files', '-s', '-v', '-z', '--', '.', ...excludes], env),
    git(root, ['status', '--porcelain', '-z', '--untracked-files=all', '--ignored=matching', '--no-renames', '--ignore-submodules=all', '--', '.', ...excludes], env),
  ])
  if (prefixOut === undefined || lsOut === undefined || statusOut === undefined) return undefined
  const prefix = prefixOut.trim() // '' at the top of the work tree, else 'sub/dir/'

  const clean = new Map<string, string>()
  const dirty = new Set<string>()
  const dirs: string[] = []
  // `ls-files -s -v -z`: "<tag> <mode> <object> <stage>\t<path>\0", paths relative to root; the
  // fields before the tab have fixed widths (1, 6, 40, 1) in a SHA-1 repository.
  for (let at = 0; at < lsOut.length; ) {
    const end = lsOut.indexOf('\0', at)
    const tab = at + 51
    if (end === -1 || lsOut.charCodeAt(tab) !== 9) return undefined // not the format above (a SHA-256 repository?)
    const path = lsOut.slice(tab + 1, end)
    const mode = lsOut.slice(at + 2, at + 8)
    if (mode === '160000') dirs.push(path) // a submodule: walked like any folder git did not list
    else if (mode === '120000') dirty.add(path) // a symlink: git's blob is the link text, not the content
    else if (lsOut[at] !== 'H' || lsOut[at + 50] !== '0') dirty.add(path) // assume-unchanged (lowercase), skip-worktree, conflicts
    else clean.set(path, lsOut.slice(at + 9, at + 49))
    at = end + 1
  }
  // `status --porcelain -z`: "XY <path>", paths relative to the top of the work tree.
  for (const entry of statusOut.split('\0')) {
    if (entry.length < 4) continue
    const xy = entry.slice(0, 2)
    const full = entry.slice(3)
    // The root itself lies in an ignored or untracked folder (`!! dist/` seen from `dist/deep/`): git vouches for nothing.
    if (full.endsWith('/') && prefix.startsWith(full)) return undefined
    if (!full.startsWith(prefix)) continue
    const path = full.slice(prefix.length)
    if (xy === '??' || xy === '!!') {
      if (path.endsWith('/')) dirs.push(path.slice(0, -1)) // an ignored folder or a nested repository
      else dirty.add(path) // (a symlink to a folder is listed as a file: the stat below finds it)
      continue
    }
    if (xy[1] === ' ') continue // staged only: the work tree equals the index, which ls-files reported
    clean.delete(path)
    if (xy[1] === 'D') dirty.delete(path) // deleted from the work tree
    else dirty.add(path)
  }
  // Files git does not vouch for, symlinks among them: a link to a folder is walked, a link to a
  // file is hashed through the link, a dangling one (or a skip-worktree entry not on disk) is dropped.
  for (const path of [...dirty]) {
    let st
    try {
      st = statSync(join(root, path), { throwIfNoEntry: false })
    } catch {
      st = undefined
    }
    if (!st) dirty.delete(path)
    else if (st.isDirectory()) {
      dirty.delete(path)
      dirs.push(path)
    }
  }
  // ls-files lists in byte order, which is JS order for ASCII paths: sort only when needed.
  const files = [...clean.keys()]
  if (!isSorted(files)) files.sort()
  for (const f of dirty) files.push(f)
  if (!isSorted(files)) files.sort()
  return { files: dedupeSorted(files), clean, dirs: dirs.sort(), takenAt, ms: performance.now() - started }
}

function isSorted(a: readonly string[]): boolean {
  for (let i = 1; i < a.length; i++) if (a[i - 1]! > a[i]!) return false
  return true
}

function dedupeSorted(a: string[]): string[] {
  let w = 0
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[i - 1]) a[w++] = a[i]!
  a.length = w
  return a
}

/**
 * The project root's place in its git work tree, found as git finds it (the nearest folder
 * upwards holding `.git`, a folder or a file), without starting `git rev-parse`. Undefined when
 * there is none (then git is asked, and fails if this is no repository).
 */
function workTreeTop(root: string): { prefix: string } | undefined {
  let dir: string
  try {
    dir = realpathSync(root)
  } catch {
    return undefined
  }
  const parts: string[] = []
  for (;;) {
    if (existsSync(join(dir, '.git'))) return { prefix: parts.length ? parts.reverse().join('/') + '/' : '' }
    const up = dirname(dir)
    if (up === dir) return undefined
    parts.push(basename(dir))
    dir = up
  }
}
