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
import { closeSync, existsSync, openSync, readSync, realpathSync, statSync } from 'node:fs'
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
  /** The work tree's `.git` folder, when it is a plain folder and no `GIT_*` variable moves it (see {@link refreshStaleIndex}). */
  gitDir?: string
  /** The root's path below the top of the work tree: '' at the top, else 'sub/dir/'. */
  prefix: string
  /** Whether `git status` listed anything but ignored files below the root (`.tasks` and `node_modules` left out, submodules ignored). */
  changed: boolean
}

/** Options of {@link takeGitSnapshot}. */
export interface GitSnapshotOptions {
  /** Leave `node_modules` folders out of git's walk (when no task's input names `node_modules`). @default true */
  skipNodeModules?: boolean
  /** Environment for git (the user's `GIT_*` variables apply). @default process.env (a prefetched snapshot is used only then) */
  env?: NodeJS.ProcessEnv
}

/**
 * `git status` as both the snapshot and {@link gitWrittenCandidates} run it, before the pathspec
 * exclusions: porcelain v1 with NUL separators, every untracked file, ignored files and folders
 * (a folder matching an ignore pattern is one entry), no rename detection, submodules ignored.
 */
const STATUS_ARGS = [
  'status',
  '--porcelain',
  '-z',
  '--untracked-files=all',
  '--ignored=matching',
  '--no-renames',
  '--ignore-submodules=all',
  '--',
  '.',
]

/** The environment git runs with: the caller's, never taking optional locks, in the C locale (stable output). */
const gitEnvOf = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' })

/** Output of one git command, or undefined when it failed (not a repository, no git, a git too old for a flag). */
function git(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['--no-optional-locks', ...args],
      { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30, windowsHide: true },
      (err, stdout) => resolve(err ? undefined : stdout),
    )
  })
}

/** A snapshot started ahead of the run that will use it (see {@link prefetchGitSnapshot}). */
let prefetched:
  { root: string; skipNodeModules: boolean; at: number; snapshot: Promise<GitSnapshot | undefined> } | undefined
/** The snapshot this process started last (prefetched or taken), for {@link startedSnapshot}. */
let started: { root: string; snapshot: Promise<GitSnapshot | undefined> } | undefined

/**
 * The snapshot of `root` this process started most recently (prefetched or taken), or undefined
 * when none was. Lets the run's history record reuse git's answer instead of starting git again.
 */
export function startedSnapshot(root: string): Promise<GitSnapshot | undefined> | undefined {
  return started?.root === root ? started.snapshot : undefined
}

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
  started = { root, snapshot: prefetched.snapshot }
}

/**
 * Take a {@link GitSnapshot} of `root` (or hand over a matching prefetched one).
 * @param root absolute project root (inside a git work tree, or not)
 * @returns undefined when git cannot vouch for the tree (see the module comment); never throws.
 */
export function takeGitSnapshot(root: string, options: GitSnapshotOptions = {}): Promise<GitSnapshot | undefined> {
  const p = prefetched
  prefetched = undefined
  if (
    p &&
    p.root === root &&
    p.skipNodeModules === (options.skipNodeModules !== false) &&
    options.env === undefined &&
    Date.now() - p.at < PREFETCH_MAX_AGE_MS
  ) {
    return p.snapshot
  }
  const snapshot = snapshotNow(root, options)
  started = { root, snapshot }
  return snapshot
}

async function snapshotNow(root: string, options: GitSnapshotOptions): Promise<GitSnapshot | undefined> {
  const startedMs = performance.now()
  const takenAt = Date.now()
  const env = gitEnvOf(options.env ?? process.env)
  // Literal pathspecs are cheap for git; nested `.tasks`/`node_modules` folders are dropped by the matcher.
  const excludes = [':(exclude).tasks', ...(options.skipNodeModules === false ? [] : [':(exclude)node_modules'])]
  const top = env.GIT_DIR || env.GIT_WORK_TREE ? undefined : workTreeTop(root)
  const [prefixOut, lsOut, statusOut] = await Promise.all([
    top !== undefined ? top.prefix : git(root, ['rev-parse', '--show-prefix'], env),
    git(root, ['ls-files', '-s', '-v', '-z', '--', '.', ...excludes], env),
    git(root, [...STATUS_ARGS, ...excludes], env),
  ])
  if (prefixOut === undefined || lsOut === undefined || statusOut === undefined) return undefined
  const prefix = prefixOut.trim() // '' at the top of the work tree, else 'sub/dir/'

  const clean = new Map<string, string>()
  const dirty = new Set<string>()
  const dirs: string[] = []
  let changed = false
  // `ls-files -s -v -z`: "<tag> <mode> <object> <stage>\t<path>\0", paths relative to root; the
  // fields before the tab have fixed widths (1, 6, 40, 1) in a SHA-1 repository.
  for (let at = 0; at < lsOut.length;) {
    const end = lsOut.indexOf('\0', at)
    const tab = at + 51
    if (end === -1 || lsOut.charCodeAt(tab) !== 9) return undefined // not the format above (a SHA-256 repository?)
    const path = lsOut.slice(tab + 1, end)
    const mode = lsOut.slice(at + 2, at + 8)
    if (mode === '160000')
      dirs.push(path) // a submodule: walked like any folder git did not list
    else if (mode === '120000')
      dirty.add(path) // a symlink: git's blob is the link text, not the content
    else if (lsOut[at] !== 'H' || lsOut[at + 50] !== '0')
      dirty.add(path) // assume-unchanged (lowercase), skip-worktree, conflicts
    else clean.set(path, lsOut.slice(at + 9, at + 49))
    at = end + 1
  }
  const status = statusEntries(statusOut, prefix)
  if (!status) return undefined
  for (const { xy, path } of status) {
    if (xy !== '!!') changed = true
    if (xy === '??' || xy === '!!') {
      if (path.endsWith('/'))
        dirs.push(path.slice(0, -1)) // an ignored folder or a nested repository
      else dirty.add(path) // (a symlink to a folder is listed as a file: the stat below finds it)
      continue
    }
    if (xy[1] === ' ') continue // staged only: the work tree equals the index, which ls-files reported
    clean.delete(path)
    if (xy[1] === 'D')
      dirty.delete(path) // deleted from the work tree
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
  const gitDir = top?.gitDir && !env.GIT_INDEX_FILE && !env.GIT_COMMON_DIR ? top.gitDir : undefined
  return {
    files: dedupeSorted(files),
    clean,
    dirs: dirs.sort(),
    takenAt,
    ms: performance.now() - startedMs,
    prefix,
    changed,
    ...(gitDir ? { gitDir } : {}),
  }
}

/**
 * The entries of `git status --porcelain -z` below the root, paths made root-relative (a folder
 * keeps its trailing slash). Undefined when the root itself lies in an ignored or untracked folder
 * (`!! dist/` seen from `dist/deep/`): git vouches for nothing there.
 * @param prefix the root's place below the top of the work tree ({@link GitSnapshot.prefix})
 */
function statusEntries(statusOut: string, prefix: string): { xy: string; path: string }[] | undefined {
  const out: { xy: string; path: string }[] = []
  // "XY <path>", paths relative to the top of the work tree.
  for (const entry of statusOut.split('\0')) {
    if (entry.length < 4) continue
    const full = entry.slice(3)
    if (full.endsWith('/') && prefix.startsWith(full)) return undefined
    if (full.startsWith(prefix)) out.push({ xy: entry.slice(0, 2), path: full.slice(prefix.length) })
  }
  return out
}

/** What {@link gitWrittenCandidates} found: root-relative POSIX paths. */
export interface WrittenCandidates {
  /** Files git lists as changed (modified, staged, deleted), untracked or ignored; a deleted one no longer exists. */
  files: string[]
  /** Folders git lists as one entry without entering them (ignored folders, nested repositories), no trailing slash. */
  dirs: string[]
}

/**
 * The files a run may have created or changed, as git sees the tree now: one `git status` (the
 * snapshot's command, in a child process) instead of a walk of the whole tree in JavaScript. A
 * tracked file git still finds equal to its index entry is not a candidate (rewritten with the same
 * bytes, it changed nothing); everything git does not vouch for is: edited tracked files, untracked
 * and ignored files, and the folders git reports without entering (the caller walks those).
 * Folders git never lists (submodules) come from the start snapshot's `dirs`; `.tasks` and
 * `node_modules` are left out as in the snapshot.
 * @param snapshot this run's start snapshot (its prefix and the folders git did not enter then)
 * @returns undefined when git fails now (then the caller walks the whole tree); never throws
 */
export async function gitWrittenCandidates(
  root: string,
  snapshot: GitSnapshot,
  env: NodeJS.ProcessEnv = process.env,
): Promise<WrittenCandidates | undefined> {
  const out = await git(root, [...STATUS_ARGS, ':(exclude).tasks', ':(exclude)node_modules'], gitEnvOf(env))
  const status = out === undefined ? undefined : statusEntries(out, snapshot.prefix)
  if (!status) return undefined
  const files: string[] = []
  const dirs = new Set(snapshot.dirs)
  // A deleted path is listed too: the caller's stat drops it.
  for (const { path } of status) {
    if (path.endsWith('/')) dirs.add(path.slice(0, -1))
    else files.push(path)
  }
  return { files, dirs: [...dirs].sort() }
}

/** Clean files stat-ed by {@link indexLooksStale} to tell a stale index. */
export const STALE_SAMPLE = 16

/** How much of git's index {@link indexLooksStale} reads, bytes (~1,500 entries; a copied or touched tree is stale from the first one). */
export const INDEX_SAMPLE_BYTES = 128 * 1024

function readHead(file: string, maxBytes: number): Buffer {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.allocUnsafe(maxBytes)
    return buf.subarray(0, readSync(fd, buf, 0, maxBytes, 0))
  } finally {
    closeSync(fd)
  }
}

/** The stat data git's index caches for one entry (seconds and nanoseconds as stored). */
interface CachedStat {
  ctimeS: number
  ctimeNs: number
  mtimeS: number
  mtimeNs: number
  size: number
}

/**
 * The cached stat data of about `sample` entries spread evenly over the first `maxBytes` of git's index file (format
 * versions 2, 3 and 4, as documented in git's `gitformat-index`), by path; undefined when the file
 * is not one of those. Entries are stepped over by their length; only the sampled ones' paths are
 * decoded (in version 4, whose paths are prefix-compressed, every path is).
 */
export function readIndexSample(
  indexFile: string,
  sample: number,
  maxBytes = INDEX_SAMPLE_BYTES,
): Map<string, CachedStat> | undefined {
  const buf = readHead(indexFile, maxBytes)
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') return undefined
  const version = buf.readUInt32BE(4)
  if (version < 2 || version > 4) return undefined
  const count = buf.readUInt32BE(8)
  // Entries take ~70-100 bytes: spread the sample over the ones that fit in the bytes read.
  const step = Math.max(1, Math.floor(Math.min(count, buf.length / 80) / sample))
  const out = new Map<string, CachedStat>()
  let at = 12
  let prev = ''
  for (let i = 0; i < count; i++) {
    if (at + 62 > buf.length) break // the rest of the index was not read
    const entry = at
    const flags = buf.readUInt16BE(at + 60)
    const pathAt = at + 62 + (version >= 3 && flags & 0x4000 ? 2 : 0)
    const want = i % step === 0
    let path = ''
    if (version === 4) {
      // A varint of how many bytes to drop from the previous path, then the NUL-terminated rest.
      let p = pathAt
      // Past the buffer's end `b` is undefined: treated as 0 (the varint ends), and the NUL search below fails.
      let b = buf[p++] ?? 0
      let drop = b & 0x7f
      while (b & 0x80) {
        b = buf[p++] ?? 0
        drop = (drop + 1) * 128 + (b & 0x7f)
      }
      const end = buf.indexOf(0, p)
      if (end === -1) break
      path = prev = prev.slice(0, prev.length - drop) + buf.toString('utf8', p, end)
      at = end + 1
    } else {
      const len = flags & 0xfff
      const end = len < 0xfff ? pathAt + len : buf.indexOf(0, pathAt)
      if (end < 0 || end >= buf.length) break
      if (want) path = buf.toString('utf8', pathAt, end)
      // Entries are padded with 1-8 NULs to a multiple of 8 bytes.
      at += Math.ceil((end - at + 1) / 8) * 8
    }
    if (want)
      out.set(path, {
        ctimeS: buf.readUInt32BE(entry),
        ctimeNs: buf.readUInt32BE(entry + 4),
        mtimeS: buf.readUInt32BE(entry + 8),
        mtimeNs: buf.readUInt32BE(entry + 12),
        size: buf.readUInt32BE(entry + 36),
      })
  }
  return out
}

/**
 * Whether git's index holds stale stat data for files whose content it vouched for (after a copy
 * of the work tree, a checkout by another tool, or a `touch` of every file): then every
 * `git status --no-optional-locks` hashes those files again, run after run, because nothing
 * writes the refreshed stat data back. Told by comparing about {@link STALE_SAMPLE} index entries
 * spread over its first {@link INDEX_SAMPLE_BYTES} (the clean ones among them; a tree stale only
 * further down costs git little, in proportion), with the stat data the index caches for them (mtime, ctime, size: what
 * git compares, with `core.trustctime` on by default). Nanoseconds count only when the index
 * stores them (a git built without them writes 0).
 */
export function indexLooksStale(root: string, snapshot: GitSnapshot): boolean {
  if (!snapshot.gitDir || snapshot.clean.size === 0) return false
  let cached: Map<string, CachedStat> | undefined
  try {
    cached = readIndexSample(join(snapshot.gitDir, 'index'), STALE_SAMPLE)
  } catch {
    return false
  }
  if (!cached) return false
  // Plain (double) ms stats: at today's epoch a double holds ms to ~0.25 µs, so 2 µs apart is "different".
  const same = (s: number, ns: number, ms: number) =>
    ns === 0 ? Math.floor(ms / 1000) === s : Math.abs(s * 1000 + ns / 1e6 - ms) < 0.002
  for (const [path, c] of cached) {
    // Only entries git vouched for: a modified file is stale by nature, and no refresh changes that.
    if (!snapshot.clean.has(path)) continue
    const st = statSync(join(root, path), { throwIfNoEntry: false })
    if (!st) continue
    if (
      st.size % 4294967296 !== c.size ||
      !same(c.mtimeS, c.mtimeNs, st.mtimeMs) ||
      !same(c.ctimeS, c.ctimeNs, st.ctimeMs)
    )
      return true
  }
  return false
}

/**
 * Refresh git's index when {@link indexLooksStale}: `git update-index -q --ignore-submodules
 * --refresh`, the stat-only refresh that `git status` itself does when it may take the lock (same
 * semantics: only the cached stat data of entries whose content is unchanged is rewritten; what is
 * staged, and every blob id, stays as it was). Never while another git holds `index.lock`
 * (checked first; git's own `O_EXCL` lock makes the refresh give up if one appears meanwhile).
 * The snapshot is not affected: it was taken before.
 * @returns whether a refresh ran (and ended), false when the index was fresh, locked or unknown. Never rejects.
 */
export async function refreshStaleIndex(
  root: string,
  snapshot: GitSnapshot,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  try {
    if (!indexLooksStale(root, snapshot) || existsSync(join(snapshot.gitDir!, 'index.lock'))) return false
  } catch {
    return false
  }
  const gitEnv: NodeJS.ProcessEnv = { ...env, LC_ALL: 'C' }
  delete gitEnv.GIT_OPTIONAL_LOCKS
  return new Promise((resolve) => {
    execFile(
      'git',
      ['update-index', '-q', '--ignore-submodules', '--refresh'],
      { cwd: root, env: gitEnv, windowsHide: true, maxBuffer: 1 << 26 },
      () => resolve(true),
    )
  })
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
function workTreeTop(root: string): { prefix: string; gitDir?: string } | undefined {
  let dir: string
  try {
    dir = realpathSync(root)
  } catch {
    return undefined
  }
  const parts: string[] = []
  for (;;) {
    const dotGit = join(dir, '.git')
    let st
    try {
      st = statSync(dotGit, { throwIfNoEntry: false })
    } catch {}
    // A `.git` file (a linked worktree, a submodule) points elsewhere: its index is not refreshed.
    if (st)
      return {
        prefix: parts.length ? parts.reverse().join('/') + '/' : '',
        ...(st.isDirectory() ? { gitDir: dotGit } : {}),
      }
    const up = dirname(dir)
    if (up === dir) return undefined
    parts.push(basename(dir))
    dir = up
  }
}
