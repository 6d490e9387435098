/**
 * Expand a task's input or output globs into sorted, root-relative POSIX paths by looking at the
 * tree: used for outputs, outside git repositories, and where the git snapshot (`inputs.ts`) cannot
 * serve (a dependency ran in this run). The answer is tinyglobby's with the options below; the
 * common shapes (literal paths, `dir/**`, globs under a static folder, `!` exclusions) are served
 * by our own walk: an `lstat` per literal path, a `readdir` per folder a pattern can reach, and the
 * patterns compiled once per process (`patterns.ts`). Anything that walk cannot judge exactly as
 * tinyglobby would (a symlink, a special file, a pattern leaving the cwd, an exclusion of a folder
 * above a pattern's base) goes to tinyglobby, which is loaded on first use.
 */
import { lstatSync, readdirSync, type Dirent } from 'node:fs'
import { createRequire } from 'node:module'
import { join, posix } from 'node:path'
import {
  applyExcludes,
  excludesFolder,
  GLOB_SYNTAX,
  missingLiterals,
  planPatterns,
  type Matcher,
  type PatternPlan,
} from './patterns.js'

export { GLOB_SYNTAX } from './patterns.js'

const require = createRequire(import.meta.url)
let tinyglobby: typeof import('tinyglobby') | undefined
const glob = () => (tinyglobby ??= require('tinyglobby') as typeof import('tinyglobby'))

const ALWAYS_IGNORED = ['**/.git/**', '**/.tasks/**']
const ignoreList = (nodeModules: boolean) => (nodeModules ? ALWAYS_IGNORED : [...ALWAYS_IGNORED, '**/node_modules/**'])

/** What {@link expandGlobs} found. */
export interface GlobResult {
  /** Matching files, relative to the project root, POSIX, sorted. */
  files: string[]
  /** Patterns without wildcards that match no file (e.g. a missing `go.sum`), for a warning. */
  missingLiterals: string[]
}

/**
 * The files `patterns` match, as tinyglobby finds them with `dot: true`, files only, no directory
 * expansion (a literal folder name matches nothing), following symlinks.
 * @param root absolute project root
 * @param cwd the task's cwd, POSIX, relative to root (`'.'` for the root)
 * @param patterns tinyglobby patterns relative to `cwd`; `!` negates. `node_modules` is skipped
 *   unless a pattern names it; `.git` and `.tasks` are always skipped.
 */
export function expandGlobs(root: string, cwd: string, patterns: readonly string[]): GlobResult {
  if (patterns.length === 0) return { files: [], missingLiterals: [] }
  return walkGlobs(root, cwd, patterns) ?? globWithTinyglobby(root, cwd, patterns)
}

/**
 * {@link expandGlobs} by the own walk alone: undefined when it must leave the answer to tinyglobby
 * (the plan is not walkable, or the walk met a symlink, a special file or an unreadable folder).
 * Same parameters as {@link expandGlobs}.
 */
export function walkGlobs(root: string, cwd: string, patterns: readonly string[]): GlobResult | undefined {
  const plan = planPatterns(cwd, patterns)
  return plan?.walkable ? walkPlan(root, plan) : undefined
}

/** {@link expandGlobs} by tinyglobby alone (the reference the own walk must equal; exported for the tests that compare them). */
export function globWithTinyglobby(root: string, cwd: string, patterns: readonly string[]): GlobResult {
  if (patterns.length === 0) return { files: [], missingLiterals: [] }
  const ignore = ignoreList(patterns.some((p) => p.includes('node_modules')))
  const found = glob().globSync(patterns as string[], {
    cwd: join(root, cwd),
    dot: true,
    onlyFiles: true,
    ignore,
    expandDirectories: false,
  })
  const prefix = cwd === '.' ? '' : cwd + '/'
  const files = found.map((f) => (f.startsWith('../') ? posix.normalize(prefix + f) : prefix + f)).sort()
  const set = new Set(found)
  const missingLiterals = patterns.filter(
    (p) => !p.startsWith('!') && !GLOB_SYNTAX.test(p) && !set.has(posix.normalize(p)),
  )
  return { files, missingLiterals }
}

/**
 * A walkable plan served without tinyglobby: a literal path is one `lstat` (a regular file is
 * found, a folder or nothing is missing, as with tinyglobby's `onlyFiles`), a prefix or glob rule
 * is a `readdir` walk of its static base (as deep as the glob can match). Undefined when the walk
 * met something tinyglobby must judge (a symlink, a special file, an unreadable folder).
 */
function walkPlan(root: string, plan: PatternPlan): GlobResult | undefined {
  const parts: string[][] = []
  for (const r of plan.rules) {
    if (r.kind === 'literal') {
      if (r.base === '') continue
      const found = literalFile(root, r.base)
      if (found === undefined) return undefined
      if (found) parts.push([r.base])
      continue
    }
    const found = walkTree(root, r.base, r.depth, plan.nodeModules, plan, r.folders)
    if (!found) return undefined
    parts.push(r.kind === 'prefix' ? found : found.filter((f) => r.match!(f)))
  }
  const merged = parts.length === 1 ? parts[0]!.sort() : [...new Set(parts.flat())].sort()
  const files = applyExcludes(plan, merged)
  return { files, missingLiterals: missingLiterals(plan, files) }
}

/**
 * File systems that may fold case (macOS, Windows): there an `lstat` finds `README.md` for a
 * `readme.md`, while tinyglobby matches the name exactly, so the name is looked up in its folder.
 */
const FOLDS_CASE = process.platform === 'darwin' || process.platform === 'win32'

/**
 * Whether the literal root-relative path names a regular file: true; nothing, a folder, or a file
 * where a folder was named: false (tinyglobby's `onlyFiles` finds none of those); undefined for a
 * symlink or a special file (tinyglobby follows or drops them) and for unexpected errors.
 */
function literalFile(root: string, path: string): boolean | undefined {
  if (FOLDS_CASE) {
    const slash = path.lastIndexOf('/')
    const dir = slash === -1 ? root : join(root, path.slice(0, slash))
    let entries: Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      return code === 'ENOENT' || code === 'ENOTDIR' ? false : undefined
    }
    const e = entries.find((x) => x.name === path.slice(slash + 1))
    return !e || e.isDirectory() ? false : e.isFile() ? true : undefined
  }
  let st
  try {
    st = lstatSync(join(root, path), { throwIfNoEntry: false })
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? false : undefined
  }
  return !st || st.isDirectory() ? false : st.isFile() ? true : undefined
}

/**
 * Files below `base` (root-relative, `''` = `root`), root-relative POSIX, unsorted, at most `depth`
 * folder levels down (1 = `base`'s own files). Skips what glob.ts's ignore list skips (entries
 * named `.git` or `.tasks`, and `node_modules` unless `nodeModules`), folders `plan` excludes, and
 * at level n below `base` (1 = its own entries) folders whose name `folders[n - 1]` rejects.
 * A missing `base` has no files. Undefined when an entry is neither a file nor a folder (a symlink,
 * a socket), `base` is a file, or a folder cannot be read: tinyglobby decides those.
 */
function walkTree(
  root: string,
  base: string,
  depth: number,
  nodeModules: boolean,
  plan?: PatternPlan,
  folders: readonly Matcher[] = [],
): string[] | undefined {
  const out: string[] = []
  const dirs: string[] = [base]
  const depths: number[] = [1]
  while (dirs.length) {
    const dir = dirs.pop()!
    const d = depths.pop()!
    let entries: Dirent[]
    try {
      entries = readdirSync(dir === '' ? root : join(root, dir), { withFileTypes: true })
    } catch (err) {
      if (dir === base && (err as NodeJS.ErrnoException).code === 'ENOENT') continue
      return undefined
    }
    for (const e of entries) {
      const name = e.name
      if (name === '.git' || name === '.tasks' || (name === 'node_modules' && !nodeModules)) continue
      const rel = dir === '' ? name : `${dir}/${name}`
      if (e.isFile()) out.push(rel)
      else if (e.isDirectory()) {
        if (d < depth && (d > folders.length || folders[d - 1]!(name)) && !(plan && excludesFolder(plan, rel))) {
          dirs.push(rel)
          depths.push(d + 1)
        }
      } else return undefined
    }
  }
  return out
}

/**
 * Every file under `dir` (absolute), relative to it, POSIX, with the same skip rules as
 * {@link expandGlobs}: `.git` and `.tasks` always, `node_modules` unless `nodeModules`. Unsorted.
 */
export function walkFiles(dir: string, nodeModules: boolean): string[] {
  return (
    walkTree(dir, '', Infinity, nodeModules) ??
    glob().globSync(['**'], {
      cwd: dir,
      dot: true,
      onlyFiles: true,
      ignore: ignoreList(nodeModules),
      expandDirectories: false,
    })
  )
}
