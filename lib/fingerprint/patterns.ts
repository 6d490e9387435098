/**
 * A task's glob patterns compiled once against the project root, shared by the git index
 * (`inputs.ts`, which matches them against git's file list) and the walk (`glob.ts`, which matches
 * them against a fresh `readdir` of the folders they can reach), so both select the same files:
 * positive rules (a literal path, a folder prefix `dir/**`, or a glob with its static base folder),
 * `!` exclusions, and the skip rules of tinyglobby's ignore list (`.git`, `.tasks`, `node_modules`
 * unless a pattern names it). Plans are memoized for the process (matchers by `util/glob.ts`): a
 * run compiles each task's patterns once, however often it lists them.
 *
 * What both must equal is tinyglobby's answer with `glob.ts`'s options. Where the rules below could
 * differ from it, the plan says so ({@link PatternPlan.walkable}) and the walk leaves the answer to
 * tinyglobby itself.
 */
import { posix } from 'node:path'
import { compileGlob, GLOB_SYNTAX, type Matcher } from '../util/glob.js'

/** Re-exported for the fingerprint's users (`run/undeclared.ts`); the home is `util/glob.ts`. */
export { compileGlob, GLOB_SYNTAX, type Matcher } from '../util/glob.js'

/** Escape a literal folder name (the task's cwd) before it prefixes a pattern, as tinyglobby's `escapePath` does. */
const escapeGlob = (s: string) => s.replace(/[()[\]{}*?|!+@\\]/g, '\\$&')

/** One root-relative positive pattern, prepared for matching. */
export interface Rule {
  /** As written by the user, relative to the task's cwd. */
  source: string
  kind: 'literal' | 'prefix' | 'glob'
  /** literal: the path; prefix: the folder (`''` = the root); glob: the static base folder. */
  base: string
  /** glob only: the compiled pattern. */
  match?: Matcher
  /** glob only: how many folder levels below `base` a match can lie (Infinity with `**` or extglob parens); 1 = files in `base`. */
  depth: number
  /**
   * glob only: matchers of the folder names at the levels below `base` up to the first `**`
   * (`{src,lib}/*.c`: the first level must match `{src,lib}`), so a walk enters no other folder,
   * as tinyglobby's partial matcher does. Empty when a brace, paren or class spans a `/` or the
   * pattern has escapes (then every folder is entered).
   */
  folders: Matcher[]
}

/** A task's patterns (relative to its cwd) as rules over root-relative POSIX paths. */
export interface PatternPlan {
  /** The positive patterns, in the order written. */
  rules: Rule[]
  /** `!path` exclusions without glob syntax: the path and, when it is a folder, everything in it. */
  excludeExact: string[]
  /** `!dir/**` exclusions: `'dir/'` (`''` for `!**`, which excludes everything). */
  excludePrefixes: string[]
  /** Other `!` exclusions, applied to each file and to each folder above it below the cwd (tinyglobby does not enter an excluded folder). */
  excludeGlobs: Matcher[]
  /** Whether a pattern names `node_modules` (then it is not skipped). */
  nodeModules: boolean
  /** Where the part of a root-relative path below the cwd starts (0 at the root). */
  from: number
  /**
   * Whether `glob.ts`'s own walk may serve the plan (else tinyglobby walks). False when a pattern
   * leaves the cwd, names the cwd itself or a skipped folder (`.git`, `.tasks`), when the cwd needs
   * escaping (glob syntax in its name), and where these rules could disagree with tinyglobby: an
   * exclusion naming a folder at or above the static base of a positive pattern
   * (`['src/a.c', '!src']`: tinyglobby tests its ignore patterns only against folders below the
   * base it crawls from, the rules here against every folder below the cwd), or a `!(…)` / `!!`
   * pattern (an extglob, or a double negation tinyglobby drops). The git index keeps its own
   * answer for those (`inputs.ts`).
   */
  walkable: boolean
}

/** Plans kept at most (a watch session re-plans after a config change; the memo is cleared when full). */
const MEMO_LIMIT = 10_000
const plans = new Map<string, PatternPlan | null>()

/**
 * The plan for `patterns` (tinyglobby syntax, relative to `cwd`, `!` negates), memoized per process.
 * @param cwd the task's cwd, POSIX, relative to the root (`'.'` for the root)
 * @returns undefined when a pattern is absolute or leaves the project root (only a walk from the
 *   cwd can answer those).
 */
export function planPatterns(cwd: string, patterns: readonly string[]): PatternPlan | undefined {
  const key = `${cwd}\0${patterns.join('\0')}`
  let plan = plans.get(key)
  if (plan === undefined) {
    plan = makePlan(cwd, patterns) ?? null
    if (plans.size >= MEMO_LIMIT) plans.clear()
    plans.set(key, plan)
  }
  return plan ?? undefined
}

function makePlan(cwd: string, patterns: readonly string[]): PatternPlan | undefined {
  const rules: Rule[] = []
  const excludeExact: string[] = []
  const excludePrefixes: string[] = []
  const excludeGlobs: Matcher[] = []
  const nodeModules = patterns.some((p) => p.includes('node_modules'))
  const escaped = cwd !== '.' && GLOB_SYNTAX.test(cwd)
  const cwdPrefix = cwd === '.' ? '' : escaped ? escapeGlob(cwd) : cwd
  let walkable = !escaped
  for (const p of patterns) {
    const negated = p.startsWith('!')
    if (negated && (p[1] === '(' || p[1] === '!')) walkable = false
    let body = negated ? p.slice(1) : p
    if (body.startsWith('/') || /^[a-zA-Z]:/.test(body)) return undefined
    if (body.endsWith('/')) body = body.slice(0, -1)
    const rel = normalize(cwdPrefix ? `${cwdPrefix}/${body}` : body)
    if (rel === '..' || rel.startsWith('../')) return undefined
    const own = normalize(body) // relative to the cwd
    if (own === '.' || own === '..' || own.startsWith('../') || (!negated && SKIPPED_SEGMENT.test(own)))
      walkable = false
    const rule = toRule(p, rel)
    if (!negated) rules.push(rule)
    else if (rule.kind === 'literal') excludeExact.push(rule.base)
    else if (rule.kind === 'prefix') excludePrefixes.push(rule.base === '' ? '' : rule.base + '/')
    else excludeGlobs.push(rule.match!)
  }
  const from = cwdPrefix ? cwd.length + 1 : 0
  if (walkable && (excludeExact.length || excludeGlobs.length)) {
    // Folders tinyglobby may crawl from, or pass above its crawl root, without testing its ignore
    // patterns against them: the static folders of each positive pattern and those above them.
    const anchors = new Set<string>()
    for (const r of rules) {
      let dir = r.kind === 'literal' ? posix.dirname(r.base) : r.kind === 'prefix' ? posix.dirname(r.base) : r.base
      while (dir.length >= from && dir !== '.' && dir !== '') {
        anchors.add(dir)
        dir = posix.dirname(dir)
      }
    }
    for (const a of anchors) if (excludeExact.includes(a) || excludeGlobs.some((m) => m(a))) walkable = false
  }
  return { rules, excludeExact, excludePrefixes, excludeGlobs, nodeModules, from, walkable }
}

/** `posix.normalize`, skipped for the common path that has no `.`/`..` segment, empty segment or leading `./`. */
const normalize = (p: string) => (p === '' || NEEDS_NORMALIZING.test(p) ? posix.normalize(p) : p)
const NEEDS_NORMALIZING = /(?:^|\/)\.\.?(?:\/|$)|\/\//

/** A path (relative to the cwd) with a segment glob.ts's ignore list always skips. */
const SKIPPED_SEGMENT = /(?:^|\/)(?:\.git|\.tasks)(?:\/|$)/

function toRule(source: string, rel: string): Rule {
  if (rel === '**') return { source, kind: 'prefix', base: '', depth: Infinity, folders: [] }
  if (rel.endsWith('/**') && !GLOB_SYNTAX.test(rel.slice(0, -3)))
    return { source, kind: 'prefix', base: rel.slice(0, -3), depth: Infinity, folders: [] }
  if (!GLOB_SYNTAX.test(rel)) return { source, kind: 'literal', base: rel === '.' ? '' : rel, depth: 0, folders: [] }
  // The static folder part: path segments before the first one with glob syntax.
  const segments = rel.split('/')
  const stat: string[] = []
  for (const s of segments.slice(0, -1)) {
    if (GLOB_SYNTAX.test(s)) break
    stat.push(s)
  }
  // Without `**` or extglob parens, a match has exactly as many segments as some brace
  // alternative, and never more than the pattern's own `/`-separated count.
  const depth = rel.includes('**') || rel.includes('(') ? Infinity : segments.length - stat.length
  // Segment by segment, a path matches only when each folder name matches its segment, unless a
  // construct spans segments (`{a,b/c}`, `+(a/b)`) or an escape hides a bracket from the count.
  const folders: Matcher[] = []
  if (!rel.includes('\\') && segments.every(balanced)) {
    for (const seg of segments.slice(stat.length, -1)) {
      if (seg.includes('**') || seg.startsWith('!')) break // (alone, a leading `!` would negate the segment)
      folders.push(compileGlob(seg))
    }
  }
  return { source, kind: 'glob', base: stat.join('/'), match: compileGlob(rel), depth, folders }
}

/** Whether a pattern segment opens and closes each kind of bracket equally often (nothing spans a `/`). */
function balanced(seg: string): boolean {
  let braces = 0
  let parens = 0
  let classes = 0
  for (const c of seg) {
    if (c === '{') braces++
    else if (c === '}') braces--
    else if (c === '(') parens++
    else if (c === ')') parens--
    else if (c === '[') classes++
    else if (c === ']') classes--
  }
  return braces === 0 && parens === 0 && classes === 0
}

/**
 * The files of sorted, root-relative `files` that no exclusion of `plan` removes: a file is
 * excluded when it or a folder above it (below the cwd) is excluded. Returns a new array when
 * something is removed (`files` itself is never changed).
 */
export function applyExcludes(plan: PatternPlan, files: string[]): string[] {
  const { excludeExact, excludePrefixes, excludeGlobs, from } = plan
  let out = files
  for (const x of excludeExact) {
    // The folder's files first (`x/…` may sort after `x-y`, `x.c`), then the file itself.
    const lo = lowerBound(out, x + '/')
    const hi = lowerBound(out, x + '/\uffff')
    if (hi > lo) out = out.slice(0, lo).concat(out.slice(hi))
    const i = lowerBound(out, x)
    if (out[i] === x) out = out.slice(0, i).concat(out.slice(i + 1))
  }
  if (excludePrefixes.length || excludeGlobs.length) {
    out = out.filter((f) => {
      if (excludePrefixes.some((x) => f.startsWith(x))) return false
      for (let i = f.indexOf('/', from); i !== -1; i = f.indexOf('/', i + 1)) {
        const dir = f.slice(0, i)
        if (excludeGlobs.some((m) => m(dir))) return false
      }
      return !excludeGlobs.some((m) => m(f))
    })
  }
  return out
}

/** Whether a folder (root-relative) is excluded by `plan` (its files all are: a walk need not enter it). */
export function excludesFolder(plan: PatternPlan, dir: string): boolean {
  if (plan.excludeExact.includes(dir)) return true
  const slashed = dir + '/'
  if (plan.excludePrefixes.some((x) => slashed.startsWith(x))) return true
  return dir.length >= plan.from && plan.excludeGlobs.length > 0 && plan.excludeGlobs.some((m) => m(dir))
}

/** The literal positive patterns (as written) whose path is not among sorted `files`. */
export function missingLiterals(plan: PatternPlan, files: readonly string[]): string[] {
  return plan.rules
    .filter((r) => r.kind === 'literal' && files[lowerBound(files, r.base)] !== r.base)
    .map((r) => r.source)
}

/** Index of the first element of sorted `a` that is >= `key`. */
export function lowerBound(a: readonly string[], key: string): number {
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
