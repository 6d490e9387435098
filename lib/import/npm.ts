/**
 * `tasks import package.json`: npm scripts as tasks, in npm's order of execution.
 *
 * - each script -> a task of the same name whose `run` is the script's commands, with its
 *   `pre<name>` and `post<name>` hooks before and after (npm runs them around the script);
 * - `a && b` chains -> one command per part, run in order, stopping at the first failure (as `&&`);
 * - `npm run x` / `yarn x` / `pnpm x` (and `npm test`, `npm start`) inside a chain -> x's commands in
 *   place (with x's own hooks, and the arguments after `--` appended to its last command);
 * - `npm-run-all -p`, `run-p` -> `deps` when they open the script (the tasks then run in parallel,
 *   as they would; later in a chain, their commands one after the other), `run-s` and
 *   `npm-run-all` without `-p` -> the scripts' commands in order;
 *   `name:*` patterns match script names as npm-run-all does.
 * Scripts stay uncached (no `inputs`): add inputs and outputs to cache them. npm's lifecycle
 * scripts (`install`, `prepare`, `prepublishOnly`...) are left to npm.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { TasksError } from '../errors.js'
import { renderConfig, type GeneratedTask } from './render.js'
import type { ImportResult } from './make.js'

/** Options of {@link importPackageJson}. */
export interface NpmImportOptions {
  /** Absolute path of the package.json. */
  file: string
  /** The module specifier the generated config imports `defineConfig` from. @default 'typed-tasks' */
  importFrom?: string
}

const LIFECYCLE = new Set([
  'preinstall',
  'install',
  'postinstall',
  'preuninstall',
  'uninstall',
  'postuninstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
  'prepublishOnly',
  'prepack',
  'postpack',
  'publish',
  'postpublish',
  'preversion',
  'version',
  'postversion',
  'dependencies',
  'preshrinkwrap',
  'shrinkwrap',
  'postshrinkwrap',
])
/** `npm <x>` shorthands that run the script of the same name. */
const NPM_SHORTHANDS = new Set(['test', 'start', 'stop', 'restart', 't', 'tst'])

type Step =
  | { kind: 'cmd'; text: string }
  | { kind: 'ref'; name: string; args: string[] }
  | { kind: 'group'; parallel: boolean; names: string[]; args: string[] }

/**
 * Read `scripts` and write an equivalent config.
 * @throws {TasksError} `usage` when the file is unreadable, not JSON, or has no `scripts`.
 */
export function importPackageJson(options: NpmImportOptions): ImportResult {
  let pkg: { scripts?: Record<string, unknown> }
  try {
    pkg = JSON.parse(readFileSync(options.file, 'utf8'))
  } catch (err) {
    throw new TasksError('usage', `cannot read ${options.file}: ${(err as Error).message}`, { file: options.file })
  }
  const scripts = Object.fromEntries(
    Object.entries(pkg.scripts ?? {}).filter(([, v]) => typeof v === 'string'),
  ) as Record<string, string>
  if (Object.keys(scripts).length === 0)
    throw new TasksError('usage', `${options.file} has no \`scripts\``, { file: options.file }, 'nothing to import')
  const warnings: string[] = []
  const skipped = Object.keys(scripts).filter((s) => LIFECYCLE.has(s))
  if (skipped.length) warnings.push(`npm lifecycle scripts left to npm: ${skipped.join(', ')}`)
  if (Object.values(scripts).some((s) => /\bnpm_(package|config|lifecycle)_/.test(s))) {
    warnings.push(
      'some scripts read `npm_package_*`/`npm_config_*` variables, which only npm sets: run them through npm or set the values in `setEnv`',
    )
  }

  const names = Object.keys(scripts)
  const steps = (name: string): Step[] => parseScript(scripts[name]!, names) // called with names of scripts only
  /** The commands of script `name` with its hooks, arguments appended to the last one. */
  const commandsOf = (name: string, args: string[], seen: string[]): string[] => {
    if (seen.includes(name))
      throw new TasksError('cycle', `npm scripts call each other in a cycle: ${[...seen, name].join(' -> ')}`, {
        file: options.file,
      })
    if (!(name in scripts)) {
      warnings.push(`a script calls \`${name}\`, which package.json does not define; kept as \`npm run ${name}\``)
      return [`npm run ${name}${args.length ? ` -- ${args.join(' ')}` : ''}`]
    }
    const out: string[] = []
    const hook = (h: string) => {
      if (h in scripts) out.push(...commandsOf(h, [], [...seen, name]))
    }
    hook(`pre${name}`)
    const body: string[] = []
    for (const step of steps(name)) body.push(...inline(step, [...seen, name]))
    if (args.length && body.length) body[body.length - 1] += ` ${args.join(' ')}`
    out.push(...body)
    hook(`post${name}`)
    return out
  }
  const inline = (step: Step, seen: string[]): string[] => {
    if (step.kind === 'cmd') return [step.text]
    if (step.kind === 'ref') return commandsOf(step.name, step.args, seen)
    // A parallel group inside a chain runs its scripts one after the other: one of the orders a
    // parallel run allows, and the chain's order around it is kept.
    return step.names.flatMap((n) => commandsOf(n, step.args, seen))
  }

  const tasks: GeneratedTask[] = []
  for (const name of names) {
    if (LIFECYCLE.has(name)) continue
    const s = steps(name)
    const hasPre = `pre${name}` in scripts
    let deps: string[] = []
    let rest = s
    // A leading parallel group becomes deps (they run before the commands, in parallel).
    if (!hasPre && s[0]?.kind === 'group' && s[0].parallel && s[0].args.length === 0) {
      deps = s[0].names
      rest = s.slice(1)
    }
    const run = [
      ...(hasPre ? commandsOf(`pre${name}`, [], [name]) : []),
      ...rest.flatMap((st) => inline(st, [name])),
      ...(`post${name}` in scripts ? commandsOf(`post${name}`, [], [name]) : []),
    ]
    tasks.push({
      name,
      description: `npm run ${name}: ${scripts[name]!.length > 70 ? scripts[name]!.slice(0, 67) + '...' : scripts[name]}`,
      run: run.length ? run : undefined,
      deps,
      outputs: [],
    })
  }
  const header = [
    `Imported from ${basename(options.file)} \`scripts\` by \`tasks import\`. Hooks (pre/post) and && chains run in npm's order.`,
    'The tasks are not cached yet: give a task `inputs` (and `outputs`) to cache it. Scripts can now call `tasks <name>`.',
  ]
  return {
    config: renderConfig({ header, warnings, tasks, importFrom: options.importFrom }),
    tasks: tasks.map((t) => t.name),
    warnings: [...new Set(warnings)],
    generated: tasks,
  }
}

/** Split at top-level `&&`; the whole script is one command when it uses other shell operators. */
export function splitAnd(script: string): string[] {
  const parts: string[] = []
  let cur = ''
  let quote: string | undefined
  let depth = 0
  for (let i = 0; i < script.length; i++) {
    const c = script[i]
    if (quote) {
      if (c === '\\' && quote === '"') ((cur += c + (script[i + 1] ?? '')), i++)
      else {
        if (c === quote) quote = undefined
        cur += c
      }
      continue
    }
    if (c === '"' || c === "'" || c === '`') quote = c
    else if (c === '(' || c === '{') depth++
    else if (c === ')' || c === '}') depth--
    else if (depth === 0 && c === '&' && script[i + 1] === '&') {
      parts.push(cur.trim())
      cur = ''
      i++
      continue
    } else if (depth === 0 && (c === ';' || c === '|' || c === '&' || c === '\n')) return [script.trim()]
    cur += c
  }
  parts.push(cur.trim())
  return parts.filter(Boolean)
}

function words(part: string): string[] | undefined {
  if (/["'`$\\<>]/.test(part.replace(/(['"])[\w:*.-]+\1/g, 'x'))) return undefined
  return part
    .replace(/(['"])([\w:*.-]+)\1/g, '$2')
    .split(/\s+/)
    .filter(Boolean)
}

function parseScript(script: string, names: readonly string[]): Step[] {
  return splitAnd(script).map((part): Step => {
    const w = words(part)
    if (!w) return { kind: 'cmd', text: part }
    const dash = w.indexOf('--')
    const args = dash >= 0 ? w.slice(dash + 1) : []
    const head = dash >= 0 ? w.slice(0, dash) : w
    const [tool, sub, ...more] = head
    if (
      (tool === 'npm' || tool === 'pnpm' || tool === 'bun') &&
      (sub === 'run' || sub === 'run-script') &&
      more.length === 1
    )
      return { kind: 'ref', name: more[0]!, args }
    if (tool === 'npm' && sub && NPM_SHORTHANDS.has(sub) && more.length === 0)
      return { kind: 'ref', name: sub === 't' || sub === 'tst' ? 'test' : sub, args }
    if (tool === 'yarn' && sub === 'run' && more.length === 1) return { kind: 'ref', name: more[0]!, args }
    if ((tool === 'yarn' || tool === 'pnpm') && sub && more.length === 0 && names.includes(sub))
      return { kind: 'ref', name: sub, args }
    if (tool === 'run-p' || tool === 'run-s' || tool === 'npm-run-all') {
      let parallel = tool === 'run-p'
      const patterns: string[] = []
      for (const x of head.slice(1)) {
        if (x === '-p' || x === '--parallel') parallel = true
        else if (x === '-s' || x === '--sequential' || x === '--serial') parallel = false
        else if (x.startsWith('-'))
          continue // --silent, --continue-on-error, --print-label...
        else patterns.push(x)
      }
      const matched = patterns.flatMap((p) => matchScripts(p, names))
      if (matched.length) return { kind: 'group', parallel, names: [...new Set(matched)], args }
    }
    return { kind: 'cmd', text: part }
  })
}

/** npm-run-all's patterns: `*` matches one `:`-separated segment, `**` any number. */
function matchScripts(pattern: string, names: readonly string[]): string[] {
  if (!/[*]/.test(pattern)) return names.includes(pattern) ? [pattern] : [pattern]
  const re = new RegExp(
    `^${pattern
      .split(':')
      .map((seg) => (seg === '**' ? '.*' : seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^:]*')))
      .join(':')}$`,
  )
  return names.filter((n) => re.test(n))
}
