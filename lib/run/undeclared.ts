/**
 * Undeclared writes: after a run in which tasks executed, the files created or changed inside the
 * project outside every declared output (and outside `.git`, `.tasks`, `node_modules`), each
 * attributed to the task(s) that were running when it changed. Only runs where something executed
 * pay for the look (one per run, at its end); a no-op never looks. In a git work tree the
 * candidates come from one `git status` (what git does not vouch for, plus the folders it does not
 * enter, which are walked); elsewhere the whole project is walked.
 *
 * Attribution: a file's ctime (which moves on every write, rename into place and chmod) is matched
 * against the wall-clock windows of the tasks that executed. When exactly one task was running
 * then, it is named; when several ran at once, the warning names all of them as candidates and
 * blames none; a change outside every window (the user's editor, a restore) is not reported.
 *
 * Not reported either: writes made while only tasks that are never cached were running (no
 * `inputs`, `fingerprint: false`, services, interactive tasks): nothing of theirs is ever restored,
 * so an undeclared output loses nothing (an imported `npm run build` or make target would warn on
 * every run). A write while a cached task ran beside them is still reported, naming all of them.
 *
 * Expected writes, never reported: a task's own `depfile`, and everything inside a tool cache: a
 * folder holding a `CACHEDIR.TAG` that starts with the signature of the Cache Directory Tagging
 * Specification (cargo's `target/`, `.pytest_cache`, `.ruff_cache`, `.mypy_cache`, uv's caches
 * write one) or a `pyvenv.cfg` (a Python virtual environment, whatever its name). Measured before
 * this rule: 485 to 24,199 files per warning on such folders, from our own recipes too.
 */
import { closeSync, lstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs'
import { join, posix } from 'node:path'
import type { WrittenCandidates } from '../fingerprint/git.js'
import { compileGlob, GLOB_SYNTAX, type Matcher } from '../fingerprint/patterns.js'
import type { ResolvedTask } from '../model/internal.js'

/** A task that executed in this run, and when (ms since the epoch; `endMs` Infinity while running). */
export interface RanWindow {
  task: ResolvedTask
  startMs: number
  endMs: number
}

/** Files that changed outside the declared outputs, with the tasks that were running when they did. */
export interface UndeclaredWrite {
  /** One task: it wrote them; several: they ran at once and one of them did. */
  tasks: string[]
  /** Root-relative POSIX paths, sorted. */
  files: string[]
}

/** File timestamps come from the kernel's coarse clock (up to a few ms behind `Date.now()`), ms. */
const SLACK_MS = 20
const SKIP_DIRS = new Set(['.git', '.tasks', 'node_modules'])
/** The first bytes of a valid `CACHEDIR.TAG` (Cache Directory Tagging Specification, bford.info/cachedir). */
const CACHEDIR_SIGNATURE = 'Signature: 8a477f597d28d172789f06886806bc55'

/**
 * Whether the folder `dir` (absolute) is a tool cache: it holds a `CACHEDIR.TAG` whose first bytes
 * are the specification's signature (a tag without it does not count, as the specification says),
 * or a `pyvenv.cfg` (PEP 405: the marker of a virtual environment).
 * @param names the folder's entry names when the caller already read them (saves two stats)
 */
export function isToolCache(dir: string, names?: ReadonlySet<string>): boolean {
  if (names && !names.has('CACHEDIR.TAG') && !names.has('pyvenv.cfg')) return false
  try {
    if (!names || names.has('pyvenv.cfg')) {
      if (lstatSync(join(dir, 'pyvenv.cfg'), { throwIfNoEntry: false })?.isFile()) return true
    }
    const fd = openSync(join(dir, 'CACHEDIR.TAG'), 'r')
    try {
      const head = Buffer.alloc(CACHEDIR_SIGNATURE.length)
      const n = readSync(fd, head, 0, head.length, 0)
      return head.toString('latin1', 0, n) === CACHEDIR_SIGNATURE
    } finally {
      closeSync(fd)
    }
  } catch {
    return false
  }
}

/**
 * Find the files changed since `runStartMs` that match no declared output of `tasks`, and
 * attribute each to the windows of `ran`. Without `candidates` the whole project is walked (not
 * following symlinks); with them (what git lists after the run, `gitWrittenCandidates`), only the
 * candidate files are stat-ed and the candidate folders walked (a symlinked folder is checked as a
 * link, never entered; a missing file is skipped).
 * @param tasks every task of the run (their `outputs`, relative to their `cwd`, are declared)
 * @throws nothing for unreadable folders (skipped); the caller may still guard the call
 */
export function findUndeclaredWrites(
  root: string,
  runStartMs: number,
  ran: readonly RanWindow[],
  tasks: readonly ResolvedTask[],
  candidates?: WrittenCandidates,
): UndeclaredWrite[] {
  const declared = declaredMatcher(tasks)
  const cacheDirs = new Map<string, boolean>()
  /** Whether a root-relative path lies in a tool cache (its folders looked at once each per call). */
  const inToolCache = (rel: string): boolean => {
    const parts = rel.split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      let is = cacheDirs.get(dir)
      if (is === undefined) cacheDirs.set(dir, (is = isToolCache(join(root, dir))))
      if (is) return true
    }
    return false
  }
  const since = runStartMs - SLACK_MS
  const byTasks = new Map<string, UndeclaredWrite>()
  const seen = new Set<string>()
  const check = (rel: string, known?: Stats) => {
    if (seen.has(rel)) return
    seen.add(rel)
    let st = known
    try {
      st ??= lstatSync(join(root, rel))
    } catch {
      return
    }
    const ctime = st.ctimeMs
    if (ctime < since || declared(rel)) return
    const during = ran
      .filter((w) => ctime >= w.startMs - SLACK_MS && ctime <= w.endMs + SLACK_MS)
      .map((w) => w.task.name)
    if (during.length === 0) return
    const names = [...new Set(during)].sort()
    const key = names.join('\0')
    let w = byTasks.get(key)
    if (!w) byTasks.set(key, (w = { tasks: names, files: [] }))
    w.files.push(rel)
  }
  const walk = (top: string) => {
    const stack: string[] = [top]
    while (stack.length) {
      const dir = stack.pop()!
      let entries
      try {
        entries = readdirSync(join(root, dir), { withFileTypes: true })
      } catch {
        continue
      }
      if (dir && isToolCache(join(root, dir), new Set(entries.map((e) => e.name)))) continue
      for (const e of entries) {
        const rel = dir ? `${dir}/${e.name}` : e.name
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name)) stack.push(rel)
        } else if (e.isFile() || e.isSymbolicLink()) check(rel)
      }
    }
  }
  if (!candidates) walk('')
  else {
    const skipped = (rel: string) => rel.split('/').some((part) => SKIP_DIRS.has(part))
    for (const f of candidates.files) if (!skipped(f) && !inToolCache(f)) check(f)
    for (const d of candidates.dirs) {
      if (skipped(d) || inToolCache(d)) continue
      let st: Stats
      try {
        st = lstatSync(join(root, d))
      } catch {
        continue
      }
      if (st.isDirectory()) walk(d)
      else if (st.isFile() || st.isSymbolicLink()) check(d, st)
    }
  }
  const cached = new Set(ran.filter((w) => isCached(w.task)).map((w) => w.task.name))
  const out = [...byTasks.values()].filter((w) => w.tasks.some((t) => cached.has(t)))
  for (const w of out) w.files.sort()
  return out.sort((a, b) => (a.tasks.join() < b.tasks.join() ? -1 : 1))
}

/**
 * Whether a root-relative path is a declared output of some task (a pattern naming a folder covers
 * its files). Literal patterns (`dist/out.txt`, `dist`) compare as strings; a glob is tested only
 * for paths below its static base folder and compiled on first need (`compileGlob`, memoized per
 * process, shared with the output expansion), so 100 tasks' outputs cost no picomatch compile
 * when they are literal.
 */
function declaredMatcher(tasks: readonly ResolvedTask[]): (path: string) => boolean {
  const rules: { pos: Matcher[]; neg: Matcher[] }[] = []
  for (const t of tasks) {
    const base = t.cwd === '.' ? '' : t.cwd
    const full = (p: string) => posix.normalize(base ? `${base}/${p}` : p).replace(/\/$/, '')
    const pos = t.outputs.filter((o) => !o.startsWith('!')).map((o) => covers(full(o)))
    // The task's own depfile (already root-relative) is a write it declares.
    if (t.depfile) pos.push(covers(t.depfile))
    if (pos.length === 0) continue
    rules.push({ pos, neg: t.outputs.filter((o) => o.startsWith('!')).map((o) => covers(full(o.slice(1)))) })
  }
  return (path) => rules.some((r) => r.pos.some((m) => m(path)) && !r.neg.some((m) => m(path)))
}

/** A matcher for `pattern` and everything below it (`p` or `p/**`), picomatch's semantics with `dot: true`. */
function covers(pattern: string): Matcher {
  if (pattern === '.' || pattern === '') return () => true
  if (!GLOB_SYNTAX.test(pattern)) return (path) => path === pattern || path.startsWith(`${pattern}/`)
  // The folders before the first segment with glob syntax: no path outside them can match.
  const segments = pattern.split('/')
  const prefix =
    segments
      .slice(
        0,
        segments.findIndex((seg) => GLOB_SYNTAX.test(seg)),
      )
      .join('/') + '/'
  let self: Matcher | undefined
  let below: Matcher | undefined
  return (path) => {
    if (prefix !== '/' && !path.startsWith(prefix)) return false
    self ??= compileGlob(pattern)
    below ??= compileGlob(`${pattern}/**`)
    return self(path) || below(path)
  }
}

/**
 * The warnings for `found` (`undeclared-write`), in order: one naming the task when one task was
 * running (`task` set), else one for the run naming every candidate (`task` undefined). At most 5
 * files are named per warning (`(+N more)`).
 */
export function undeclaredWarnings(found: readonly UndeclaredWrite[]): { task?: string; message: string }[] {
  return found.map((w) => {
    const files =
      w.files.length > 5 ? `${w.files.slice(0, 5).join(', ')} (+${w.files.length - 5} more)` : w.files.join(', ')
    const some = w.files.length === 1 ? 'a file' : `${w.files.length} files`
    const them = w.files.length === 1 ? 'it' : 'them'
    if (w.tasks.length === 1)
      return {
        task: w.tasks[0]!,
        message: `wrote ${some} outside its declared outputs: ${files} (add ${them} to \`outputs\`, or write under .tasks/ or a temp folder)`,
      }
    return {
      message: `${some} written outside every declared output while ${w.tasks.map((t) => `\`${t}\``).join(', ')} ran at once: ${files} (declare ${them} in the \`outputs\` of the task that writes ${them})`,
    }
  })
}

/** Whether a run of `task` is stored in the cache (and so restored later): it declares inputs and is not a service or interactive. */
function isCached(task: ResolvedTask): boolean {
  return task.inputs !== undefined && !task.service && !task.interactive
}
