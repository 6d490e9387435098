/**
 * Find and load `tasks.config.*`. `find.ts` finds the file (searching the cwd and its parents);
 * `.ts`/`.mts` files go through {@link transpileConfig} (esbuild, cached); the default export is
 * validated by {@link validateConfig}.
 */
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { failureText, RecipeError, TasksError } from '../errors.js'
import { checkDeclarations } from './check.js'
import { jsonLocation, missingImport, stackLocation, syntaxError } from './diagnose.js'
import { CONFIG_FILES, findConfigFile } from './find.js'
import { bundleConfigs, checkJavaScriptConfig, CONFIG_ROOT_HOOK, transpileConfig } from './transpile.js'
import { validateConfig } from './validate.js'
import { findWorkspaceRoot, workspaceList } from './workspaces/discovery.js'
import { loadWorkspaces } from './workspaces/merge.js'
import type { Project } from '../model/project.js'

export { CONFIG_FILES }

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Folder to start the search from. @default process.cwd() */
  cwd?: string
  /** An explicit config file (relative to `cwd`); no search then. */
  config?: string
  /**
   * Receives warnings that do not stop the load (e.g. the compiled `.ts` config could not be cached
   * under `.tasks/config`, so it was compiled in memory). The library never prints. @default ignore
   */
  onWarning?: (message: string) => void
  /**
   * Write nothing under `.tasks/` that a run would not need (dry runs, `--explain`, `--list`): the
   * duplicate-key verdict of a `.js`/`.mjs` config is then not kept (see `checkJavaScriptConfig`).
   * The compiled `.ts` config is still cached. @default false
   */
  readOnly?: boolean
  /**
   * Load the config as a new module even when this process loaded it before (watch mode reloads):
   * a `.js`/`.mjs` config is then bundled like a `.ts` one (with the files it imports), so an edit
   * to it or to a file it imports is seen. @default false
   */
  fresh?: boolean
}

/**
 * Find, load and validate the config. In a monorepo (the root config lists `workspaces`, or the
 * package manager does), every workspace's config is loaded too and merged into one task map
 * (`lib/config/workspaces.ts`); a config found inside a workspace folder loads the whole monorepo.
 * @returns the validated config; its `root` is the config file's folder (the monorepo's root).
 * @throws {TasksError} `config-not-found` (names the folders searched), `config-syntax` (file:line:col,
 *   also for a duplicate key in a `.ts` config),
 *   `config-load` (the config threw while loading, or
 *   imports a missing package: file:line:col of the throw or the import), `config-invalid`,
 *   `unknown-dependency`, `output-outside-root`, and the declaration errors of {@link checkDeclarations}.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Project> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const onWarning = options.onWarning ?? (() => {})
  keepCheckVerdicts = !options.readOnly
  let file: string
  try {
    file = await findConfigFile(cwd, options.config)
  } catch (err) {
    // A monorepo may have configs only in its workspaces: the package manager's list finds the root.
    const outer =
      !options.config && err instanceof TasksError && err.code === 'config-not-found'
        ? await findWorkspaceRoot(cwd, true, importConfig)
        : undefined
    if (!outer) throw err
    const config = await loadWorkspaces({
      root: outer.root,
      file: outer.list.file,
      list: outer.list,
      importConfigs: (e) => importConfigs(e, outer.root, onWarning),
    })
    checkDeclarations(config)
    return config
  }
  if (!existsSync(file)) {
    throw new TasksError(
      'config-not-found',
      `config file ${file} does not exist`,
      { file },
      'check the path given to --config',
    )
  }
  // Workspaces: a config found inside a workspace folder belongs to the monorepo above it.
  const outer = options.config ? undefined : await findWorkspaceRoot(dirname(file), false, importConfig)
  if (outer) {
    const raw = outer.file ? (outer.raw ?? (await importConfig(outer.file, outer.root, onWarning))) : undefined
    const source = outer.file && !/\.json$/.test(outer.file) ? readFileSync(outer.file, 'utf8') : undefined
    const config = await loadWorkspaces({
      root: outer.root,
      file: outer.file ?? outer.list.file,
      raw,
      source,
      list: outer.list,
      importConfigs: (e) => importConfigs(e, outer.root, onWarning),
    })
    checkDeclarations(config)
    return config
  }
  const root = dirname(file)
  const raw = await importConfig(file, root, onWarning, root, !!options.fresh)
  const source = readFileSync(file, 'utf8')
  const list = workspaceList(root, raw, file)
  const config = list
    ? await loadWorkspaces({ root, file, raw, source, list, importConfigs: (e) => importConfigs(e, root, onWarning) })
    : validateConfig(raw, file, root, source)
  checkDeclarations(config, list ? undefined : source)
  return config
}

/**
 * The folder of the config being loaded, kept on `globalThis` under a registry-wide symbol rather
 * than in this module: the config may import another copy of this module than the loader's (the
 * bundled CLI in `dist/cli/` and `dist/lib/` by path), and both must answer `configRoot()` alike.
 */
const LOADING_ROOT = Symbol.for('typed-tasks.loadingRoot')
const slots = globalThis as unknown as Record<symbol, string | undefined>
const setLoadingRoot = (dir: string | undefined) => {
  slots[LOADING_ROOT] = dir
}

/**
 * The project root of the config being loaded right now (its folder, absolute), for recipes that
 * must read project files while the config is evaluated (e.g. `.dockerignore`); undefined outside
 * `loadConfig`.
 */
export function configRoot(): string | undefined {
  return slots[LOADING_ROOT]
}

/**
 * Several configs at once (a monorepo's workspaces): JSON files are parsed, the others evaluated
 * from one cached bundle ({@link bundleConfigs}), each with `configRoot()` reporting its own folder.
 * @returns the default exports, in the order of `entries`
 * @throws {TasksError} `config-syntax` or `config-load` naming the file.
 */
async function importConfigs(
  entries: readonly { file: string; dir: string }[],
  project: string,
  onWarning: (message: string) => void,
): Promise<unknown[]> {
  const out: unknown[] = new Array(entries.length)
  const modules = entries.map((e, i) => ({ ...e, i })).filter((e) => !e.file.endsWith('.json'))
  for (const e of entries)
    if (e.file.endsWith('.json')) out[entries.indexOf(e)] = await importConfigFile(e.file, project, onWarning)
  if (!modules.length) return out
  const bundle = await bundleConfigs(modules, join(project, '.tasks', 'config'), project, onWarning)
  process.setSourceMapsEnabled(true)
  const g = globalThis as unknown as Record<symbol, ((dir: string) => void) | undefined>
  g[CONFIG_ROOT_HOOK] = (dir) => setLoadingRoot(dir)
  let current: string | undefined
  try {
    const mod = await import(bundle)
    const namespaces = mod.default as Record<string, unknown>[]
    for (let k = 0; k < modules.length; k++) {
      current = modules[k]!.file
      const ns = namespaces[k]
      out[modules[k]!.i] = await (ns && 'default' in ns ? ns.default : ns)
    }
  } catch (err) {
    if (err instanceof TasksError) throw err
    const stack = String((err as Error)?.stack ?? '')
    const file =
      modules.find((m) => stack.includes(m.file) || stack.includes(pathToFileURL(m.file).href))?.file ??
      current ??
      modules[0]!.file // not empty: returned above when it is
    throw new TasksError(
      'config-load',
      `the config threw while loading: ${err instanceof RecipeError ? failureText(err) : ((err as Error)?.message ?? err)}`,
      { file, ...stackLocation(err, file) },
      'fix the error above; the config runs once at start-up',
    )
  } finally {
    g[CONFIG_ROOT_HOOK] = undefined
    setLoadingRoot(undefined)
  }
  return out
}

/**
 * @param dir the folder `configRoot()` reports while the file runs (its own folder)
 * @param project the project root: the cache folder and the bundling boundary. @default dir
 */
async function importConfig(
  file: string,
  dir: string,
  onWarning: (message: string) => void = () => {},
  project = dir,
  fresh = false,
): Promise<unknown> {
  setLoadingRoot(dir)
  try {
    return await importConfigFile(file, project, onWarning, fresh)
  } finally {
    setLoadingRoot(undefined)
  }
}

/** `!options.readOnly` of the latest {@link loadConfig} call (a load reads it before its first await on a config). */
let keepCheckVerdicts = true

async function importConfigFile(
  file: string,
  root: string,
  onWarning: (message: string) => void,
  fresh = false,
): Promise<unknown> {
  if (file.endsWith('.json')) {
    const text = readFileSync(file, 'utf8')
    try {
      return JSON.parse(text)
    } catch (err) {
      throw new TasksError(
        'config-syntax',
        `invalid JSON: ${(err as Error).message}`,
        { file, ...jsonLocation(text, (err as Error).message) },
        'fix the JSON syntax at the position shown',
      )
    }
  }
  const ts = /\.m?ts$/.test(file) || (fresh && /\.m?js$/.test(file))
  if (!ts) await checkJavaScriptConfig(file, join(root, '.tasks', 'config'), keepCheckVerdicts)
  let target = ts
    ? await transpileConfig(file, join(root, '.tasks', 'config'), onWarning, root)
    : pathToFileURL(file).href
  process.setSourceMapsEnabled(true)
  for (let compiled = ts; ; compiled = true) {
    try {
      const mod = await import(target)
      return await (mod.default ?? mod)
    } catch (err) {
      if (err instanceof TasksError) throw err
      if (err instanceof SyntaxError && !ts) throw await syntaxError(file, err)
      // A JavaScript config importing typed-tasks in a project without a copy of its own (a global
      // install, npx): compiled like a TypeScript one, whose imports of the package resolve to this copy.
      if (!compiled && /Cannot find package 'typed-tasks'/.test((err as Error)?.message ?? '')) {
        target = await transpileConfig(file, join(root, '.tasks', 'config'), onWarning, root)
        continue
      }
      throw loadFailure(err, file)
    }
  }
}

/** The {@link TasksError} for a config module that failed to import (a missing import, or it threw). */
function loadFailure(err: unknown, file: string): TasksError {
  return (
    missingImport(err, file) ??
    new TasksError(
      'config-load',
      `the config threw while loading: ${err instanceof RecipeError ? failureText(err) : ((err as Error)?.message ?? err)}`,
      { file, ...stackLocation(err, file) },
      'fix the error above; the config runs once at start-up',
    )
  )
}
