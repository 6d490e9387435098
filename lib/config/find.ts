/**
 * Find `tasks.config.*`: the cwd, then each parent folder, the first of {@link CONFIG_FILES}
 * present wins. cosmiconfig does the search (its `global` strategy up to `/`, then the user's
 * global config folder, and it honours a cosmiconfig "meta config" that adds search places). When
 * there is no meta config, a direct look-up of the same names in the same order gives the same
 * answer without loading cosmiconfig and its JSON/YAML parsers (~20 ms of a no-op run); it is tried
 * first, and cosmiconfig answers everything else.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { TasksError } from '../errors.js'

/** File names searched in each folder, in order. */
export const CONFIG_FILES = [
  'tasks.config.ts',
  'tasks.config.mts',
  'tasks.config.js',
  'tasks.config.mjs',
  'tasks.config.cjs',
  'tasks.config.json',
]

/** cosmiconfig's meta config files (`metaSearchPlaces`), looked for in `process.cwd()` only. */
const META_FILES = [
  '.config/config.json',
  '.config/config.yaml',
  '.config/config.yml',
  '.config/config.js',
  '.config/config.ts',
  '.config/config.cjs',
  '.config/config.mjs',
]

/**
 * The config file for `cwd`: `explicit` resolved against it, or the search result.
 * @returns an absolute path (for `explicit`, whether or not it exists)
 * @throws {TasksError} `config-not-found` naming the folder searched from and how to create one.
 */
export async function findConfigFile(cwd: string, explicit?: string): Promise<string> {
  if (explicit) return resolve(cwd, explicit)
  const quick = findQuickly(cwd)
  if (quick) return quick
  const { cosmiconfig } = await import('cosmiconfig')
  const explorer = cosmiconfig('tasks', {
    searchPlaces: CONFIG_FILES,
    searchStrategy: 'global',
    stopDir: resolve('/'),
    mergeSearchPlaces: false,
    cache: false,
    // Only find here; loading is ours (TypeScript through esbuild, with a cache).
    loaders: Object.fromEntries(CONFIG_FILES.map((f) => [f.slice(f.lastIndexOf('.')), () => ({})])),
  })
  const found = await explorer.search(cwd)
  if (!found) {
    throw new TasksError(
      'config-not-found',
      `no tasks config found in ${cwd} or any parent folder`,
      {},
      `create ${join(cwd, 'tasks.config.ts')} with \`export default defineConfig({ tasks: { ... } })\`, or pass --config FILE`,
    )
  }
  return found.filepath
}

/**
 * The search without cosmiconfig, or undefined when cosmiconfig must answer: a meta config exists
 * (it could add search places), or no folder up to `/` holds a config (cosmiconfig then tries the
 * global config folder and words the error).
 */
export function findQuickly(cwd: string): string | undefined {
  if (hasMetaConfig(process.cwd())) return undefined
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const file = join(dir, name)
      if (existsSync(file)) return file
    }
    if (dirname(dir) === dir) return undefined
  }
}

function hasMetaConfig(dir: string): boolean {
  if (META_FILES.some((f) => existsSync(join(dir, f)))) return true
  let text: string
  try {
    text = readFileSync(join(dir, 'package.json'), 'utf8')
  } catch {
    return false
  }
  if (!text.includes('"cosmiconfig"')) return false
  try {
    return JSON.parse(text)?.cosmiconfig !== undefined
  } catch {
    return true // let cosmiconfig read (and report) it
  }
}
