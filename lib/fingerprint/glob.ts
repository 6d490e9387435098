/**
 * Expand a task's input or output globs (tinyglobby) into sorted, root-relative POSIX paths by
 * walking the tree: used for outputs, outside git repositories, and where the git snapshot
 * (`inputs.ts`) cannot serve. tinyglobby is loaded on first use (a no-op run in git never needs it).
 */
import { createRequire } from 'node:module'
import { join, posix } from 'node:path'

const require = createRequire(import.meta.url)
let tinyglobby: typeof import('tinyglobby') | undefined
const glob = () => (tinyglobby ??= require('tinyglobby') as typeof import('tinyglobby'))

const ALWAYS_IGNORED = ['**/.git/**', '**/.tasks/**']

/**
 * Characters that make a pattern a glob (picomatch's wildcards, classes, braces, extglob parens,
 * negation, escapes); a pattern without any is a literal path. Shared with the git index
 * (`inputs.ts`) so both say the same about which inputs are literal and missing.
 */
export const GLOB_SYNTAX = /[*?[\]{}()!\\]/
const ignoreList = (nodeModules: boolean) => (nodeModules ? ALWAYS_IGNORED : [...ALWAYS_IGNORED, '**/node_modules/**'])

/** What {@link expandGlobs} found. */
export interface GlobResult {
  /** Matching files, relative to the project root, POSIX, sorted. */
  files: string[]
  /** Patterns without wildcards that match no file (e.g. a missing `go.sum`), for a warning. */
  missingLiterals: string[]
}

/**
 * @param root absolute project root
 * @param cwd the task's cwd, POSIX, relative to root (`'.'` for the root)
 * @param patterns tinyglobby patterns relative to `cwd`; `!` negates. `node_modules` is skipped
 *   unless a pattern names it; `.git` and `.tasks` are always skipped.
 */
export function expandGlobs(root: string, cwd: string, patterns: readonly string[]): GlobResult {
  if (patterns.length === 0) return { files: [], missingLiterals: [] }
  const ignore = ignoreList(patterns.some((p) => p.includes('node_modules')))
  const found = glob().globSync(patterns as string[], { cwd: join(root, cwd), dot: true, onlyFiles: true, ignore, expandDirectories: false })
  const prefix = cwd === '.' ? '' : cwd + '/'
  const files = found.map((f) => (f.startsWith('../') ? posix.normalize(prefix + f) : prefix + f)).sort()
  const set = new Set(found)
  const missingLiterals = patterns.filter((p) => !p.startsWith('!') && !GLOB_SYNTAX.test(p) && !set.has(posix.normalize(p)))
  return { files, missingLiterals }
}

/**
 * Every file under `dir` (absolute), relative to it, POSIX, with the same skip rules as
 * {@link expandGlobs}: `.git` and `.tasks` always, `node_modules` unless `nodeModules`.
 */
export function walkFiles(dir: string, nodeModules: boolean): string[] {
  return glob().globSync(['**'], { cwd: dir, dot: true, onlyFiles: true, ignore: ignoreList(nodeModules), expandDirectories: false })
}
