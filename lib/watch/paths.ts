/**
 * What watch mode watches: the base folders of the input globs of the requested tasks and their
 * dependencies (`src/**\/*.ts` -> `src`), the config file and the files it imports, and which
 * changed paths are triggers (a path some task's inputs match, not an output of the run's own
 * tasks, never under `.git`, `.tasks` or `node_modules` unless a glob names it).
 */
import { existsSync } from 'node:fs'
import { dirname, join, posix, relative, resolve, sep } from 'node:path'
import type { TaskGraph } from '../graph/graph.js'
import type { LoadedConfig, ResolvedTask } from '../model/internal.js'
import { compileGlob, scanBase } from '../util/glob.js'

/** The watch set of one config and task list. */
export interface WatchSet {
  /** Absolute folders and files to watch (no folder inside another). */
  paths: string[]
  /** The base folders themselves (absolute), watched or not (a missing one is watched from its parent). */
  bases: string[]
  /** Absolute config files (the config, its workspaces' configs, and their relative imports). */
  configFiles: Set<string>
  /** True for a root-relative POSIX path that some task's inputs match and no task's outputs do. */
  isTrigger(rel: string): boolean
  /** True for a root-relative folder whose contents are some task's outputs (`out/` for `out/**`): the run's own writes. */
  isOutputDir(rel: string): boolean
  /** True for an absolute path chokidar must not even look at. */
  ignored(abs: string): boolean
}

const ALWAYS_IGNORED = ['.git', '.tasks']
/** picomatch's options for watch mode's globs (as before the shared module: no POSIX bracket classes). */
const WATCH_GLOB = { dot: true, posix: false }

/**
 * Build the watch set.
 * @param configFiles the config's files (see {@link configFiles})
 */
export function watchSet(
  config: LoadedConfig,
  graph: TaskGraph<ResolvedTask>,
  configFiles: readonly string[],
): WatchSet {
  const root = config.root
  const bases = new Set<string>()
  const inputs: ((rel: string) => boolean)[] = []
  const outputs: ((rel: string) => boolean)[] = []
  let namesNodeModules = false
  for (const name of graph.order) {
    const task = graph.tasks.get(name)!
    const cwd = task.cwd === '.' ? '' : `${task.cwd}/`
    const inRel = (rel: string) => (cwd ? (rel.startsWith(cwd) ? rel.slice(cwd.length) : undefined) : rel)
    if (task.inputs?.length) {
      const pos = task.inputs.filter((g) => !g.startsWith('!'))
      const neg = task.inputs.filter((g) => g.startsWith('!')).map((g) => g.slice(1))
      for (const g of pos) {
        if (g.includes('node_modules')) namesNodeModules = true
        bases.add(resolve(root, task.cwd, scanBase(g) || '.'))
      }
      const yes = compileGlob(pos, WATCH_GLOB)
      const no = neg.length ? compileGlob(neg, WATCH_GLOB) : () => false
      inputs.push((rel) => {
        const r = inRel(rel)
        return r !== undefined && yes(r) && !no(r)
      })
    }
    const outs = task.outputs.filter((g) => !g.startsWith('!'))
    if (outs.length) {
      const m = compileGlob(outs, WATCH_GLOB)
      outputs.push((rel) => {
        const r = inRel(rel)
        return r !== undefined && m(r)
      })
    }
  }
  const files = new Set(configFiles.map((f) => resolve(f)))
  const sorted = [...bases].sort((a, b) => a.length - b.length)
  const paths: string[] = []
  for (const b of sorted) if (!paths.some((p) => b === p || b.startsWith(p + sep))) paths.push(b)
  // A base folder that does not exist yet is watched from its nearest existing parent.
  const watched = paths.map((p) => {
    let q = p
    while (!existsSync(q) && dirname(q) !== q && q.startsWith(root)) q = dirname(q)
    return q
  })
  for (const f of files) if (!watched.some((p) => f.startsWith(p + sep))) watched.push(f)
  const isIgnoredSegment = (rel: string) => {
    const parts = rel.split('/')
    return parts.some((s) => ALWAYS_IGNORED.includes(s)) || (!namesNodeModules && parts.includes('node_modules'))
  }
  return {
    paths: [...new Set(watched)],
    bases: paths,
    configFiles: files,
    isOutputDir: (rel) => outputs.some((m) => m(`${rel}/x`)),
    isTrigger: (rel) => !isIgnoredSegment(rel) && inputs.some((m) => m(rel)) && !outputs.some((m) => m(rel)),
    ignored: (abs) => {
      if (files.has(abs)) return false
      const rel = relative(root, abs).split(sep).join('/')
      return rel !== '' && !rel.startsWith('..') && isIgnoredSegment(rel)
    },
  }
}

/**
 * The config's files: the config itself, every workspace's config, and the project files each
 * imports inside the project (found by bundling with esbuild; packages are not followed). A file
 * esbuild cannot read (a syntax error) is returned alone.
 */
export async function configFiles(config: LoadedConfig): Promise<string[]> {
  const entries = [config.file, ...(config.workspaces ?? []).map((w) => w.file).filter((f): f is string => !!f)]
  const out = new Set(entries)
  const esbuild = await import('esbuild')
  await Promise.all(
    entries
      .filter((f) => !f.endsWith('.json'))
      .map(async (file) => {
        try {
          const r = await esbuild.build({
            entryPoints: [file],
            absWorkingDir: dirname(file),
            bundle: true,
            packages: 'external',
            write: false,
            metafile: true,
            logLevel: 'silent',
            platform: 'node',
            format: 'esm',
            outfile: join(dirname(file), 'out.mjs'),
          })
          for (const input of Object.keys(r.metafile.inputs)) {
            const abs = resolve(dirname(file), input)
            const rel = relative(config.root, abs)
            if (!rel.startsWith('..') && !abs.split(sep).includes('node_modules')) out.add(abs)
          }
        } catch {}
      }),
  )
  return [...out]
}

/** `abs` as a root-relative POSIX path. */
export function rootRelative(root: string, abs: string): string {
  return posix.normalize(relative(root, abs).split(sep).join('/'))
}
