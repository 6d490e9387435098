/**
 * `tasks import Makefile`: a `tasks.config.ts` that reproduces a Makefile's targets, read from the
 * database GNU make prints itself (`make -p`), so conditionals, includes, `+=`, pattern rules and
 * the prerequisites computed by functions come out exactly as make sees them.
 *
 * - rules -> tasks named after their targets; prerequisites that are other rules' targets -> `deps`
 *   (order-only ones too), the rest -> `inputs`; the target -> `outputs`;
 * - recipes -> `run` (one command per recipe line, as make runs one shell per line), with `$@ $< $^
 *   $+ $? $* $|` (and their `D`/`F` forms), variables and make's pure text functions expanded;
 *   `VAR ?= default` becomes `${VAR-default}` plus `env: ['VAR']`, like make reading the environment;
 * - `.PHONY` targets -> tasks without `inputs` (never cached, always run, like make);
 * - the config sets `shell: 'sh'`: recipes are sh (make runs them with /bin/sh), beyond what the portable shell reads;
 * - pattern rules -> one task per file that needs them or that exists and matches them;
 * - what has no faithful translation (`$(shell)`, `$(wildcard)` in a recipe, `$(call)`,
 *   `$(foreach)`, `$(eval)`) -> the recipe as make would run it today (`make -n`), frozen, with the
 *   original kept as a comment and a warning; conditionals, `include` and functions outside recipes
 *   were already evaluated by make, and are listed as warnings too.
 *
 * Runs `make` (two dry runs, `-n`: nothing is built; like any `make -n`, lines starting with `+`
 * or calling `$(MAKE)` do run). The library never writes the file: the CLI does.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { TasksError } from '../errors.js'
import { readDatabase } from './make/database.js'
import { translateRules } from './make/translate.js'
import { renderConfig, type GeneratedTask } from './render.js'

/** Options of {@link importMakefile}. */
export interface MakeImportOptions {
  /** Folder of the Makefile, where make runs (absolute). */
  cwd: string
  /** The makefile, relative to `cwd`. @default make's own choice (GNUmakefile, makefile, Makefile) */
  makefile?: string
  /** The make program. @default 'make' */
  make?: string
  /** Environment for make. @default process.env */
  env?: NodeJS.ProcessEnv
  /** The module specifier the generated config imports `defineConfig` from. @default 'typed-tasks' */
  importFrom?: string
}

/** What an import produced. */
export interface ImportResult {
  /** The config file's text (TypeScript). */
  config: string
  /** Task names, in the order written. */
  tasks: string[]
  /** What could not be translated faithfully, one line each (also written as comments in `config`). */
  warnings: string[]
  /** The tasks as data (what `config` spells out). */
  generated: GeneratedTask[]
}

/**
 * Read the Makefile through make's database and write an equivalent config.
 * @throws {TasksError} `usage` when make is missing or cannot read the makefile (its message quoted).
 */
export function importMakefile(options: MakeImportOptions): ImportResult {
  const make = options.make ?? 'make'
  const cwd = options.cwd
  const fileArgs = options.makefile ? ['-f', options.makefile] : []
  const makefile =
    options.makefile ?? ['GNUmakefile', 'makefile', 'Makefile'].find((f) => existsSync(join(cwd, f))) ?? 'Makefile'
  const text = safeRead(join(cwd, makefile))
  if (text === undefined)
    throw new TasksError(
      'usage',
      `no makefile ${makefile} in ${cwd}`,
      { file: join(cwd, makefile) },
      'run `tasks import Makefile` in the folder of the Makefile',
    )
  const warnings: string[] = []

  // `VAR ?= default`: make must show the default, so the import runs without VAR in the environment.
  const conditional = new Map<string, string>()
  for (const m of text.matchAll(/^[ \t]*(?:override[ \t]+|export[ \t]+)?([A-Za-z_][\w.-]*)[ \t]*\?=[ \t]*(.*)$/gm))
    conditional.set(m[1]!, m[2]!)
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), LANG: 'C', LC_ALL: 'C' }
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'GNUMAKEFLAGS', ...conditional.keys()]) delete env[k]

  const makeVersion = gnuMakeVersion(make, env)
  const db = readDatabase(make, fileArgs, cwd, env)
  for (const [what, re] of [
    ['a conditional (ifeq/ifdef)', /^[ \t]*(ifeq|ifneq|ifdef|ifndef)\b/m],
    ['`include`', /^[ \t]*-?include\b/m],
    ['`$(shell ...)` outside recipes', /^[^\t].*\$[({]shell\b/m],
    ['`$(wildcard ...)` outside recipes', /^[^\t].*\$[({]wildcard\b/m],
  ] as const) {
    if (re.test(text))
      warnings.push(
        `${makefile} uses ${what}: the import reflects how make evaluated it now (re-run \`tasks import\` after changing what it depends on)`,
      )
  }
  const tasks = translateRules({ text, makefile, make, fileArgs, cwd, env, db, conditional, warnings })
  const header = [
    `Imported from ${makefile} by \`tasks import\` (GNU make ${makeVersion}'s database, \`make -p\`).`,
    'Targets are tasks; prerequisites that are targets are deps, other files inputs; .PHONY targets always run.',
    "Recipes are sh, as make runs them (`${VAR-default}`, loops, `$(...)`): `shell: 'sh'` for every task.",
  ]
  return {
    config: renderConfig({ header, warnings, tasks, importFrom: options.importFrom, shell: 'sh' }),
    tasks: tasks.map((t) => t.name),
    warnings,
    generated: tasks,
  }
}

/**
 * GNU make's version (`4.3`; `?` when it prints none).
 * @throws {TasksError} `usage` when `make --version` fails or is not GNU make.
 */
function gnuMakeVersion(make: string, env: NodeJS.ProcessEnv): string {
  const version = spawnSync(make, ['--version'], { encoding: 'utf8', env })
  if (version.status !== 0 || !/GNU Make/.test(version.stdout)) {
    throw new TasksError(
      'usage',
      `\`${make} --version\` did not answer as GNU make`,
      {},
      'install GNU make (apt-get install make); the import reads its database',
    )
  }
  return /GNU Make ([\d.]+)/.exec(version.stdout)?.[1] ?? '?'
}

/** A file's text, undefined when it cannot be read. */
function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}
