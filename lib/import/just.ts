/**
 * `tasks import justfile`: a `tasks.config.ts` with one task per just recipe, read from the file
 * itself (just is not needed).
 *
 * - recipe -> task of the same name, its doc comment (or `[doc('...')]`) -> `description`;
 *   `recipe: a b` -> `deps` (tasks runs deps in parallel; just runs them one after the other);
 * - parameters -> `vars` (`name='default'`; no default: the value must be given with `--var`); a
 *   variadic `*args`/`+args` at the very end of the last line -> the arguments after `--`;
 * - variables `x := "..."` (and `export x := ...`) -> `vars` with that default on the tasks that use
 *   them (`tasks t --var x=...` as `just x=... t`); a backtick value -> `$(command)` in place;
 * - `{{name}}` -> `${name}` (the variable reaches the commands as an environment variable), placed
 *   so sh expands it where just pasted it (`'"${x}"'` inside single quotes);
 * - recipe lines -> one command each, run by `sh` (`shell: 'sh'`, just's default `sh -cu`); `@`
 *   dropped (tasks does not echo commands); `-` -> `(command) || true`; `\` continuations joined;
 * - shebang recipes (`#!/usr/bin/env python3`) and `[script]` -> the interpreter reading the body
 *   from a here-document (stdin), `{{...}}` expanded by sh;
 * - no `inputs`: every task runs every time, as just reruns every recipe;
 * - `alias b := build` -> a task `b` depending on `build`.
 * What is not translated is written as a comment beside the task (or at the top) and as a warning.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { TasksError } from '../errors.js'
import { evalJust, staticValue, type Lookup } from './just-expr.js'
import { isVarName, substitute, type Part } from './interpolate.js'
import { renderConfig, type GeneratedTask } from './render.js'
import type { ImportResult } from './make.js'

/** Options of {@link importJustfile}. */
export interface JustImportOptions {
  /** Absolute path of the justfile. */
  file: string
  /** The module specifier the generated config imports `defineConfig` from. @default 'typed-tasks' */
  importFrom?: string
}

interface Param {
  name: string
  /** The default's expression source. */
  default?: string
  variadic?: '*' | '+'
}
interface Recipe {
  name: string
  params: Param[]
  deps: string[]
  notes: string[]
  body: string[]
  doc?: string
  attrs: string[]
}
interface Justfile {
  settings: Map<string, string>
  vars: Map<string, string>
  aliases: [string, string][]
  recipes: Recipe[]
  notes: string[]
}

/** just's settings that change nothing here (tasks already behaves so, or they concern just's own output). */
const HARMLESS_SETTINGS = new Set([
  'export',
  'quiet',
  'allow-duplicate-recipes',
  'allow-duplicate-variables',
  'unstable',
])
/** Recipe attributes with no effect on what the task does. */
const HARMLESS_ATTRS = /^(group|doc|parallel|no-exit-message|exit-message|no-quiet|private|no-cd|metadata)\b/

/**
 * Read a justfile and write an equivalent config.
 * @throws {TasksError} `usage` when the file is unreadable or has no recipes.
 */
export function importJustfile(options: JustImportOptions): ImportResult {
  let text: string
  try {
    text = readFileSync(options.file, 'utf8')
  } catch (err) {
    throw new TasksError('usage', `cannot read ${options.file}: ${(err as Error).message}`, { file: options.file })
  }
  const jf = parseJustfile(text)
  if (jf.recipes.length === 0)
    throw new TasksError('usage', `${options.file} has no recipes`, { file: options.file }, 'nothing to import')
  const warnings = [...jf.notes]
  for (const [k, v] of jf.settings) {
    if (HARMLESS_SETTINGS.has(k)) continue
    if (k.startsWith('dotenv'))
      warnings.push(
        `\`set ${k}\` is not translated: the config has no dotenv setting; export the variables of ${v === 'true' ? '.env' : v} before \`tasks\`, or list them in each task's \`setEnv\``,
      )
    else warnings.push(`\`set ${k} := ${v}\` is not translated: the commands run with \`sh\``)
  }
  const globals = globalLookup(jf.vars, warnings)
  const tasks: GeneratedTask[] = jf.recipes.map((r) => recipeTask(r, globals, warnings))
  for (const [alias, target] of jf.aliases)
    tasks.push({ name: alias, description: `alias of ${target}`, deps: [target], outputs: [] })
  const first = jf.recipes[0]!.name
  const header = [
    `Imported from ${basename(options.file)} by \`tasks import\`. Every task runs every time, as just reruns every recipe:`,
    'give a task `inputs` (and `outputs`) to cache it. Parameters and variables are `vars`: `just deploy prod` is',
    '`tasks deploy --var env=prod`, `just x=1 t` is `tasks t --var x=1`. Dependencies run in parallel (just: in order).',
    `\`just\` alone ran the first recipe: \`tasks ${first}\`.`,
  ]
  return {
    config: renderConfig({ header, warnings, tasks, importFrom: options.importFrom, shell: 'sh' }),
    tasks: tasks.map((t) => t.name),
    warnings: [...new Set(warnings)],
    generated: tasks,
  }
}

/** The meaning of a global variable's name: a declared var (static value), its parts in place, or undefined. */
type Global = { var: string; value: string } | { parts: Part[] }

function globalLookup(vars: Map<string, string>, warnings: string[]): (name: string) => Global | undefined {
  const memo = new Map<string, Global | undefined>()
  const resolve = (name: string, seen: string[]): Global | undefined => {
    if (memo.has(name)) return memo.get(name)
    const src = vars.get(name)
    if (src === undefined || seen.includes(name)) return undefined
    const parts = evalJust(src, (n) => {
      const g = resolve(n, [...seen, name])
      return g && ('parts' in g ? g.parts : [{ kind: 'lit', text: g.value }])
    })
    let g: Global | undefined
    if (!parts)
      warnings.push(`the variable \`${name} := ${src}\` is not translated (an expression this importer does not read)`)
    else {
      const value = staticValue(parts)
      g =
        value !== undefined && isVarName(name)
          ? { var: name, value }
          : { parts: value !== undefined ? [{ kind: 'lit', text: value }] : parts }
    }
    memo.set(name, g)
    return g
  }
  return (name) => resolve(name, [])
}

function recipeTask(r: Recipe, globals: (name: string) => Global | undefined, warnings: string[]): GeneratedTask {
  const notes = [...r.notes]
  const vars: Record<string, string | undefined> = {}
  const params = new Map(r.params.map((p) => [p.name, p]))
  const lookup: Lookup = (name) => {
    if (params.has(name)) {
      if (!isVarName(name)) return undefined
      vars[name] = paramDefault(params.get(name)!, globals, notes)
      return [{ kind: 'ref', name }]
    }
    const g = globals(name)
    if (!g) return undefined
    if ('parts' in g) return g.parts
    vars[g.var] = g.value
    return [{ kind: 'ref', name: g.var }]
  }
  let cwd: string | undefined
  let script: string | undefined
  for (const a of r.attrs) {
    const wd = /^working-directory(?:\(|:)\s*['"]([^'"]*)['"]/.exec(a)
    const sc = /^script(?:\((.*)\))?$/.exec(a)
    if (wd) cwd = wd[1]
    else if (sc)
      script = sc[1]
        ? sc[1]
            .split(',')
            .map((s) => s.trim().replace(/^['"]|['"]$/g, ''))
            .join(' ')
        : 'sh -eu'
    else if (!HARMLESS_ATTRS.test(a)) notes.push(`attribute \`[${a}]\` is not translated`)
  }
  const body = [...r.body]
  if (!script && body[0]?.startsWith('#!')) script = body.shift()!.slice(2).trim()
  const untranslated: string[] = []
  let run: string[]
  if (script) {
    const s = substitute(body.join('\n'), {
      open: '{{',
      close: '}}',
      escapedOpen: '{{{{',
      heredoc: true,
      resolve: (e) => evalJust(e, lookup),
    })
    untranslated.push(...s.untranslated)
    run = [`${script} <<__JUST_SCRIPT__\n${s.text}\n__JUST_SCRIPT__`]
  } else run = linewise(body, r.params, lookup, untranslated, notes)
  for (const e of untranslated) notes.push(`\`{{${e}}}\` is not translated (left as written)`)
  for (const n of notes) warnings.push(`${r.name}: ${n}`)
  return {
    name: r.name,
    description: r.doc,
    run: run.length ? run : undefined,
    deps: r.deps,
    outputs: [],
    cwd,
    vars,
    comment: notes.length ? notes.join('\n') : undefined,
  }
}

/** A parameter's default value (undefined: required), with a note when it is an expression without a static value. */
function paramDefault(p: Param, globals: (name: string) => Global | undefined, notes: string[]): string | undefined {
  if (p.default === undefined) return p.variadic === '*' ? '' : undefined
  const parts = evalJust(p.default, (n) => {
    const g = globals(n)
    return g && ('parts' in g ? g.parts : [{ kind: 'lit', text: g.value }])
  })
  const value = parts && staticValue(parts)
  if (value === undefined)
    notes.push(`the default of \`${p.name}\` (\`${p.default}\`) is not static: give it with --var`)
  return value
}

/** Linewise recipe lines as commands: prefixes applied, interpolations rewritten, a trailing variadic left to `--`. */
function linewise(body: string[], params: Param[], lookup: Lookup, untranslated: string[], notes: string[]): string[] {
  const lines: string[] = []
  for (const raw of body) {
    const prev = lines.at(-1)
    if (prev !== undefined && prev.endsWith('\\'))
      lines[lines.length - 1] = `${prev.slice(0, -1).trimEnd()} ${raw.trim()}`
    else lines.push(raw)
  }
  const cmds = lines.filter((l) => l.trim() && !/^[@-]*\s*#/.test(l))
  const last = params.at(-1)
  if (last?.variadic && cmds.length) {
    const re = new RegExp(`\\s*\\{\\{\\s*${last.name}\\s*\\}\\}\\s*$`)
    if (re.test(cmds.at(-1)!)) {
      cmds[cmds.length - 1] = cmds.at(-1)!.replace(re, '')
      notes.push(`\`${last.variadic}${last.name}\`: give the arguments after \`--\` (\`tasks <task> -- a b\`)`)
    }
  }
  return cmds.map((line) => {
    const prefix = /^[@-]*/.exec(line)![0]
    const s = substitute(line.slice(prefix.length).trim(), {
      open: '{{',
      close: '}}',
      escapedOpen: '{{{{',
      resolve: (e) => evalJust(e, lookup),
    })
    untranslated.push(...s.untranslated)
    return prefix.includes('-') ? `(${s.text}) || true` : s.text
  })
}

/** The recipes, variables, settings and aliases of a justfile (the constructs this importer reads). */
export function parseJustfile(text: string): Justfile {
  const jf: Justfile = { settings: new Map(), vars: new Map(), aliases: [], recipes: [], notes: [] }
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  let doc: string | undefined
  let attrs: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!line.trim()) {
      doc = undefined
      continue
    }
    if (/^\s/.test(line)) continue // a body line of a recipe this reader skipped
    const comment = /^#\s?(.*)$/.exec(line)
    if (comment) {
      doc = comment[1]!.startsWith('!') ? undefined : comment[1]!.trim()
      continue
    }
    const attr = /^\[(.*)\]\s*$/.exec(line)
    if (attr) {
      attrs.push(...splitAttrs(attr[1]!))
      continue
    }
    const set = /^set\s+([\w-]+)\s*(?::=\s*(.*))?$/.exec(line)
    const alias = /^alias\s+([\w-]+)\s*:=\s*([\w-]+)\s*$/.exec(line)
    const assign = /^(?:export\s+)?([A-Za-z_][\w-]*)\s*:=\s*(.*)$/.exec(line)
    if (set) jf.settings.set(set[1]!, (set[2] ?? 'true').trim())
    else if (alias) jf.aliases.push([alias[1]!, alias[2]!])
    else if (assign) jf.vars.set(assign[1]!, stripComment(assign[2]!))
    else if (/^(import|mod)\b/.test(line)) jf.notes.push(`\`${line.trim()}\` is not translated: import that file too`)
    else {
      const recipe = parseHeader(line)
      if (!recipe) {
        jf.notes.push(`line ${i + 1} is not understood: \`${line.trim()}\``)
        continue
      }
      const docAttr = attrs.map((a) => /^doc\(\s*['"](.*)['"]\s*\)$/.exec(a)?.[1]).find((d) => d !== undefined)
      const body: string[] = []
      let indent: number | undefined
      for (; i + 1 < lines.length && (/^\s/.test(lines[i + 1]!) || !lines[i + 1]!.trim()); i++) {
        const l = lines[i + 1]!
        if (!l.trim()) continue
        indent ??= /^\s*/.exec(l)![0].length
        body.push(l.slice(Math.min(indent, /^\s*/.exec(l)![0].length)))
      }
      jf.recipes.push({ ...recipe, body, doc: docAttr ?? doc, attrs })
    }
    doc = undefined
    attrs = []
  }
  return jf
}

/** `[a, b('x')]` -> `['a', "b('x')"]`. */
function splitAttrs(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const c of s) {
    if (c === '(') depth++
    if (c === ')') depth--
    if (c === ',' && depth === 0) (out.push(cur.trim()), (cur = ''))
    else cur += c
  }
  if (cur.trim()) out.push(cur.trim())
  return out
}

/** An expression without its trailing `# comment` (outside quotes). */
function stripComment(src: string): string {
  let quote: string | undefined
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!
    if (quote) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = undefined
    } else if (c === "'" || c === '"' || c === '`') quote = c
    else if (c === '#') return src.slice(0, i).trim()
  }
  return src.trim()
}

const PARAM = /\s*(\+|\*)?(\$)?([A-Za-z_][\w-]*)(?:=('[^']*'|"(?:[^"\\]|\\.)*"|`[^`]*`|\([^)]*\)|[A-Za-z_][\w-]*))?/y

/** `[@]name params: deps && after` -> the recipe's name, parameters and dependencies (notes for what is dropped). */
function parseHeader(line: string): Omit<Recipe, 'body' | 'doc' | 'attrs'> | undefined {
  const m = /^@?([A-Za-z_][\w-]*)/.exec(line)
  if (!m) return undefined
  const params: Param[] = []
  const notes: string[] = []
  PARAM.lastIndex = m[0].length
  let pos = m[0].length
  for (let p = PARAM.exec(line); p; p = PARAM.exec(line)) {
    params.push({ name: p[3]!, default: p[4], variadic: p[1] as Param['variadic'] })
    pos = PARAM.lastIndex
  }
  const rest = /^\s*:(?!=)(.*)$/.exec(line.slice(pos))
  if (!rest) return undefined
  const deps: string[] = []
  const depText = stripComment(rest[1]!)
  const [before, after] = depText.split(/\s*&&\s*/, 2) as [string, string | undefined]
  for (const d of before.matchAll(/\(\s*([\w-]+)([^)]*)\)|([\w-]+)/g)) {
    deps.push((d[1] ?? d[3])!)
    if (d[1]) notes.push(`the arguments of the dependency \`(${d[1]}${d[2]})\` are dropped`)
  }
  if (after) notes.push(`\`&& ${after}\` (recipes run after this one) is not translated: run them after it`)
  return { name: m[1]!, params, deps, notes }
}
