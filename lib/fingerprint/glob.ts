/** Expand a task's input or output globs (tinyglobby) into sorted, root-relative POSIX paths. */
import { globSync } from 'tinyglobby'
import { join, posix } from 'node:path'

const ALWAYS_IGNORED = ['**/.git/**', '**/.tasks/**']

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
  const ignore = patterns.some((p) => p.includes('node_modules')) ? ALWAYS_IGNORED : [...ALWAYS_IGNORED, '**/node_modules/**']
  const found = globSync(patterns as string[], { cwd: join(root, cwd), dot: true, onlyFiles: true, ignore, expandDirectories: false })
  const prefix = cwd === '.' ? '' : cwd + '/'
  const files = found.map((f) => (f.startsWith('../') ? posix.normalize(prefix + f) : prefix + f)).sort()
  const set = new Set(found)
  const missingLiterals = patterns.filter((p) => !p.startsWith('!') && !/[*?[\]{}()!]/.test(p) && !set.has(posix.normalize(p)))
  return { files, missingLiterals }
}
