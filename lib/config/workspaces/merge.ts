/**
 * Workspaces: one project root, one cache, many configs (Turborepo's and pnpm's model).
 *
 * Which folders are workspaces is `discovery.ts`'s business. Each workspace may have its own
 * `tasks.config.*`: its tasks join the root's in one flat task map, named `<workspace>#<task>`, with
 * `cwd` (and so every path) relative to the workspace's folder. A workspace depends on the others
 * its package.json dependencies name, and on its config's `dependsOn`; `deps.ts` spells every
 * task's dependencies as full names (`^build`, `web#build`, `//#task`).
 *
 * Cost: each workspace's config is compiled once (the per-file cache of `transpile.ts`), all of them
 * in one bundle; a config's text is read only for an error message.
 */
import { readFileSync } from 'node:fs'
import { basename, join, posix, relative } from 'node:path'
import { TasksError } from '../../errors.js'
import { suggest } from '../../util/suggest.js'
import { toPosix } from '../../util/fs.js'
import { locate } from '../locate.js'
import { validateConfig } from '../validate.js'
import { resolveDependencies, WORKSPACE_SEP, type PendingTask } from './deps.js'
import { expandWorkspaceDirs, readJson, stringList, workspaceConfigFile, type WorkspaceList } from './discovery.js'
import type { Config, TaskDefinition } from '../../model/config.js'
import type { Workspace } from '../../model/project.js'
import type { LoadedConfig } from '../../model/internal.js'

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

/** A workspace folder as found: its name, folder, config file and the package names its package.json depends on. */
interface WorkspaceInfo {
  name: string
  dir: string
  file: string | undefined
  declared: Set<string>
}

/** A workspace's config's default export and its text, read on first use. */
interface RawConfig {
  cfg: Config
  source: () => string | undefined
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
  const defaults = templates(rootCfg, file, root, source)
  const infos = workspaceInfos(root, input.list)
  const byName = new Map(infos.map((w) => [w.name, w]))
  const raws = await importWorkspaceConfigs(input, infos)
  const workspaces = infos.map((w) => workspaceRecord(w, byName, raws.get(w.name)))

  // Root tasks first (their cross-workspace deps are resolved once every task is known).
  const rootDefs = rootCfg.tasks ?? {}
  const pending: PendingTask[] = []
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
    if (raw) pending.push(...workspaceTasks(ws, raw, defaults, root, rootNames))
  }
  const tasks = resolveDependencies(pending, workspaces, rootNames)
  return { file, root, tasks, concurrency: rootTasks.concurrency, workspaces }
}

/**
 * The root config's `defaults` (task templates by task name), their shapes validated.
 * @throws {TasksError} `config-invalid` when `defaults` is not an object or a template is malformed.
 */
function templates(
  rootCfg: Config,
  file: string,
  root: string,
  source: string | undefined,
): Record<string, TaskDefinition> {
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
  return defaults
}

/**
 * The workspaces: folder, name, config file, package.json dependencies.
 * @throws {TasksError} `config-invalid` for two workspaces of one name or a name with a space or `#`.
 */
function workspaceInfos(root: string, list: WorkspaceList): WorkspaceInfo[] {
  const dirs = expandWorkspaceDirs(root, list.patterns)
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
  const byName = new Map<string, WorkspaceInfo>()
  for (const w of infos) {
    const other = byName.get(w.name)
    if (other) {
      throw new TasksError(
        'config-invalid',
        `two workspaces are named \`${w.name}\`: ${other.dir} and ${w.dir}`,
        { file: list.file },
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
  return infos
}

/**
 * Every workspace's config, from one bundle (each still sees its own folder as `configRoot()`), by workspace name.
 * @throws {TasksError} `config-invalid` when a config exports no `{ tasks }` or sets a root-only key.
 */
async function importWorkspaceConfigs(
  input: WorkspaceLoadInput,
  infos: readonly WorkspaceInfo[],
): Promise<Map<string, RawConfig>> {
  const { root, file } = input
  const raws = new Map<string, RawConfig>()
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
  return raws
}

/**
 * A workspace with the workspaces it depends on: the package.json dependencies naming other
 * workspaces, and its config's `dependsOn`.
 * @throws {TasksError} `config-invalid` for a `dependsOn` naming an unknown workspace or itself.
 */
function workspaceRecord(
  w: WorkspaceInfo,
  byName: ReadonlyMap<string, WorkspaceInfo>,
  raw: RawConfig | undefined,
): Workspace {
  const deps = new Set([...w.declared].filter((n) => n !== w.name && byName.has(n)))
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
}

/**
 * One workspace's tasks, validated (the root's `defaults` applied, `cwd` made root-relative), with
 * their dependencies as written.
 * @throws {TasksError} whatever `validateConfig` throws, or `config-invalid` for a `cwd` leaving the workspace.
 */
function workspaceTasks(
  ws: Workspace,
  raw: RawConfig,
  defaults: Record<string, TaskDefinition>,
  root: string,
  rootNames: ReadonlySet<string>,
): PendingTask[] {
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
  const pending: PendingTask[] = []
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
  return pending
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

/** Where `value` (quoted) first appears in `source`: line, column, length and line text; `{}` when not found. */
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
