/**
 * Workspace discovery: which folders of a monorepo are workspaces. The root config lists
 * `workspaces` (globs of folders); when it does not, the package manager's list is used
 * (`package.json` `workspaces`, npm/yarn; `pnpm-workspace.yaml` `packages`). Also finds the
 * monorepo root above a folder, and each workspace's `tasks.config.*`.
 *
 * Cost: a workspace's config is found with one `readdir` of its folder; folders are matched without
 * a glob library (`*` segments are regexps, picomatch only for `[...]`/`{...}`), and the YAML parser
 * is loaded only for `pnpm-workspace.yaml`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { TasksError } from '../../errors.js'
import { toPosix } from '../../util/fs.js'
import { compileGlob } from '../../util/glob.js'
import type { Config } from '../../model/config.js'

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

/**
 * A list of folder globs as POSIX paths without `./` or a trailing `/`.
 * @throws {TasksError} `config-invalid` naming `file` and `key` when `list` is not an array of strings.
 */
export function stringList(list: unknown, file: string, key: string): string[] {
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

/**
 * A JSON file's value, undefined when it cannot be read.
 * @throws {TasksError} `config-invalid` when it is not valid JSON.
 */
export function readJson(file: string): unknown {
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

/** The matcher of one segment: a string compare, a regexp for `*` and `?`, else picomatch. */
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
  const m = compileGlob(seg, { dot: false })
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

/** The sub-folders of `root/rel` a workspace glob may enter (no `node_modules`, no dot folders). */
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
