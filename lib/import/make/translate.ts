/**
 * The third stage of the Makefile import: make's rules as tasks. Targets are tasks; prerequisites
 * that are targets are `deps`, other files `inputs`; the target is the output; recipes (expanded by
 * `expansion.ts`) are `run`, one command per line, or make's own expansion frozen when a line has no
 * faithful translation. Every warning goes into the shared list, in the order the tasks are written.
 */
import { join } from 'node:path'
import { statSync } from 'node:fs'
import { expand, automatic, stripPrefixes, Untranslatable } from './expansion.js'
import { frozenRecipe, type MakeDatabase, type MakeVar, type Rule } from './database.js'
import type { GeneratedTask } from '../render.js'

/** What {@link translateRules} reads. */
export interface TranslateInput {
  /** The makefile's text (for `export`, `.EXPORT_ALL_VARIABLES`, `.ONESHELL`). */
  text: string
  /** The makefile, relative to `cwd` (for comments and warnings). */
  makefile: string
  /** The make program, its `-f` arguments, folder and environment (for frozen recipes). */
  make: string
  fileArgs: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  db: MakeDatabase
  /** The `VAR ?= default` variables, by name (read from the environment when the task runs). */
  conditional: Map<string, string>
  /** Filled in: what could not be translated faithfully. */
  warnings: string[]
}

/**
 * The tasks of every target, sorted by name, plus a `default` task for make's default goal (when
 * no target is named `default`).
 */
export function translateRules(input: TranslateInput): GeneratedTask[] {
  const { db, warnings } = input
  const exported = exportedVars(input)
  if (/^[ \t]*\.EXPORT_ALL_VARIABLES[ \t]*:/m.test(input.text))
    warnings.push('`.EXPORT_ALL_VARIABLES` is not translated: add the variables the recipes read to `setEnv`')
  const shell = recipeShell(input)
  const tasks: GeneratedTask[] = []
  for (const r of [...db.targets.values()].sort((a, b) => a.target.localeCompare(b.target))) {
    if (/\s/.test(r.target)) {
      warnings.push(
        `target ${JSON.stringify(r.target)} has a space in its name, which a task name cannot have: not imported`,
      )
      continue
    }
    tasks.push(ruleTask(r, input, shell, exported))
  }
  const goal = db.vars.get('.DEFAULT_GOAL')?.value.trim()
  if (goal && db.targets.has(goal) && !db.targets.has('default')) {
    tasks.push({ name: 'default', description: `make's default goal: ${goal}`, deps: [goal], outputs: [], env: [] })
  }
  return tasks
}

/** `export NAME [= value]`: make puts the variable in every recipe's environment (their values, by name). */
function exportedVars(input: TranslateInput): Record<string, string> {
  const { conditional, warnings } = input
  const allVars = input.db.vars
  const exported: Record<string, string> = {}
  for (const m of input.text.matchAll(/^[ \t]*export[ \t]+([^\n=:?+]*?)(?:[ \t]*(?:[:?+]|::)?=.*)?$/gm)) {
    for (const name of m[1]!
      .trim()
      .split(/\s+/)
      .filter((n) => /^[A-Za-z_]\w*$/.test(n))) {
      if (conditional.has(name)) continue // already read from the environment: `${NAME-default}`
      const v = allVars.get(name)
      if (!v || v.origin === 'environment' || v.origin === 'default') continue
      try {
        exported[name] =
          v.flavor === 'recursive'
            ? expand(v.value, { vars: allVars, targetVars: [], auto: {}, conditional, envNames: new Set() })
            : v.value
      } catch {
        warnings.push(
          `\`export ${name}\`: its value uses a function the import cannot evaluate; set it in \`setEnv\` by hand`,
        )
      }
    }
  }
  return exported
}

/** How recipe lines become commands: SHELL, .SHELLFLAGS and .ONESHELL as the makefile sets them. */
interface RecipeShell {
  /** Whether the whole recipe is one script for one shell (.ONESHELL). */
  oneShell: boolean
  /** A command as the makefile's SHELL runs it (unchanged for /bin/sh). */
  viaShell: (cmd: string) => string
}

/** SHELL and .SHELLFLAGS set by the makefile: each command runs through that shell, as make would. */
function recipeShell(input: TranslateInput): RecipeShell {
  const allVars: Map<string, MakeVar> = input.db.vars
  const shellVar = allVars.get('SHELL')
  const shell =
    shellVar && shellVar.origin === 'makefile' && shellVar.value.trim() !== '/bin/sh'
      ? shellVar.value.trim()
      : undefined
  const shellFlags = allVars.get('.SHELLFLAGS')?.origin === 'makefile' ? allVars.get('.SHELLFLAGS')!.value.trim() : '-c'
  const oneShell = input.db.rules.some((r) => r.target === '.ONESHELL') || /^[ \t]*\.ONESHELL[ \t]*:/m.test(input.text)
  const viaShell = (cmd: string) => (shell ? `${shell} ${shellFlags} '${cmd.replace(/'/g, `'\\''`)}'` : cmd)
  return { oneShell, viaShell }
}

/** A rule's recipe as commands, with the environment variables they read and, when frozen, the original as a comment. */
function recipeCommands(
  r: Rule,
  input: TranslateInput,
  shell: RecipeShell,
): { run: string[]; envNames: Set<string>; comment?: string } {
  const auto = automatic(r)
  const lines: string[] = []
  const envNames = new Set<string>()
  let frozen = false
  for (const raw of r.recipe) {
    const { cmd, ignoreErrors } = stripPrefixes(raw)
    try {
      const expanded = expand(cmd, {
        vars: input.db.vars,
        targetVars: r.vars,
        auto,
        conditional: input.conditional,
        envNames,
      })
      lines.push(ignoreErrors ? `(${expanded}) || true` : expanded)
    } catch (err) {
      if (!(err instanceof Untranslatable)) throw err
      frozen = true
      input.warnings.push(
        `\`${r.target}\`: the recipe uses ${err.message}; the command is make's expansion today, frozen (the original is kept as a comment)`,
      )
      break
    }
  }
  // .ONESHELL: the whole recipe is one script for one shell.
  const run: string[] = (shell.oneShell && lines.length > 1 ? [lines.join('\n')] : lines).map(shell.viaShell)
  if (!frozen) return { run, envNames }
  return {
    run: frozenRecipe(input.make, input.fileArgs, input.cwd, input.env, r),
    envNames,
    comment: `from ${r.recipeFrom ?? input.makefile}, not translated:\n${r.recipe.map((l) => `\t${l}`).join('\n')}`,
  }
}

/** One target's task. */
function ruleTask(r: Rule, input: TranslateInput, shell: RecipeShell, exported: Record<string, string>): GeneratedTask {
  const { cwd, warnings } = input
  const { targets } = input.db
  const phony = input.db.phony.has(r.target)
  const { run, envNames, comment } = recipeCommands(r, input, shell)
  if (/\$[({]MAKE[)}]/.test(r.recipe.join('\n')))
    warnings.push(
      `\`${r.target}\`: recursive make (\`$(MAKE)\`) runs as \`make\`; the sub-make's targets are not imported`,
    )
  const deps = [...r.prereqs, ...r.orderOnly].filter(
    (p, i, a) => targets.has(p) && a.indexOf(p) === i && p !== r.target && !/\s/.test(p),
  )
  const files = r.prereqs.filter((p, i, a) => !targets.has(p) && a.indexOf(p) === i)
  const outside = files.filter((p) => p.startsWith('/') || p === '..' || p.startsWith('../'))
  if (outside.length)
    warnings.push(
      `\`${r.target}\`: prerequisites outside the project are not inputs: ${outside.slice(0, 3).join(', ')}${outside.length > 3 ? ` (+${outside.length - 3} more)` : ''}`,
    )
  // A folder prerequisite stands for the files in it.
  const inputs = files
    .filter((p) => !outside.includes(p))
    .map((p) => (isDirectory(join(cwd, p)) ? `${p.replace(/\/+$/, '')}/**` : p))
  const isDir =
    !phony &&
    ((r.recipe.length > 0 && r.recipe.every((l) => /^[@+-]*\s*mkdir\b/.test(l))) || isDirectory(join(cwd, r.target)))
  return {
    name: r.target,
    description: `make ${r.target}${r.recipeFrom ? ` (${r.recipeFrom})` : ''}`,
    run: run.length ? run : undefined,
    deps,
    inputs: phony ? undefined : r.recipe.length === 0 && deps.length > 0 && inputs.length === 0 ? undefined : inputs,
    outputs: phony || isDir || r.recipe.length === 0 ? [] : [r.target],
    env: [...envNames].sort(),
    setEnv: run.length && Object.keys(exported).length ? exported : undefined,
    dirCheck: isDir ? r.target : undefined,
    comment,
  }
}

/** Whether `p` is a folder (false when it does not exist). */
function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}
