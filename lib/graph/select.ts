/**
 * From the names typed on the command line to task names, in a monorepo: `build` at the root is
 * the `build` of every workspace that has one (and the root's own `build`); inside a workspace's
 * folder it is that workspace's `build` (or a root task of that name); `--filter` selects
 * workspaces as Turborepo and pnpm do (`name`, a glob of names, `./path`, `...name` for a
 * workspace and its dependents, `name...` for it and its dependencies, `^` to leave it out).
 * Without workspaces, names pass through unchanged.
 */
import { isAbsolute, relative, resolve } from 'node:path'
import { TasksError } from '../errors.js'
import { suggest } from '../util/suggest.js'
import { toPosix } from '../util/fs.js'
import { compileGlob } from '../util/glob.js'
import type { Project, Workspace } from '../model/project.js'

/** Options of {@link selectTasks}. */
export interface SelectOptions {
  /** The folder the command runs in (absolute): inside a workspace, short names mean its tasks. @default config.root */
  cwd?: string
  /** `--filter` values; several are a union. Empty or omitted: no filter. */
  filter?: readonly string[]
}

/**
 * The task names to run for `names` (in order, without duplicates).
 * @throws {TasksError} `usage` when a filter matches no workspace; `unknown-task` (with a
 *   did-you-mean) when a name matches no task of the selected workspaces.
 */
export function selectTasks(config: Project, names: readonly string[], options: SelectOptions = {}): string[] {
  const workspaces = config.workspaces
  const filters = options.filter?.filter((f) => f !== '') ?? []
  if (!workspaces) {
    if (filters.length)
      throw new TasksError(
        'usage',
        '--filter selects workspaces, and this project has none',
        { file: config.file },
        'list `workspaces` in the root config, or drop --filter',
      )
    return [...names]
  }
  const cwd = options.cwd ? resolve(options.cwd) : config.root
  const selected = filters.length ? filterWorkspaces(config, filters, cwd) : undefined
  const here = selected ? undefined : workspaceContaining(config, cwd)
  const out: string[] = []
  const add = (n: string) => {
    if (!out.includes(n)) out.push(n)
  }
  for (const name of names) {
    if (name.includes('#')) {
      add(name.startsWith('//#') ? name.slice(3) : name)
      continue
    }
    if (here) {
      add(config.tasks.has(`${here.name}#${name}`) ? `${here.name}#${name}` : name)
      continue
    }
    const inWorkspaces = (selected ?? workspaces).map((w) => `${w.name}#${name}`).filter((n) => config.tasks.has(n))
    if (!selected && config.tasks.has(name)) inWorkspaces.push(name)
    if (inWorkspaces.length === 0) {
      const all = [...config.tasks.keys()]
      const near = suggest(
        name,
        all.map((n) => n.slice(n.indexOf('#') + 1)),
      )
      throw new TasksError(
        'unknown-task',
        `unknown task \`${name}\`: ${selected ? 'no selected workspace has it' : 'neither the root nor any workspace defines it'}`,
        { file: config.file },
        near ? `did you mean \`${near}\`? (\`tasks --list\` shows all tasks)` : '`tasks --list` shows all tasks',
      )
    }
    for (const n of inWorkspaces) add(n)
  }
  return out
}

/** The workspace whose folder holds `dir` (the deepest when folders nest), else undefined. */
export function workspaceContaining(config: Project, dir: string): Workspace | undefined {
  const rel = toPosix(relative(config.root, dir))
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return undefined
  let best: Workspace | undefined
  for (const w of config.workspaces ?? []) {
    if ((rel === w.dir || rel.startsWith(`${w.dir}/`)) && (!best || w.dir.length > best.dir.length)) best = w
  }
  return best
}

/**
 * The workspaces `filters` select, in the config's order (sorted by folder).
 * @throws {TasksError} `usage` when one filter matches nothing.
 */
export function filterWorkspaces(config: Project, filters: readonly string[], cwd: string = config.root): Workspace[] {
  const workspaces = config.workspaces ?? []
  const byName = new Map(workspaces.map((w) => [w.name, w]))
  const dependents = new Map<string, string[]>(workspaces.map((w) => [w.name, []]))
  for (const w of workspaces) for (const d of w.dependencies) dependents.get(d)?.push(w.name)
  const chosen = new Set<string>()
  for (const raw of filters) {
    let f = raw
    let up = false,
      down = false,
      keepUp = true,
      keepDown = true
    if (f.startsWith('...')) {
      up = true
      f = f.slice(3)
      if (f.startsWith('^')) ((keepUp = false), (f = f.slice(1)))
    }
    if (f.endsWith('...')) {
      down = true
      f = f.slice(0, -3)
      if (f.endsWith('^')) ((keepDown = false), (f = f.slice(0, -1)))
    }
    const base = matchWorkspaces(config, f, cwd)
    if (base.length === 0) {
      const near = suggest(f, byName.keys())
      throw new TasksError(
        'usage',
        `--filter \`${raw}\` matches no workspace`,
        { file: config.file },
        near ? `did you mean \`${near}\`?` : `workspaces: ${[...byName.keys()].join(', ')}`,
      )
    }
    for (const w of base) {
      const self = (!up || keepUp) && (!down || keepDown)
      if (self) chosen.add(w.name)
      const walk = (start: string, edges: (n: string) => readonly string[]) => {
        const stack = [...edges(start)]
        const seen = new Set<string>()
        while (stack.length) {
          const n = stack.pop()!
          if (seen.has(n)) continue
          seen.add(n)
          chosen.add(n)
          stack.push(...edges(n))
        }
      }
      if (up) walk(w.name, (n) => dependents.get(n) ?? [])
      if (down) walk(w.name, (n) => byName.get(n)?.dependencies ?? [])
    }
  }
  return workspaces.filter((w) => chosen.has(w.name))
}

/** The workspaces one filter term names: `./path` (or a path glob), a name, or a glob of names. */
function matchWorkspaces(config: Project, term: string, cwd: string): Workspace[] {
  const workspaces = config.workspaces ?? []
  const path = term.startsWith('{') && term.endsWith('}') ? term.slice(1, -1) : term
  if (path.startsWith('.') || path.startsWith('/')) {
    const rel = toPosix(relative(config.root, resolve(cwd, path)))
    if (!/[*?[\]{}]/.test(rel))
      return workspaces.filter((w) => w.dir === rel || w.dir.startsWith(`${rel}/`) || rel === '')
    const pm = filterGlob(rel)
    return workspaces.filter((w) => pm(w.dir))
  }
  const exact = workspaces.filter((w) => w.name === term)
  if (exact.length) return exact
  if (/[*?[\]{}]/.test(term)) {
    const pm = filterGlob(term)
    return workspaces.filter((w) => pm(w.name) || pm(w.dir))
  }
  return workspaces.filter((w) => w.dir === term)
}

/** A `--filter` glob (of workspace names or folders): `*` does not match a leading dot. */
const filterGlob = (glob: string) => compileGlob(glob, { dot: false })
