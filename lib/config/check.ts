/**
 * Declaration checks run once the config is validated, before anything runs: the mistakes users
 * make when porting a project (issue 9, section 4). Each is a {@link TasksError} naming the config
 * file, the task(s), the file and the fix:
 *
 * - **in-place task** (`in-place-task`): a file matched by both a task's `inputs` and its
 *   `outputs` (`prettier --write`, a `docs` step rewriting `README.md`). The engine drops a task's
 *   outputs from its inputs, so an edit of that file would not rerun the task and a later restore
 *   would overwrite the edit. Fix: drop it from `outputs` (it stays an input, is never restored, the
 *   task reruns when it changes) or exclude it from `inputs` with `!path` (it is a generated file
 *   the task owns).
 * - **overlapping outputs** (`overlapping-outputs`): two tasks declare outputs matching the same
 *   file; each would restore its own copy over the other's.
 * - **undeclared dependency** (`undeclared-dependency`): a task's inputs match a file another task
 *   declares as output, with no dependency path between them either way, so it may read the file
 *   before it is written or a stale one (the fix: `add "obj:cjson" to deps`).
 * - **missing cwd** (`config-invalid`): a task's `cwd` does not exist and no task declares an output
 *   under it (otherwise the command would fail with `spawn /bin/sh ENOENT`).
 *
 * How: every positive pattern is made root-relative and indexed by its static base folder
 * (its leading folders without glob syntax); two patterns can only overlap when one base is an ancestor of (or equal to)
 * the other's, so only those pairs are compared (a literal against a glob exactly; two globs by
 * matching a sample path of each against the other). Where two globs share a base below the root
 * and no sample decides, the files that exist under the output glob's base are listed (tinyglobby,
 * once per pattern) and matched. Nothing is read or listed when no pair overlaps, so the no-op run
 * pays a few string comparisons per pattern; an output glob based at the root (`**\/*.o`) is only
 * compared by samples, never walked.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, posix } from 'node:path'
import { TasksError } from '../errors.js'
import { expandGlobs } from '../fingerprint/glob.js'
import { compileGlob, GLOB_SYNTAX, staticBase, type Matcher } from '../util/glob.js'
import { locate } from './locate.js'
import type { ErrorLocation } from '../errors.js'
import type { LoadedConfig, ResolvedTask } from '../model/internal.js'

/** One positive pattern of a task, root-relative. */
interface Pattern {
  task: ResolvedTask
  kind: 'inputs' | 'outputs'
  /** As written in the config (relative to the task's cwd). */
  written: string
  /** Root-relative, POSIX, normalised. */
  path: string
  literal: boolean
  /** The static folder the pattern starts with ('' for the root); a literal's folder. */
  base: string
  /** Position in its list (to take each pair with equal bases once). */
  order: number
}

/**
 * Check `config` for the declaration mistakes above; throws the first one found (tasks in config
 * order). Reads the file system only for tasks whose `cwd` is not `.` (one `readdir` per parent
 * folder) and for the rare glob pairs that patterns alone cannot decide (a listing of the output
 * glob's folder).
 * @param source the config file's text, to point at the offending pattern (`file:line:col`)
 * @throws {TasksError} `in-place-task`, `overlapping-outputs`, `undeclared-dependency` or
 *   `config-invalid` (a `cwd` that does not exist).
 */
export function checkDeclarations(config: LoadedConfig, source?: string): void {
  const tasks = [...config.tasks.values()]
  const outputs: Pattern[] = []
  const inputs: Pattern[] = []
  for (const task of tasks) {
    for (const p of task.outputs) addPattern(outputs, task, 'outputs', p)
    if (task.inputs && task.fingerprint !== false) for (const p of task.inputs) addPattern(inputs, task, 'inputs', p)
  }
  checkCwds(config, tasks, outputs, source)
  if (outputs.length === 0) return
  const ctx = new Context(config)
  const outByBase = byBase(outputs)

  // Two tasks' outputs.
  for (const a of outputs) {
    for (const b of candidates(a, outByBase)) {
      if (b.task === a.task || (a.base === b.base && b.order < a.order)) continue
      const hit = ctx.overlap(a, b)
      if (!hit) continue
      const [first, second] = tasks.indexOf(a.task) <= tasks.indexOf(b.task) ? [a, b] : [b, a]
      throw new TasksError(
        'overlapping-outputs',
        `tasks \`${first.task.name}\` and \`${second.task.name}\` both declare ${describe(hit)} as an output (\`${first.written}\` and \`${second.written}\`)`,
        { task: second.task.name, key: 'outputs', ...where(config, second.task, source, { value: second.written }) },
        `each file must have one producing task: narrow one of the two \`outputs\` (e.g. add \`'!${relativeTo(first.task, hit.sample ? second.path : hit.file)}'\` to \`${first.task.name}\`'s outputs) or merge the tasks`,
      )
    }
  }

  // A task's inputs against outputs (its own: in place; another task's: a dependency is needed).
  for (const input of inputs) {
    for (const output of candidates(input, outByBase, true)) {
      const hit = ctx.overlap(input, output)
      if (!hit) continue
      const t = input.task
      // What to exclude from the inputs: the file, or the output glob when the file is only a sample of it.
      const exclude = relativeTo(t, hit.sample ? output.path : hit.file)
      if (output.task === t) {
        throw new TasksError(
          'in-place-task',
          `task \`${t.name}\` declares ${describe(hit)} as both an input (\`${input.written}\`) and an output (\`${output.written}\`)`,
          { task: t.name, key: 'inputs', ...where(config, t, source, { value: input.written }) },
          `a task's outputs are never its inputs, so a hand edit of such a file would be overwritten by a restore: if the task rewrites it in place (a formatter, a docs step), drop it from \`outputs\`; if the task generates it, exclude it from \`inputs\` with \`'!${exclude}'\``,
        )
      }
      if (ctx.connected(t, output.task)) continue
      throw new TasksError(
        'undeclared-dependency',
        `task \`${t.name}\` reads ${describe(hit)} (input \`${input.written}\`), ${hit.sample ? 'outputs' : 'an output'} of task \`${output.task.name}\`, without depending on it`,
        { task: t.name, key: 'inputs', ...where(config, t, source, { value: input.written }) },
        `add ${JSON.stringify(output.task.name)} to \`deps\` of \`${t.name}\`, or exclude ${hit.sample ? 'those files' : 'the file'} from its inputs with \`'!${exclude}'\``,
      )
    }
  }
}

/**
 * The config file that defines `task` (a workspace's task: its workspace's `tasks.config.*`, read
 * here for the position; else the root config with `source`) and where in it `needle` is written.
 */
function where(
  config: LoadedConfig,
  task: ResolvedTask,
  source: string | undefined,
  needle: { key?: string; value?: string },
): { file: string } & ErrorLocation {
  const ws = task.workspace === undefined ? undefined : config.workspaces?.find((w) => w.name === task.workspace)
  if (!ws?.file) return { file: config.file, ...locate(source, task.name, needle) }
  let text: string | undefined
  try {
    text = readFileSync(ws.file, 'utf8')
  } catch {}
  return { file: ws.file, ...locate(text, task.name.slice(ws.name.length + 1), needle) }
}

function addPattern(list: Pattern[], task: ResolvedTask, kind: Pattern['kind'], written: string): void {
  if (written.startsWith('!')) return
  const body = written.endsWith('/') ? written.slice(0, -1) : written
  const path = posix.normalize(task.cwd === '.' ? body : `${task.cwd}/${body}`)
  if (path === '..' || path.startsWith('../') || path.startsWith('/')) return
  const literal = !GLOB_SYNTAX.test(path)
  const base = literal ? posix.dirname(path).replace(/^\.$/, '') : staticBase(path)
  list.push({ task, kind, written, path, literal, base, order: list.length })
}

/** Patterns indexed by base folder, with the bases sorted (for the folders below a base). */
interface BaseIndex {
  byBase: Map<string, Pattern[]>
  sorted: string[]
}

function byBase(list: Pattern[]): BaseIndex {
  const m = new Map<string, Pattern[]>()
  for (const p of list) {
    const l = m.get(p.base)
    if (l) l.push(p)
    else m.set(p.base, [p])
  }
  return { byBase: m, sorted: [...m.keys()].sort() }
}

/**
 * The patterns of `index` that may overlap `p`: those whose base is `p`'s base or an ancestor of it,
 * and (with `deeper`) those whose base lies below `p`'s base (for inputs against outputs, where the
 * pairs are not symmetric; a binary search to the sorted bases under it).
 */
function* candidates(p: Pattern, index: BaseIndex, deeper = false): Generator<Pattern> {
  for (let base = p.base; ; base = parent(base)) {
    yield* index.byBase.get(base) ?? []
    if (base === '') break
  }
  if (!deeper) return
  const prefix = p.base === '' ? '' : p.base + '/'
  const { sorted } = index
  let lo = 0,
    hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! < prefix)
      lo = mid + 1 // lo <= mid < hi <= sorted.length
    else hi = mid
  }
  for (let i = lo; i < sorted.length && sorted[i]!.startsWith(prefix); i++)
    if (sorted[i] !== p.base) yield* index.byBase.get(sorted[i]!)!
}

const parent = (dir: string) => (dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '')

/**
 * Whether two globs can never match the same file name: their last segments (both match the file's
 * name) have incompatible literal ends, e.g. `*.o` and `*.a`, `lib*` and `test*`. Undecidable
 * segments (classes, braces, extglobs) answer false.
 */
function disjointNames(a: string, b: string): boolean {
  const name = (g: string) => g.slice(g.lastIndexOf('/') + 1)
  const [x, y] = [name(a), name(b)]
  if (/[[\]{}()\\!]/.test(x + y)) return false
  const ends = (n: string) => {
    const first = n.search(/[*?]/)
    const last = Math.max(n.lastIndexOf('*'), n.lastIndexOf('?'))
    return first < 0 ? { prefix: n, suffix: n } : { prefix: n.slice(0, first), suffix: n.slice(last + 1) }
  }
  const [ex, ey] = [ends(x), ends(y)]
  const compatible = (p: string, q: string, f: (u: string, v: string) => boolean) => f(p, q) || f(q, p)
  return (
    !compatible(ex.prefix, ey.prefix, (u, v) => u.startsWith(v)) ||
    !compatible(ex.suffix, ey.suffix, (u, v) => u.endsWith(v))
  )
}

/** A path both patterns match: a literal or an existing file, or a sample path of two globs. */
interface Hit {
  file: string
  sample: boolean
}

/** The hit for a message: `\`gen/code.c\`` or `files like \`out/x.o\``. */
const describe = (hit: Hit) => (hit.sample ? `files like \`${hit.file}\`` : `\`${hit.file}\``)

/** A root-relative file as written relative to the task's cwd (for `!path` fixes). */
function relativeTo(task: ResolvedTask, file: string): string {
  return task.cwd === '.' ? file : posix.relative(task.cwd, file)
}

/** Negations, listings and dependency closures of one check, computed on demand (matchers: `compileGlob`'s memo). */
class Context {
  private readonly negations = new Map<string, Matcher | null>()
  private readonly listed = new Map<string, string[]>()
  private readonly closures = new Map<string, Set<string>>()

  constructor(private readonly config: LoadedConfig) {}

  /** Whether `file` is excluded by a `!pattern` of the pattern's own list (inputs or outputs of its task). */
  private excluded(p: Pattern, file: string): boolean {
    const key = `${p.kind}\0${p.task.name}`
    let m = this.negations.get(key)
    if (m === undefined) {
      const list = (p.kind === 'inputs' ? (p.task.inputs ?? []) : p.task.outputs)
        .filter((g) => g.startsWith('!'))
        .map((g) => posix.normalize(p.task.cwd === '.' ? g.slice(1) : `${p.task.cwd}/${g.slice(1)}`))
        .filter((g) => !g.startsWith('../'))
      // As tinyglobby does: an excluded folder excludes its files.
      m = list.length ? compileGlob(list.flatMap((g) => [g, `${g}/**`])) : null
      this.negations.set(key, m)
    }
    return !!m && m(file)
  }

  private matches(p: Pattern, file: string): boolean {
    return (p.literal ? p.path === file : compileGlob(p.path)(file)) && !this.excluded(p, file)
  }

  /** A file both patterns match (after their negations), or undefined. */
  overlap(a: Pattern, b: Pattern): Hit | undefined {
    if (a.literal)
      return this.matches(b, a.path) && !this.excluded(a, a.path) ? { file: a.path, sample: false } : undefined
    if (b.literal)
      return this.matches(a, b.path) && !this.excluded(b, b.path) ? { file: b.path, sample: false } : undefined
    for (const s of [...samples(a.path), ...samples(b.path), ...crossSamples(a, b), ...crossSamples(b, a)])
      if (this.matches(a, s) && this.matches(b, s)) return { file: s, sample: true }
    if (disjointNames(a.path, b.path)) return undefined
    // Undecided: look at the files that exist under the output glob's base (never the whole tree).
    const out = a.kind === 'outputs' ? a : b
    const other = out === a ? b : a
    if (
      out.base === '' ||
      !(
        out.base === other.base ||
        out.base.startsWith(other.base === '' ? '' : other.base + '/') ||
        other.base.startsWith(out.base + '/')
      )
    )
      return undefined
    const file = this.files(out).find((f) => this.matches(other, f) && !this.excluded(out, f))
    return file === undefined ? undefined : { file, sample: false }
  }

  private files(p: Pattern): string[] {
    let l = this.listed.get(p.path)
    if (!l) this.listed.set(p.path, (l = expandGlobs(this.config.root, '.', [p.path]).files))
    return l
  }

  /** Whether either task depends on the other, directly or not. */
  connected(a: ResolvedTask, b: ResolvedTask): boolean {
    return this.closure(a.name).has(b.name) || this.closure(b.name).has(a.name)
  }

  /** Every task `name` depends on, directly or not (iterative: chains may be thousands deep). */
  private closure(name: string): Set<string> {
    let seen = this.closures.get(name)
    if (seen) return seen
    seen = new Set<string>()
    const stack = [...(this.config.tasks.get(name)?.deps ?? [])]
    while (stack.length) {
      const d = stack.pop()!
      if (seen.has(d)) continue
      seen.add(d)
      for (const dd of this.config.tasks.get(d)?.deps ?? []) if (!seen.has(dd)) stack.push(dd)
    }
    this.closures.set(name, seen)
    return seen
  }
}

/**
 * Sample paths a glob matches, made by filling each wildcard with the simplest text: `**` as one
 * folder or none, `*` and `?` as `x`, a class as its first character, a brace or extglob as its
 * first alternative. The caller keeps only samples the glob really matches.
 */
function samples(glob: string): string[] {
  const fill = (g: string, star: string) =>
    g
      .replace(/\\(.)/g, '$1')
      .replace(/[@+?*!]?\(([^|)]*)[^)]*\)/g, '$1')
      .replace(/\{([^,}]*)[^}]*\}/g, '$1')
      .replace(/\[!?\^?(\\?.)[^\]]*\]/g, (_, c: string) => c.replace(/^\\/, ''))
      .replace(/\*\*\//g, star)
      .replace(/\/\*\*$/g, '/x')
      .replace(/\*\*/g, 'x')
      .replace(/[*?]/g, 'x')
  return [...new Set([fill(glob, ''), fill(glob, 'x/')])]
}

/**
 * Samples of `b`'s base folder holding a file named like `a`'s last segment (`web/dist/**` and
 * `web/**\/*.js` give `web/dist/x.js`): two globs often overlap only there.
 */
function crossSamples(a: Pattern, b: Pattern): string[] {
  const last = a.path.slice(a.path.lastIndexOf('/') + 1)
  const prefix = b.base === '' ? '' : b.base + '/'
  return samples(last)
    .filter((s) => s !== '')
    .flatMap((s) => [prefix + s, `${prefix}x/${s}`])
}

/**
 * A `cwd` that does not exist and that no task's outputs could create. One `readdir` per parent
 * folder (500 packages under `packages/` cost one call, not 500 `stat`s).
 */
function checkCwds(config: LoadedConfig, tasks: ResolvedTask[], outputs: Pattern[], source?: string): void {
  const listings = new Map<string, Set<string> | null>()
  const isDir = (cwd: string): boolean => {
    const parentDir = posix.dirname(cwd)
    let names = listings.get(parentDir)
    if (names === undefined) {
      try {
        names = new Set(
          readdirSync(join(config.root, parentDir), { withFileTypes: true })
            .filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDirectory(join(config.root, parentDir, e.name))))
            .map((e) => e.name),
        )
      } catch {
        names = null
      }
      listings.set(parentDir, names)
    }
    return !!names?.has(posix.basename(cwd))
  }
  for (const task of tasks) {
    if (task.cwd === '.' || task.run === undefined || isDir(task.cwd)) continue
    const created = outputs.some(
      (o) =>
        o.path.startsWith(task.cwd + '/') ||
        (o.base !== '' && (task.cwd + '/').startsWith(o.base + '/')) ||
        (o.base === '' && !o.literal),
    )
    if (created) continue
    throw new TasksError(
      'config-invalid',
      `task \`${task.name}\`: \`cwd\` ${JSON.stringify(task.cwd)} does not exist`,
      { task: task.name, key: 'cwd', ...where(config, task, source, { key: 'cwd' }) },
      "fix the path (relative to the folder of the config file) or create the folder; a folder a dependency creates must be under that task's `outputs`",
    )
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
