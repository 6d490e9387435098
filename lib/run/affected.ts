/**
 * `--affected[=REF]` (`run({ affected: { base } })`): which tasks of a run a change touches, the
 * way Turborepo's `--affected` and Nx's `affected` define it. The changed files are those that
 * differ between `git merge-base REF HEAD` and the work tree: committed on the branch, staged,
 * unstaged, and untracked files git does not ignore (`git diff --name-only <base>` plus `git
 * ls-files --others --exclude-standard`, deletions included). A task is affected when
 * - a changed file is one of its inputs, matched by the engine's own input listing
 *   ({@link GitInputIndex.list} over the changed files: the same globs, `!` exclusions and skip
 *   rules as the fingerprint, so there is no second matcher). A lockfile (`package-lock.json`,
 *   `go.sum`, `Cargo.lock`, `uv.lock`...) is a file like any other: it affects the tasks whose
 *   inputs include it, and only those (Nx counts every lockfile change as affecting everything;
 *   a task's declared inputs are the better answer, and are what its fingerprint uses anyway);
 * - it has a command but no `inputs` (it is never cached, so it may read anything) and a changed
 *   file lies under its `cwd` (Turborepo's default of "every file of the package");
 * - its definition differs from the one at the merge base (see {@link definitionChanges});
 * - or a dependency of it is affected.
 * The run then contains the affected tasks and what they need (their dependencies, decided as usual:
 * up to date, restored or run); every other task is skipped with reason `not-affected`.
 * A shallow clone without the merge base makes every task affected, with a warning.
 */
import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { TasksError } from '../errors.js'
import { GitInputIndex } from '../fingerprint/inputs.js'
import { canonicalJson } from '../util/hash.js'
import { toPosix, writeFileAtomic } from '../util/fs.js'
import type { TaskGraph } from '../graph/graph.js'
import type { AffectedBecause, AffectedReport, WarningCode } from '../model/events.js'
import type { LoadedConfig, ResolvedTask } from '../model/internal.js'
import type { Project } from '../model/project.js'

export type { AffectedBecause, AffectedReport }

/** Options of {@link computeAffected}. */
export interface AffectedOptions {
  /** A config from `loadConfig`. */
  config: Project
  /** Its graph of the run (`buildGraph`). */
  graph: TaskGraph
  /** The ref to compare with. @default env.TASKS_AFFECTED_BASE ?? 'main' */
  ref?: string
  env?: NodeJS.ProcessEnv
  /** Receives the shallow-clone warning and others (the library never prints). */
  warn(message: string, code: WarningCode): void
}

function git(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ok: true; out: string } | { ok: false; err: string }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['--no-optional-locks', ...args],
      { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30, windowsHide: true },
      (err, stdout, stderr) =>
        resolve(err ? { ok: false, err: String(stderr || err.message).trim() } : { ok: true, out: stdout }),
    )
  })
}

/**
 * The files changed since `base` (committed or not, plus untracked ones not ignored), relative to
 * `root`, POSIX, sorted, without those under `.git/` or `.tasks/`.
 * @throws {TasksError} `usage` when `git diff` fails.
 */
async function changedFiles(root: string, base: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const [diff, untracked] = await Promise.all([
    git(root, ['diff', '--name-only', '-z', '--no-renames', '--relative', base, '--'], env),
    git(root, ['ls-files', '--others', '--exclude-standard', '-z', '--', '.'], env),
  ])
  if (!diff.ok) throw new TasksError('usage', `--affected: \`git diff ${base.slice(0, 12)}\` failed: ${diff.err}`)
  return [...new Set([...diff.out.split('\0'), ...(untracked.ok ? untracked.out.split('\0') : [])])]
    .filter((f) => f && !/(^|\/)\.(git|tasks)\//.test(f))
    .map(toPosix)
    .sort()
}

/**
 * Why each affected task of `graph` is so (tasks not affected are missing): its own reason (a
 * changed definition in `defs`, or a changed input among `files`), a dependency's, or being needed
 * by an affected task.
 */
function affectedTasks(
  graph: TaskGraph<ResolvedTask>,
  root: string,
  files: string[],
  defs: Map<string, string>,
): Map<string, AffectedBecause> {
  const order = graph.order
  const index = new GitInputIndex(root, {
    files,
    clean: new Map(),
    dirs: [],
    takenAt: Date.now(),
    ms: 0,
    prefix: '',
    changed: true,
  })
  const own = new Map<string, { kind: 'file'; file: string } | { kind: 'definition'; file: string }>()
  for (const name of order) {
    const task = graph.tasks.get(name)!
    const def = defs.get(name)
    if (def !== undefined) {
      own.set(name, { kind: 'definition', file: def })
      continue
    }
    const hit = touchedInput(task, files, index)
    if (hit) own.set(name, { kind: 'file', file: hit })
  }
  // Affected: own reasons, then dependents (graph order lists dependencies first).
  const because = new Map<string, AffectedBecause>()
  for (const name of order) {
    const mine = own.get(name)
    if (mine) {
      because.set(name, mine)
      continue
    }
    const dep = graph.tasks.get(name)!.deps.find((d) => because.has(d) && because.get(d)!.kind !== 'needed-by')
    if (dep) because.set(name, { kind: 'dependency', dependency: dep })
  }
  // What affected tasks need: their dependencies, transitively (reverse graph order). An affected
  // aggregate task (no command) needs nothing of its own: its other dependencies stay not affected.
  for (let i = order.length - 1; i >= 0; i--) {
    const name = order[i]! // i is within the bounds of order
    const why = because.get(name)
    if (!why || (graph.tasks.get(name)!.run === undefined && why.kind !== 'needed-by')) continue
    for (const d of graph.tasks.get(name)!.deps) if (!because.has(d)) because.set(d, { kind: 'needed-by', task: name })
  }
  return because
}

/**
 * The affected tasks of `graph` and the files that made them so.
 * @throws {TasksError} `usage` when the project is not in a git work tree, or `ref` names no commit
 *   (and the clone is not shallow).
 */
export async function computeAffected(o: AffectedOptions): Promise<AffectedReport> {
  const [config, graph] = [o.config as LoadedConfig, o.graph as TaskGraph<ResolvedTask>] // as loadConfig made them
  const env = o.env ?? process.env
  const ref = o.ref || env.TASKS_AFFECTED_BASE || 'main'
  const root = config.root
  const order = graph.order
  const everything = (why: string, base?: string): AffectedReport => ({
    ref,
    base,
    files: [],
    tasks: order.map((task) => ({ task, because: { kind: 'everything', why } })),
    notAffected: [],
  })

  const inside = await git(root, ['rev-parse', '--is-inside-work-tree'], env)
  if (!inside.ok || inside.out.trim() !== 'true') {
    throw new TasksError(
      'usage',
      `--affected needs a git work tree, and ${root} is not in one`,
      {},
      'run it in a git clone, or drop --affected',
    )
  }
  const mb = await git(root, ['merge-base', ref, 'HEAD'], env)
  if (!mb.ok) {
    const shallow = await git(root, ['rev-parse', '--is-shallow-repository'], env)
    if (shallow.ok && shallow.out.trim() === 'true') {
      const why = `this is a shallow clone without the merge base of \`${ref}\` and HEAD`
      o.warn(
        `--affected: ${why}, so every task counts as affected (fetch more history, e.g. \`git fetch --unshallow\` or actions/checkout's \`fetch-depth: 0\`)`,
        'affected-no-base',
      )
      return everything(why)
    }
    throw new TasksError(
      'usage',
      `--affected: \`${ref}\` has no merge base with HEAD (${mb.err.split('\n')[0] || 'unknown ref'})`,
      {},
      'name a branch or commit that exists here: `--affected=origin/main`, or set TASKS_AFFECTED_BASE',
    )
  }
  const base = mb.out.trim()
  const files = await changedFiles(root, base, env)

  let defs: Map<string, string>
  try {
    defs = await definitionChanges(config, base, files, env)
  } catch (err) {
    const why = `the config at ${base.slice(0, 12)} could not be loaded (${(err as Error)?.message?.split('\n')[0] ?? err})`
    o.warn(`--affected: ${why}, so every task counts as affected`, 'affected-base-config')
    return everything(why, base)
  }

  const because = affectedTasks(graph, root, files, defs)
  return {
    ref,
    base,
    files,
    tasks: order.filter((n) => because.has(n)).map((task) => ({ task, because: because.get(task)! })),
    notAffected: order.filter((n) => !because.has(n)),
  }
}

/** The first changed file that is an input of `task` (or under its cwd, for a command task without `inputs`). */
function touchedInput(task: ResolvedTask, files: readonly string[], index: GitInputIndex): string | undefined {
  if (task.inputs !== undefined) {
    if (!task.inputs.length) return undefined
    const listed = index.list(task.cwd, task.inputs)
    if (listed) return listed.files[0]
    // Patterns leaving the root: nothing in the diff (root-relative) can match them.
    return undefined
  }
  if (task.run === undefined) return undefined
  const prefix = task.cwd === '.' ? '' : task.cwd + '/'
  return files.find((f) => f.startsWith(prefix))
}

/** What of a resolved task enters the comparison with the merge base: every key of its definition. */
function definitionKey(t: ResolvedTask): string {
  return canonicalJson({
    command: t.command,
    shell: t.shell,
    deps: t.deps,
    inputs: t.inputs ?? null,
    outputs: t.outputs,
    depfile: t.depfile ?? null,
    env: t.env,
    setEnv: t.setEnv,
    cwd: t.cwd,
    fingerprint: t.fingerprint,
    platform: t.platform,
    toolVersions: t.toolVersions,
    timeoutMs: t.timeoutMs ?? null,
    retries: t.retries,
    interactive: t.interactive,
    vars: t.vars,
    check: t.check ? String(t.check) : null,
  })
}

/**
 * Tasks whose definition differs from the merge base's, each with the config file (root-relative)
 * that says so. Only when a config file is among the changed files:
 * - the root config: its text at `base` (`git show <base>:<path>`) is written beside the current
 *   file under a temporary name and loaded with `loadConfig`, then every task is compared key by
 *   key (a task new on the branch is changed). Beside the original, and not in a temp folder,
 *   because only there do the config's relative imports, its `node_modules` and the workspaces'
 *   configs resolve as they do for the real file; storing definition hashes instead would need a
 *   state a fresh CI clone does not have. Modules the config imports are taken as they are now: a
 *   change there affects tasks through their inputs only (declare the module as an input).
 * - a workspace's config: every task of that workspace (its base text cannot be loaded alone with
 *   the root's `defaults` applied, so all of them count as changed).
 * @throws when the base config exists but cannot be loaded (the caller treats everything as affected).
 */
async function definitionChanges(
  config: LoadedConfig,
  base: string,
  files: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Map<string, string>> {
  const root = config.root
  const changed = new Set(files)
  const out = new Map<string, string>()
  const rootFile = toPosix(relative(root, config.file))
  for (const ws of config.workspaces ?? []) {
    if (!ws.file) continue
    const f = toPosix(relative(root, ws.file))
    if (!changed.has(f) || f === rootFile) continue
    for (const t of config.tasks.values()) if (t.workspace === ws.name) out.set(t.name, f)
  }
  if (!changed.has(rootFile) || /\.json$/.test(rootFile)) {
    if (changed.has(rootFile)) return jsonDefinitionChanges(config, base, rootFile, env, out)
    return out
  }
  const shown = await git(root, ['show', `${base}:./${rootFile}`], env)
  if (!shown.ok) {
    // No config at the base: every task is new.
    for (const t of config.tasks.values()) if (!out.has(t.name)) out.set(t.name, rootFile)
    return out
  }
  // Named by the merge base, not per process: the compiled-config cache (`.tasks/config`, keyed by
  // the file's path) then holds one entry per base instead of one per run. Written atomically; a
  // concurrent run removing it mid-load makes this one fall back to "everything affected".
  const tmp = join(dirname(config.file), `.tasks-affected-base-${base.slice(0, 12)}-${basename(config.file)}`)
  writeFileAtomic(tmp, shown.out)
  let old: LoadedConfig
  try {
    const { loadConfig } = await import('../config/load.js')
    old = (await loadConfig({ cwd: root, config: tmp })) as LoadedConfig
  } finally {
    rmSync(tmp, { force: true })
  }
  return compareTasks(config, old, rootFile, out)
}

async function jsonDefinitionChanges(
  config: LoadedConfig,
  base: string,
  rootFile: string,
  env: NodeJS.ProcessEnv,
  out: Map<string, string>,
): Promise<Map<string, string>> {
  const shown = await git(config.root, ['show', `${base}:./${rootFile}`], env)
  if (!shown.ok) {
    for (const t of config.tasks.values()) if (!out.has(t.name)) out.set(t.name, rootFile)
    return out
  }
  const { validateConfig } = await import('../config/validate.js')
  return compareTasks(config, validateConfig(JSON.parse(shown.out), config.file, config.root), rootFile, out)
}

function compareTasks(
  now: LoadedConfig,
  old: LoadedConfig,
  file: string,
  out: Map<string, string>,
): Map<string, string> {
  for (const t of now.tasks.values()) {
    if (out.has(t.name)) continue
    const before = old.tasks.get(t.name)
    if (!before || definitionKey(before) !== definitionKey(t)) out.set(t.name, file)
  }
  return out
}
