/**
 * The CLI's subcommands that do not run tasks: `tasks import <Makefile|package.json|justfile|Taskfile.yml>`,
 * `tasks init`, `tasks completion bash|zsh|fish`, and the hidden `tasks __complete tasks|workspaces`
 * the completion scripts call. A task of the same name as a subcommand (`init`, say) wins: the
 * subcommand then runs only when the config defines no such task.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { EXIT } from '../../lib/errors.js'
import type { FlagInfo } from '../completion.js'

/** Names that may start a subcommand. */
export const SUBCOMMANDS = new Set(['import', 'init', 'completion', '__complete'])

/** What the subcommands read from the parsed command line. */
export interface SubcommandOptions {
  cwd?: string
  config?: string
  force?: boolean
  dryRun?: boolean
}

/**
 * Run the subcommand `args[0]`, or return undefined when it is not one (or a task of that name
 * exists in the config found from the cwd).
 * @returns the exit code
 */
export async function runSubcommand(
  args: string[],
  opts: SubcommandOptions,
  flags: readonly FlagInfo[],
): Promise<number | undefined> {
  const [sub, ...rest] = args
  if (sub === undefined || !SUBCOMMANDS.has(sub)) return undefined
  const lib = await import('../../lib/index.js')
  const { renderError } = await import('../render-error.js')
  const here = resolve(process.cwd(), opts.cwd ?? '.')
  if (sub === '__complete') return complete(rest[0], here, opts)
  if (await definesTask(sub, here, opts)) return undefined
  try {
    if (sub === 'completion') {
      const { completionScript } = await import('../completion.js')
      const shell = rest[0]
      if (shell !== 'bash' && shell !== 'zsh' && shell !== 'fish') {
        throw new lib.TasksError(
          'usage',
          `\`tasks completion\` takes \`bash\`, \`zsh\` or \`fish\`, got ${shell ? `\`${shell}\`` : 'nothing'}`,
          {},
          'e.g. `source <(tasks completion bash)` in ~/.bashrc',
        )
      }
      process.stdout.write(completionScript(shell, flags))
      return EXIT.ok
    }
    if (sub === 'import') return await importCommand(rest, here, opts)
    return await initCommand(here, opts)
  } catch (err) {
    process.stderr.write(renderError(err, process.cwd(), !!process.stderr.isTTY && !process.env.NO_COLOR))
    return lib.exitCodeFor(err)
  }
}

/** True when the project's config defines a task named `name` (then `tasks <name>` runs it). */
async function definesTask(name: string, cwd: string, opts: SubcommandOptions): Promise<boolean> {
  const { findQuickly } = await import('../../lib/config/find.js')
  if (!opts.config && !findQuickly(cwd)) return false
  try {
    const { loadConfig } = await import('../../lib/index.js')
    const config = await loadConfig({ cwd, config: opts.config })
    return config.tasks.has(name)
  } catch {
    return false
  }
}

async function importCommand(rest: string[], cwd: string, opts: SubcommandOptions): Promise<number> {
  const lib = await import('../../lib/index.js')
  const what = rest[0]
  if (!what) {
    throw new lib.TasksError(
      'usage',
      '`tasks import` needs a file: `tasks import Makefile`, `package.json`, `justfile` or `Taskfile.yml`',
    )
  }
  const file = resolve(cwd, what)
  const dir = dirname(file)
  let result: { config: string; tasks: string[]; warnings: string[] }
  if (basename(file) === 'package.json') {
    const { importPackageJson } = await import('../../lib/import/npm.js')
    result = importPackageJson({ file })
  } else if (/^\.?justfile$/i.test(basename(file))) {
    const { importJustfile } = await import('../../lib/import/just.js')
    result = importJustfile({ file })
  } else if (/^taskfile(\.dist)?\.ya?ml$/i.test(basename(file))) {
    const { importTaskfile } = await import('../../lib/import/taskfile.js')
    result = importTaskfile({ file })
  } else {
    const { importMakefile } = await import('../../lib/import/make.js')
    result = importMakefile({ cwd: dir, makefile: basename(file) })
  }
  return writeConfig(
    result.config,
    dir,
    cwd,
    opts,
    `imported ${result.tasks.length} task${result.tasks.length === 1 ? '' : 's'} from ${relative(process.cwd(), file) || file}`,
    result.warnings,
  )
}

async function initCommand(cwd: string, opts: SubcommandOptions): Promise<number> {
  const { initConfig } = await import('../../lib/import/init.js')
  const result = initConfig({ cwd })
  const code = writeConfig(
    result.config,
    cwd,
    cwd,
    opts,
    `wrote a starter config${result.detected.length ? ` for ${result.detected.join(', ')}` : ''} (${result.tasks.length} tasks)`,
    [],
  )
  if (code === EXIT.ok && !opts.dryRun) {
    const gi = join(cwd, '.gitignore')
    const text = existsSync(gi) ? readFileSync(gi, 'utf8') : ''
    if (!/^\/?\.tasks\/?$/m.test(text)) {
      appendFileSync(gi, `${text && !text.endsWith('\n') ? '\n' : ''}# typed-tasks' cache and state\n.tasks/\n`)
      process.stderr.write('added `.tasks/` to .gitignore\n')
    }
  }
  return code
}

/** Write `text` to `--config` (relative to `cwd`), else to `tasks.config.ts` in `dir`; `--dry-run` prints it. */
function writeConfig(
  text: string,
  dir: string,
  cwd: string,
  opts: SubcommandOptions,
  what: string,
  warnings: readonly string[],
): number {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`)
  if (opts.dryRun) {
    process.stdout.write(text)
    return EXIT.ok
  }
  const target = opts.config ? resolve(cwd, opts.config) : join(dir, 'tasks.config.ts')
  const existing = [
    'tasks.config.ts',
    'tasks.config.mts',
    'tasks.config.js',
    'tasks.config.mjs',
    'tasks.config.cjs',
    'tasks.config.json',
  ]
    .map((f) => join(dirname(target), f))
    .filter((f) => existsSync(f))
  if (existing.length && !opts.force) {
    process.stderr.write(
      `error: ${relative(process.cwd(), existing[0]!) || existing[0]} already exists\n  help: pass --force to overwrite it, --dry-run to print the new config, or --config FILE to write elsewhere\n`,
    )
    return EXIT.config
  }
  writeFileSync(target, text)
  process.stderr.write(`${what} into ${relative(process.cwd(), target) || target}\n`)
  return EXIT.ok
}

/**
 * The hidden `__complete` call of the completion scripts: task names (`tasks`) or workspace names
 * (`workspaces`), one a line. Inside a workspace folder, short names of its tasks come first; at a
 * monorepo's root, the short names that run in every workspace too. Prints nothing on any error.
 */
async function complete(what: string | undefined, cwd: string, opts: SubcommandOptions): Promise<number> {
  try {
    const lib = await import('../../lib/index.js')
    const config = await lib.loadConfig({ cwd, config: opts.config })
    const out = new Set<string>()
    if (what === 'workspaces') {
      for (const w of config.workspaces ?? []) out.add(w.name)
    } else {
      const here = lib.workspaceContaining(config, cwd)
      for (const name of config.tasks.keys()) {
        const cut = name.indexOf('#')
        if (cut > 0 && (!here || name.startsWith(`${here.name}#`))) out.add(name.slice(cut + 1))
      }
      for (const name of config.tasks.keys()) out.add(name)
    }
    process.stdout.write([...out].map((n) => `${n}\n`).join(''))
  } catch {}
  return EXIT.ok
}
