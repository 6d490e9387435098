/**
 * Workspaces: one project root, one cache, many configs (Turborepo's and pnpm's model).
 *
 * The root config lists `workspaces` (globs of folders); when it does not, the package manager's
 * list is used (`package.json` `workspaces`, npm/yarn; `pnpm-workspace.yaml` `packages`). Each
 * workspace may have its own `tasks.config.*`: its tasks join the root's in one flat task map,
 * named `<workspace>#<task>`, with `cwd` (and so every path) relative to the workspace's folder.
 * Dependencies across workspaces: `^build` is the `build` task of every workspace this one depends
 * on (its package.json dependencies naming other workspaces, and `dependsOn`); `web#build` names one
 * task of another workspace; `//#task` (or a short name the workspace does not define) a root task.
 *
 * Cost: a workspace's config is found with one `readdir` of its folder and compiled once (the per-file cache
 * of `transpile.ts`); folders are matched without a glob library (`*` segments are regexps,
 * picomatch only for `[...]`/`{...}`), and the YAML parser is loaded only for `pnpm-workspace.yaml`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join, posix, relative } from 'node:path'
import { TasksError } from '../errors.js'
import { suggest } from '../util/suggest.js'
import { toPosix } from '../util/fs.js'
import { locate } from './locate.js'
import { validateConfig } from './validate.js'
import type { Config, TaskDefinition } from '../model/config.js'
import type { Workspace } from '../model/project.js'
import type { LoadedConfig, ResolvedTask } from '../model/internal.js'

const require = createRequire(import.meta.url)

/** Config file names a workspace folder may hold, in the order they are looked for (as at the root). */
const WORKSPACE_CONFIGS = [
  'tasks.config.ts',
  'tasks.config.mts',
  'tasks.config.js',
  'tasks.config.mjs',
  'tasks.config.cjs',
  'tasks.config.json',
]

/** The separator between a workspace's name and its task's name (`web#build`). */
export const WORKSPACE_SEP = '#'

/** Where a workspace list came from. */
export interface WorkspaceList {
  /** Globs relative to the root; `!` excludes. */
  patterns: string[]
  /** The file that lists them (root config, `package.json` or `pnpm-workspace.yaml`). */
  file: string
}

/**
 * The workspace globs of the project at `root`: the root config's `workspaces` key when present,
 * else `package.json` `workspaces` (an array, or yarn's `{ packages: [...] }`), else
 * `pnpm-workspace.yaml` `packages`.
 * @param raw the root config's default export, when there is one
 * @param rootFile the root config's path, for messages
 * @returns undefined when the project declares no workspaces
 * @throws {TasksError} `config-invalid` when a list is not an array of strings or the YAML is broken.
 */
export function workspaceList(root: string, raw: unknown, rootFile?: string): WorkspaceList | undefined {
  const own = raw && typeof raw === 'object' ? (raw as Config).workspaces : undefined
  if (own !== undefined) return { patterns: stringList(own, rootFile ?? root, 'workspaces'), file: rootFile ?? root }
  const pkgFile = join(root, 'package.json')
  const pkg = readJson(pkgFile)
  if (pkg && typeof pkg === 'object' && 'workspaces' in pkg) {
    const w = (pkg as { workspaces: unknown }).workspaces
    const list = Array.isArray(w) ? w : w && typeof w === 'object' ? (w as { packages?: unknown }).packages : undefined
    if (list !== undefined) return { patterns: stringList(list, pkgFile, 'workspaces'), file: pkgFile }
  }
  const pnpmFile = join(root, 'pnpm-workspace.yaml')
  if (existsSync(pnpmFile)) {
    const YAML = require('yaml') as typeof import('yaml')
    let doc: unknown
    try {
      doc = YAML.parse(readFileSync(pnpmFile, 'utf8'))
    } catch (err) {
      throw new TasksError(
        'config-invalid',
        `invalid YAML: ${(err as Error).message}`,
        { file: pnpmFile },
        'fix the file or list `workspaces` in the root tasks config',
      )
    }
    const list = (doc as { packages?: unknown } | null)?.packages
    if (list !== undefined) return { patterns: stringList(list, pnpmFile, 'packages'), file: pnpmFile }
  }
  return undefined
}

function stringList(list: unknown, file: string, key: string): string[] {
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
    throw new TasksError(
      'config-invalid',
      `\`${key}\` must be an array of folder globs, got ${JSON.stringify(list)}`,
      { file, key },
      "write e.g. `workspaces: ['packages/*', 'services/*']`",
    )
  }
  return list.map((p) => toPosix(p).replace(/^\.\//, '').replace(/\/+$/, ''))
}

function readJson(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new TasksError('config-invalid', `invalid JSON: ${(err as Error).message}`, { file }, 'fix the JSON syntax')
  }
}

/** Matchers by segment, compiled once per process (a monorepo's every folder is matched against the same few globs). */
const matchers = new Map<string, (name: string) => boolean>()

/** A matcher for one path segment of a workspace glob (memoized: see `matchers`). */
function segmentMatcher(seg: string): (name: string) => boolean {
  let m = matchers.get(seg)
  if (!m) matchers.set(seg, (m = compileSegment(seg)))
  return m
}

function compileSegment(seg: string): (name: string) => boolean {
  if (!/[*?[\]{}()!+@]/.test(seg)) return (name) => name === seg
  if (/^[^[\]{}()!+@]*$/.test(seg)) {
    const re = new RegExp(
      `^${seg
        .replace(/[.^$|\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')}$`,
    )
    return (name) => !name.startsWith('.') && re.test(name)
  }
  const pm = require('picomatch') as (glob: string, options: object) => (s: string) => boolean
  const m = pm(seg, { posix: true })
  return (name) => m(name)
}

/** True when the POSIX relative folder `dir` matches `pattern` (segments, `**` for any depth). */
function matchesPattern(pattern: string, dir: string): boolean {
  const p = pattern.split('/').filter(Boolean)
  const d = dir.split('/').filter(Boolean)
  const go = (i: number, j: number): boolean => {
    if (i === p.length) return j === d.length
    if (p[i] === '**') {
      for (let k = j; k <= d.length; k++) if (go(i + 1, k)) return true
      return false
    }
    return j < d.length && segmentMatcher(p[i]!)(d[j]!) && go(i + 1, j + 1) // i < p.length: returned above otherwise
  }
  return go(0, 0)
}

/**
 * Whether `dir` (POSIX, relative to the root) is one of the workspaces `patterns` select: matched
 * by a positive pattern and by no `!` pattern.
 */
export function isWorkspaceDir(patterns: readonly string[], dir: string): boolean {
  let inside = false
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (inside && matchesPattern(p.slice(1), dir)) inside = false
    } else if (!inside && matchesPattern(p, dir)) inside = true
  }
  return inside
}

/**
 * The folders (POSIX, relative to `root`, sorted) that `patterns` select and that hold a
 * `package.json` or a `tasks.config.*`. `node_modules` and dot folders are never entered.
 */
export function expandWorkspaceDirs(root: string, patterns: readonly string[]): string[] {
  const found = new Set<string>()
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) continue
    const segs = pattern.split('/').filter((s) => s && s !== '.')
    const walk = (rel: string, i: number): void => {
      if (i === segs.length) {
        if (rel && folderEntries(join(root, rel)).some((n) => n === 'package.json' || WORKSPACE_CONFIGS.includes(n)))
          found.add(rel)
        return
      }
      const seg = segs[i]! // i < segs.length: returned above otherwise
      if (seg === '..') return
      if (seg === '**') {
        walk(rel, i + 1)
        for (const sub of subdirs(root, rel)) walk(rel ? `${rel}/${sub}` : sub, i)
        return
      }
      if (!/[*?[\]{}()!+@]/.test(seg)) {
        walk(rel ? `${rel}/${seg}` : seg, i + 1)
        return
      }
      const m = segmentMatcher(seg)
      for (const sub of subdirs(root, rel)) if (m(sub)) walk(rel ? `${rel}/${sub}` : sub, i + 1)
    }
    walk('', 0)
  }
  return [...found].filter((d) => isWorkspaceDir(patterns, d)).sort()
}

function subdirs(root: string, rel: string): string[] {
  try {
    return readdirSync(join(root, rel), { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.'))
      .map((e) => e.name)
  } catch {
    return []
  }
}

/** The `tasks.config.*` of a workspace folder (absolute), when it has one. */
export function workspaceConfigFile(root: string, dir: string): string | undefined {
  // One `readdir` (remembered from expandWorkspaceDirs) instead of an `existsSync` per candidate name.
  const names = folderEntries(join(root, dir))
  const f = WORKSPACE_CONFIGS.find((c) => names.includes(c))
  return f === undefined ? undefined : join(root, dir, f)
}

/** The names in a folder (empty when it cannot be read), read once per folder per load. */
const entryCache = new Map<string, string[]>()
function folderEntries(abs: string): string[] {
  let names = entryCache.get(abs)
  if (!names) {
    try {
      names = readdirSync(abs)
    } catch {
      names = []
    }
    entryCache.set(abs, names)
    // Only for the load in progress: dropped on the next turn of the event loop.
    if (entryCache.size === 1) setImmediate(() => entryCache.clear()).unref()
  }
  return names
}

/** Loads one config file's default export (`load.ts`'s importer; passed in to keep imports one way). */
export type ConfigImporter = (file: string, dir: string) => Promise<unknown>

/** Loads several configs' default exports, in order, each run with `configRoot()` = its `dir`. */
export type ConfigsImporter = (entries: readonly { file: string; dir: string }[]) => Promise<unknown[]>

/** What {@link loadWorkspaces} needs. */
export interface WorkspaceLoadInput {
  /** Absolute project root. */
  root: string
  /** Absolute path of the root config, or of the file listing the workspaces when there is no root config. */
  file: string
  /** The root config's default export; undefined when the root has no tasks config. */
  raw?: unknown
  /** The root config's text, to point at lines. */
  source?: string
  list: WorkspaceList
  importConfigs: ConfigsImporter
}

/**
 * Load every workspace's config and merge all tasks into one {@link LoadedConfig} (root tasks keep
 * their names; workspace tasks become `<workspace>#<task>`).
 * @throws {TasksError} `config-invalid` (duplicate workspace names, unknown `dependsOn`, a bad
 *   `defaults` entry), `unknown-dependency` (a `web#build` or `^build` that names nothing, with a
 *   did-you-mean), plus everything `validateConfig` throws, naming the workspace's own config file.
 */
export async function loadWorkspaces(input: WorkspaceLoadInput): Promise<LoadedConfig> {
  const { root, file, source } = input
  const rootCfg = (input.raw ?? { tasks: {} }) as Config
  if (
    rootCfg &&
    typeof rootCfg === 'object' &&
    rootCfg.defaults !== undefined &&
    (typeof rootCfg.defaults !== 'object' || rootCfg.defaults === null)
  ) {
    throw new TasksError('config-invalid', '`defaults` must be an object of task templates by task name', {
      file,
      key: 'defaults',
    })
  }
  const defaults = (rootCfg?.defaults ?? {}) as Record<string, TaskDefinition>
  if (Object.keys(defaults).length) {
    // Shapes only: a template's deps are checked where it is used.
    validateConfig(
      {
        tasks: Object.fromEntries(
          Object.entries(defaults).map(([n, d]) => [n, d && typeof d === 'object' ? { ...d, deps: undefined } : d]),
        ),
      },
      file,
      root,
      source,
    )
  }

  // The workspaces: folder, name, config file, package.json dependencies.
  const dirs = expandWorkspaceDirs(root, input.list.patterns)
  const infos = dirs.map((dir) => {
    const pkg = readJson(join(root, dir, 'package.json')) as Record<string, unknown> | undefined
    const name = typeof pkg?.name === 'string' && pkg.name ? pkg.name : basename(dir)
    const declared = new Set<string>()
    for (const key of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      const d = pkg?.[key]
      if (d && typeof d === 'object') for (const n of Object.keys(d)) declared.add(n)
    }
    return { name, dir, file: workspaceConfigFile(root, dir), declared }
  })
  const byName = new Map<string, (typeof infos)[number]>()
  for (const w of infos) {
    const other = byName.get(w.name)
    if (other) {
      throw new TasksError(
        'config-invalid',
        `two workspaces are named \`${w.name}\`: ${other.dir} and ${w.dir}`,
        { file: input.list.file },
        'give each a distinct `name` in its package.json (without one, the folder name is used)',
      )
    }
    if (/\s|#/.test(w.name)) {
      throw new TasksError(
        'config-invalid',
        `workspace name \`${w.name}\` (${w.dir}) cannot contain spaces or \`#\``,
        { file: join(root, w.dir, 'package.json') },
        'rename the package',
      )
    }
    byName.set(w.name, w)
  }

  // Every workspace's config, from one bundle (each still sees its own folder as `configRoot()`).
  const raws = new Map<string, { cfg: Config; source: () => string | undefined }>()
  const withConfig = infos.filter((w) => w.file)
  const loaded = await input.importConfigs(withConfig.map((w) => ({ file: w.file!, dir: join(root, w.dir) })))
  for (const [k, w] of withConfig.entries()) {
    const raw = loaded[k]
    if (
      !raw ||
      typeof raw !== 'object' ||
      typeof (raw as Config).tasks !== 'object' ||
      (raw as Config).tasks === null
    ) {
      throw new TasksError(
        'config-invalid',
        'the config must export `{ tasks: { ... } }` as its default export',
        { file: w.file },
        'write `export default defineConfig({ tasks: { build: { run: "..." } } })`',
      )
    }
    for (const key of ['workspaces', 'defaults'] as const) {
      if ((raw as Config)[key] !== undefined) {
        throw new TasksError(
          'config-invalid',
          `\`${key}\` belongs in the root config, not in a workspace's`,
          { file: w.file, key },
          `move it to ${relative(join(root, w.dir), file) || file}`,
        )
      }
    }
    raws.set(w.name, { cfg: raw as Config, source: lazySource(w.file!) })
  }

  const workspaces: Workspace[] = infos.map((w) => {
    const deps = new Set([...w.declared].filter((n) => n !== w.name && byName.has(n)))
    const raw = raws.get(w.name)
    const dependsOn = raw?.cfg.dependsOn
    if (dependsOn !== undefined) {
      for (const n of stringList(dependsOn, w.file!, 'dependsOn')) {
        if (!byName.has(n) || n === w.name) {
          const near = suggest(
            n,
            [...byName.keys()].filter((x) => x !== w.name),
          )
          throw new TasksError(
            'config-invalid',
            n === w.name
              ? `workspace \`${n}\` cannot depend on itself`
              : `\`dependsOn\` names unknown workspace \`${n}\``,
            { file: w.file, key: 'dependsOn', ...locateValue(raw?.source(), n) },
            near ? `did you mean \`${near}\`?` : `workspaces: ${[...byName.keys()].join(', ')}`,
          )
        }
        deps.add(n)
      }
    }
    return { name: w.name, dir: w.dir, file: w.file, dependencies: [...deps].sort() }
  })
  const wsByName = new Map(workspaces.map((w) => [w.name, w]))

  // Root tasks first (their cross-workspace deps are resolved once every task is known).
  const rootDefs = rootCfg.tasks ?? {}
  const pending: {
    task: ResolvedTask
    deps: readonly string[]
    ws?: Workspace
    file: string
    source: () => string | undefined
  }[] = []
  const rootTasks = validateConfig(
    {
      tasks: stripCrossDeps(rootDefs, undefined, () => false),
      ...(rootCfg.concurrency !== undefined ? { concurrency: rootCfg.concurrency } : {}),
    },
    file,
    root,
    source,
  )
  for (const t of rootTasks.tasks.values())
    pending.push({ task: t, deps: (rootDefs[t.name] as TaskDefinition).deps ?? [], file, source: () => source })
  const rootNames = new Set(rootTasks.tasks.keys())

  for (const ws of workspaces) {
    const raw = raws.get(ws.name)
    if (!raw) continue
    const defs: Record<string, TaskDefinition> = {}
    for (const [name, def] of Object.entries(raw.cfg.tasks)) {
      const template = defaults[name]
      const d = def && typeof def === 'object' && template ? { ...template, ...def } : def
      if (d && typeof d === 'object') {
        const cwd = (d as TaskDefinition).cwd
        defs[name] = { ...d, cwd: posix.join(ws.dir, toPosix(cwd ?? '.')) }
      } else defs[name] = d
    }
    const local = new Set(Object.keys(defs))
    const validated = validateLazily(
      { tasks: stripCrossDeps(defs, local, (n) => rootNames.has(n)) },
      ws.file!,
      root,
      raw.source,
    )
    for (const t of validated.tasks.values()) {
      if (posix.relative(ws.dir, t.cwd).startsWith('..')) {
        throw new TasksError(
          'config-invalid',
          `task \`${t.name}\`: \`cwd\` ${JSON.stringify(raw.cfg.tasks[t.name]?.cwd)} leaves the workspace folder ${ws.dir}`,
          { file: ws.file, task: t.name, key: 'cwd', ...locate(raw.source(), t.name, { key: 'cwd' }) },
          'paths in a workspace config are relative to its folder and stay inside it',
        )
      }
      pending.push({ task: t, deps: defs[t.name]!.deps ?? [], ws, file: ws.file!, source: raw.source })
    }
  }

  // One flat map, then every dependency spelled as the full name of a task in it.
  const tasks = new Map<string, ResolvedTask>()
  const fullName = (p: (typeof pending)[number]) => (p.ws ? `${p.ws.name}${WORKSPACE_SEP}${p.task.name}` : p.task.name)
  for (const p of pending) tasks.set(fullName(p), p.task)
  const out = new Map<string, ResolvedTask>()
  for (const p of pending) {
    const name = fullName(p)
    const deps: string[] = []
    const add = (d: string) => {
      if (!deps.includes(d)) deps.push(d)
    }
    for (const dep of p.deps) {
      const fail = (what: string, candidates: Iterable<string>, fix: string) => {
        const near = suggest(what, candidates)
        return new TasksError(
          'unknown-dependency',
          `task \`${name}\` depends on unknown task \`${dep}\``,
          { file: p.file, task: p.task.name, key: 'deps', ...locate(p.source(), p.task.name, { value: dep }) },
          near ? `did you mean \`${near}\`?` : fix,
        )
      }
      if (dep.startsWith('^')) {
        const target = dep.slice(1)
        const from = p.ws ? p.ws.dependencies : workspaces.map((w) => w.name)
        for (const w of from) if (tasks.has(`${w}${WORKSPACE_SEP}${target}`)) add(`${w}${WORKSPACE_SEP}${target}`)
        continue
      }
      const cut = dep.indexOf(WORKSPACE_SEP)
      if (cut >= 0) {
        const wsName = dep.slice(0, cut)
        const target = dep.slice(cut + 1)
        if (wsName === '' || wsName === '//') {
          if (!rootNames.has(target)) throw fail(target, rootNames, `the root config defines no task \`${target}\``)
          add(target)
          continue
        }
        if (!wsByName.has(wsName))
          throw fail(
            dep,
            [...tasks.keys()],
            `no workspace is named \`${wsName}\` (workspaces: ${[...wsByName.keys()].join(', ')})`,
          )
        if (!tasks.has(dep))
          throw fail(
            dep,
            [...tasks.keys()].filter((n) => n.startsWith(`${wsName}${WORKSPACE_SEP}`)),
            `workspace \`${wsName}\` has no task \`${target}\``,
          )
        add(dep)
        continue
      }
      if (p.ws && tasks.has(`${p.ws.name}${WORKSPACE_SEP}${dep}`)) add(`${p.ws.name}${WORKSPACE_SEP}${dep}`)
      else add(dep) // a root task: validateConfig checked that it exists
    }
    out.set(name, { ...p.task, name, deps, ...(p.ws ? { workspace: p.ws.name } : {}) })
  }
  return { file, root, tasks: out, concurrency: rootTasks.concurrency, workspaces }
}

/** The file's text, read on first use (only error messages need it). */
function lazySource(file: string): () => string | undefined {
  let text: string | undefined
  return () => (text ??= /\.json$/.test(file) ? undefined : readFileSync(file, 'utf8'))
}

/** {@link validateConfig} without the source text; on an error, again with it, for the line and carets. */
function validateLazily(raw: unknown, file: string, root: string, source: () => string | undefined): LoadedConfig {
  try {
    return validateConfig(raw, file, root)
  } catch (err) {
    if (err instanceof TasksError) validateConfig(raw, file, root, source())
    throw err
  }
}

/**
 * The definitions without the dependencies `validateConfig` cannot check alone (`^x`, `w#x`, and
 * root tasks named from a workspace), so it validates everything else with its usual messages.
 */
function stripCrossDeps(
  defs: Record<string, unknown>,
  local: Set<string> | undefined,
  isRoot: (name: string) => boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, def] of Object.entries(defs)) {
    const deps = (def as TaskDefinition | null)?.deps
    if (def && typeof def === 'object' && Array.isArray(deps)) {
      out[name] = {
        ...def,
        deps: deps.filter(
          (d) =>
            typeof d !== 'string' ||
            !(d.startsWith('^') || d.includes(WORKSPACE_SEP) || (local && !local.has(d) && isRoot(d))),
        ),
      }
    } else out[name] = def
  }
  return out
}

function locateValue(source: string | undefined, value: string) {
  if (!source) return {}
  const i = source.search(new RegExp(`['"\`]${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}['"\`]`))
  if (i < 0) return {}
  const before = source.slice(0, i)
  const lineStart = before.lastIndexOf('\n') + 1
  const lineEnd = source.indexOf('\n', i)
  return {
    line: before.split('\n').length,
    column: i - lineStart + 1,
    length: value.length + 2,
    lineText: source.slice(lineStart, lineEnd < 0 ? undefined : lineEnd),
  }
}

/** A monorepo root found above (or at) a folder. */
export interface WorkspaceRoot {
  /** Absolute root folder. */
  root: string
  /** The root's tasks config, when it has one. */
  file?: string
  /** Its default export, already imported (when `file` is set). */
  raw?: unknown
  list: WorkspaceList
}

/**
 * The monorepo a folder belongs to.
 * - `atOrAbove: false` (a config was found in `dir`): the nearest folder above `dir` that holds a
 *   tasks config or declares workspaces, when `dir` is one of its workspaces. A root config is
 *   imported only when its text mentions `workspaces`; a config above that does not claim `dir`
 *   ends the search (`dir` is a project of its own inside another one).
 * - `atOrAbove: true` (no config anywhere up to `/`): the nearest folder at or above `dir` whose
 *   package manager declares workspaces of which at least one has a tasks config.
 * @returns undefined when `dir` is not inside a monorepo
 */
export async function findWorkspaceRoot(
  dir: string,
  atOrAbove: boolean,
  importConfig: ConfigImporter,
): Promise<WorkspaceRoot | undefined> {
  if (!atOrAbove && dirname(dir) === dir) return undefined
  for (let d = atOrAbove ? dir : dirname(dir); ; d = dirname(d)) {
    const rel = toPosix(relative(d, dir))
    if (atOrAbove) {
      const list = quietList(d)
      if (list && expandWorkspaceDirs(d, list.patterns).some((w) => workspaceConfigFile(d, w))) return { root: d, list }
    } else {
      const file = WORKSPACE_CONFIGS.map((f) => join(d, f)).find((f) => existsSync(f))
      if (file) {
        let list: WorkspaceList | undefined
        let raw: unknown
        if (/\.json$/.test(file) || readFileSync(file, 'utf8').includes('workspaces')) {
          raw = await importConfig(file, d)
          list = workspaceList(d, raw, file)
        } else list = quietList(d)
        return list && isWorkspaceDir(list.patterns, rel) ? { root: d, file, raw, list } : undefined
      }
      const list = quietList(d)
      if (list) return isWorkspaceDir(list.patterns, rel) ? { root: d, list } : undefined
    }
    if (dirname(d) === d) return undefined
  }
}

/** {@link workspaceList} from the package manager's files only, undefined on any error. */
function quietList(dir: string): WorkspaceList | undefined {
  try {
    const pkg = join(dir, 'package.json')
    if (
      !existsSync(join(dir, 'pnpm-workspace.yaml')) &&
      !(existsSync(pkg) && readFileSync(pkg, 'utf8').includes('"workspaces"'))
    )
      return undefined
    return workspaceList(dir, undefined)
  } catch {
    return undefined
  }
}
