/**
 * Find and load `tasks.config.*`. `find.ts` finds the file (searching the cwd and its parents);
 * `.ts`/`.mts` files go through {@link transpileConfig} (esbuild, cached); the default export is
 * validated by {@link validateConfig}.
 */
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { TasksError } from '../errors.js'
import { checkDeclarations } from './check.js'
import { jsonLocation, missingImport, stackLocation, syntaxError } from './diagnose.js'
import { CONFIG_FILES, findConfigFile } from './find.js'
import { transpileConfig } from './transpile.js'
import { validateConfig } from './validate.js'
import type { LoadedConfig } from '../types.js'

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
}

/**
 * Find, load and validate the config.
 * @returns the validated config; its `root` is the config file's folder.
 * @throws {TasksError} `config-not-found` (names the folders searched), `config-syntax` (file:line:col,
 *   also for a duplicate key in a `.ts` config), `config-load` (the config threw while loading, or
 *   imports a missing package: file:line:col of the throw or the import), `config-invalid`,
 *   `unknown-dependency`, `output-outside-root`, and the declaration errors of {@link checkDeclarations}.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const file = await findConfigFile(cwd, options.config)
  if (!existsSync(file)) {
    throw new TasksError('config-not-found', `config file ${file} does not exist`, { file }, 'check the path given to --config')
  }
  const root = dirname(file)
  const raw = await importConfig(file, root, options.onWarning ?? (() => {}))
  const source = readFileSync(file, 'utf8')
  const config = validateConfig(raw, file, root, source)
  checkDeclarations(config, source)
  return config
}

let loadingRoot: string | undefined

/**
 * The project root of the config being loaded right now (its folder, absolute), for recipes that
 * must read project files while the config is evaluated (e.g. `.dockerignore`); undefined outside
 * `loadConfig`.
 */
export function configRoot(): string | undefined {
  return loadingRoot
}

async function importConfig(file: string, root: string, onWarning: (message: string) => void): Promise<unknown> {
  loadingRoot = root
  try {
    return await importConfigFile(file, root, onWarning)
  } finally {
    loadingRoot = undefined
  }
}

async function importConfigFile(file: string, root: string, onWarning: (message: string) => void): Promise<unknown> {
  if (file.endsWith('.json')) {
    const text = readFileSync(file, 'utf8')
    try {
      return JSON.parse(text)
    } catch (err) {
      throw new TasksError('config-syntax', `invalid JSON: ${(err as Error).message}`, { file, ...jsonLocation(text, (err as Error).message) }, 'fix the JSON syntax at the position shown')
    }
  }
  const ts = /\.m?ts$/.test(file)
  const target = ts ? await transpileConfig(file, join(root, '.tasks', 'config'), onWarning) : pathToFileURL(file).href
  process.setSourceMapsEnabled(true)
  try {
    const mod = await import(target)
    return await (mod.default ?? mod)
  } catch (err) {
    if (err instanceof TasksError) throw err
    if (err instanceof SyntaxError && !ts) throw await syntaxError(file, err)
    const missing = missingImport(err, file)
    if (missing) throw missing
    throw new TasksError('config-load', `the config threw while loading: ${(err as Error)?.message ?? err}`, { file, ...stackLocation(err, file) },
      'fix the error above; the config runs once at start-up')
  }
}
