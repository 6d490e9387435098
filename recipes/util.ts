/**
 * Helpers shared by the recipes. Recipes import the library through its recipe kit only
 * (`../lib/doors/recipe-kit.js`, published as `typed-tasks/recipe-kit`).
 * Add to this file; do not change what others rely on.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path'
import {
  CONFIG_FILES,
  RecipeError,
  configRoot,
  shellQuote,
  suggest,
  type TaskContext,
  type TaskDefinition,
} from '../lib/doors/recipe-kit.js'

export { RecipeError }

/**
 * The project root as the engine sees it: while a config loads, the engine's own `configRoot()`;
 * otherwise the nearest folder, from `start` upwards, that holds a `tasks.config.*` file (same
 * search as config discovery). Falls back to `start` when none is found.
 * Used by recipes that must read files (e.g. `.dockerignore`) while the config is being built.
 * @param start folder to start from. @default process.cwd()
 */
export function findProjectRoot(start: string = process.cwd()): string {
  const loading = configRoot()
  if (loading) return loading
  let dir = resolve(start)
  for (;;) {
    if (CONFIG_FILES.some((f) => existsSync(join(dir, f)))) return dir
    const up = dirname(dir)
    if (up === dir) return resolve(start)
    dir = up
  }
}

/**
 * Turn a stream of text chunks into whole lines for `ctx.log` (which appends a newline to each call).
 * `write` buffers a trailing partial line; `flush` emits it. Carriage-return progress redraws are
 * kept as they come.
 * @example const out = lineWriter(ctx.log); stream.on('data', (d) => out.write(String(d))); ...; out.flush()
 */
export function lineWriter(log: (text: string) => void): { write(text: string): void; flush(): void } {
  let pending = ''
  return {
    write(text: string) {
      pending += text
      const cut = pending.lastIndexOf('\n')
      if (cut < 0) return
      log(pending.slice(0, cut + 1))
      pending = pending.slice(cut + 1)
    },
    flush() {
      if (pending) log(pending)
      pending = ''
    },
  }
}

// ---- Option validation and shell quoting (every recipe) ----

/**
 * Quote one argument for the portable shell ({@link shellQuote} of the library, `'portable'`),
 * leaving plain words (`-s`, `./cmd/api`, `main.version=1.2`) as they are, so simple commands stay
 * readable. Every recipe task that runs such a command (a string `run`, or `ctx.exec` in a function
 * task) sets `shell: 'portable'` itself, so a config-wide `shell: 'cmd'` cannot change how the quotes are read.
 * @example shq('-s -w') // "'-s -w'"
 */
export function shq(arg: string): string {
  return shellQuote(arg, 'portable')
}

/**
 * Join command words into one portable-shell command line: each word is quoted with {@link shq}; `false`,
 * `undefined` and `''` are dropped, so optional flags can be written inline.
 * @example command(['go', 'build', trimpath && '-trimpath', '-o', out]) // 'go build -trimpath -o bin/api'
 */
export function command(words: ReadonlyArray<string | false | undefined | null>): string {
  return words
    .filter((w): w is string => typeof w === 'string' && w !== '')
    .map(shq)
    .join(' ')
}

/** A {@link RecipeError} `invalid-option` whose message starts with the recipe and names the option: "go.build: option `targets` ...". */
export function optionError(recipe: string, option: string, message: string, hint?: string): RecipeError {
  return new RecipeError('invalid-option', `option \`${option}\` ${message}`, { recipe, option, hint })
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array (${JSON.stringify(value)})`
  if (value === null) return 'null'
  return `${typeof value} (${JSON.stringify(value)})`
}

/**
 * Throw when `options` is not an object or has a key outside `known`, with the nearest known name
 * ({@link suggest}, the did-you-mean the config's unknown-key check uses), so a typo like `tgas` is
 * caught instead of silently ignored.
 * @throws {RecipeError} `unknown-option`: "docker.image: unknown option `tgas`; did you mean `tags`? (known: ...)";
 *   `invalid-option` when `options` is not an object.
 */
export function checkKeys(recipe: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new RecipeError('invalid-option', `expected an options object, got ${describe(options)}`, { recipe })
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const near = suggest(key, known)
    throw new RecipeError(
      'unknown-option',
      `unknown option \`${key}\`${near ? `; did you mean \`${near}\`?` : ''} (known: ${known.join(', ')})`,
      { recipe, option: key },
    )
  }
}

/** `value` if it is an object of string values (e.g. build args, labels) or undefined, else throw. */
export function optStringRecord(recipe: string, option: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw optionError(recipe, option, `must be an object of string values, got ${describe(value)}`)
  }
  return { ...(value as Record<string, string>) }
}

/**
 * Input negations for dependency caches that live inside the task's folder: for each variable of
 * `vars` (e.g. GOMODCACHE, CARGO_HOME, UV_CACHE_DIR) that is set and names a folder inside
 * `<project root>/<dir>`, `!<folder relative to dir>/**`. A cache outside stays out anyway. Keeps a
 * CI set-up like `GOMODCACHE=$PWD/go/.modcache` from making the module cache an input (and every
 * run after a download a miss). Read when the config loads, from the config's environment.
 * @param dir the task's folder relative to the project root ('.' for the root).
 */
export function cacheExclusions(dir: string, vars: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  return cacheDirsInside(dir, vars, env).map((rel) => `!${rel.replace(/[*?[\]{}()!+@]/g, (c) => `\\${c}`)}/**`)
}

/**
 * The folders of {@link cacheExclusions}, relative to `dir` (POSIX), for tools that walk the tree
 * themselves (ruff, flake8: `--extend-exclude`).
 */
export function cacheDirsInside(dir: string, vars: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = []
  let base: string | undefined
  for (const v of vars) {
    const value = env[v]
    if (!value) continue
    base ??= resolve(findProjectRoot(), dir)
    const rel = relative(base, resolve(value)).split(sep).join('/')
    if (rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel)) continue
    if (!out.includes(rel)) out.push(rel)
  }
  return out
}

/** `value` if it is a string (non-empty unless `allowEmpty`) or undefined, else throw. */
export function optString(recipe: string, option: string, value: unknown, allowEmpty = false): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw optionError(recipe, option, `must be a${allowEmpty ? '' : ' non-empty'} string, got ${describe(value)}`)
  }
  return value
}

/** `value` if it is a boolean or undefined, else throw. */
export function optBoolean(recipe: string, option: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw optionError(recipe, option, `must be true or false, got ${describe(value)}`)
}

/** `value` if it is a positive integer or undefined, else throw. */
export function optPositiveInt(recipe: string, option: string, value: unknown): number | undefined {
  if (value === undefined || (typeof value === 'number' && Number.isInteger(value) && value > 0)) return value
  throw optionError(recipe, option, `must be a positive integer, got ${describe(value)}`)
}

/** `value` if it is an array of non-empty strings or undefined, else throw. A single string is accepted as a one-element list. */
export function optStrings(recipe: string, option: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) {
    throw optionError(recipe, option, `must be an array of non-empty strings, got ${describe(value)}`)
  }
  return [...list]
}

/**
 * A folder relative to the project root (or to the task's cwd), POSIX, without `./` or a trailing
 * slash; `'.'` for the folder itself.
 * @throws {RecipeError} `invalid-option` when it is absolute or climbs out with `..`.
 */
export function relDir(recipe: string, option: string, value: unknown, fallback = '.'): string {
  const v = optString(recipe, option, value) ?? fallback
  const p = posix.normalize(v.replace(/\\/g, '/')).replace(/\/+$/, '') || '.'
  if (isAbsolute(v) || p.startsWith('/') || p === '..' || p.startsWith('../')) {
    throw optionError(recipe, option, `must be a relative path inside the project, got ${JSON.stringify(v)}`)
  }
  return p
}

/** `task` with `cwd` set when `dir` is not the project root (keeps definitions minimal). */
export function inDir(dir: string, task: TaskDefinition): TaskDefinition {
  return dir === '.' ? task : { ...task, cwd: dir }
}

/**
 * True when `cmd` (a shell command line, e.g. `uv --version`) exits 0 in the task's cwd and
 * environment. For run-time decisions in function tasks (is `uv` / `ruff` installed?). Output is
 * discarded.
 */
export function probe(ctx: Pick<TaskContext, 'cwd' | 'env'>, cmd: string): boolean {
  return capture(ctx, cmd) !== undefined
}

/** Executable suffix of the machine the config runs on: `'.exe'` on Windows, else `''`. */
export const HOST_EXE = process.platform === 'win32' ? '.exe' : ''

/**
 * Standard output of `cmd` (a shell command line) run in the task's cwd and environment, trimmed,
 * or `undefined` when it exits non-zero. For run-time facts such as `rustup target list --installed`.
 */
export function capture(ctx: Pick<TaskContext, 'cwd' | 'env'>, cmd: string): string | undefined {
  const r =
    process.platform === 'win32'
      ? spawnSync(process.env.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', `"${cmd}"`], {
          cwd: ctx.cwd,
          env: ctx.env,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          windowsVerbatimArguments: true,
          timeout: 30_000,
        })
      : spawnSync('/bin/sh', ['-c', cmd], {
          cwd: ctx.cwd,
          env: ctx.env,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          timeout: 30_000,
        })
  return r.status === 0 ? r.stdout.trim() : undefined
}
