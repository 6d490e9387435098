/**
 * `tasks import Taskfile.yml`: a `tasks.config.ts` with one task per go-task (v3) task, read from
 * the YAML itself (`task` is not needed).
 *
 * - `cmds` (strings, `cmd:` objects, the short forms `t: cmd` and `t: [cmds]`) -> `run`;
 *   `ignore_error` -> `(command) || true`; `- task: other` before any command -> `deps`, after one
 *   -> the other task's commands in place; `deps` -> `deps`;
 * - `sources` -> `inputs` (`exclude:` -> `!glob`) and the task is cached, as go-task's checksum
 *   method skips it when its sources are unchanged; `generates` -> `outputs`; `method: timestamp`
 *   -> `fingerprint: 'mtime'`; `method: none`, or no `sources`: the task always runs;
 * - `vars` (static values, the Taskfile's and the task's) -> `vars` with that default
 *   (`task t X=1` is `tasks t --var X=1`); `sh:` values -> `$(command)` in place; `requires.vars`
 *   -> `vars` without default; `{{.X}}` -> `${X}`; `{{.CLI_ARGS}}` at the end of the last command ->
 *   the arguments after `--`; `{{.TASK}}` -> the task's name;
 * - `env` (the Taskfile's and the task's) -> `setEnv`; `dir` -> `cwd`; `desc` -> `description`;
 *   `aliases` -> tasks depending on the task;
 * - commands run in the portable shell (go-task's own is an interpreter too, the same on every OS);
 *   a task with a command the portable shell does not read gets `shell: 'sh'`.
 * Not translated, as comments and warnings: `dotenv`, `includes`, `preconditions`, `status`,
 * `platforms`, `for` loops, `defer`, `prompt`, `interactive`, template functions.
 */
import { readFileSync } from 'node:fs'
import { basename, posix } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { TasksError } from '../errors.js'
import { unsupportedConstruct } from '../shell/check.js'
import { portableParser } from '../shell/portable.js'
import { isVarName, substitute, type Part } from './interpolate.js'
import { renderConfig, type GeneratedTask } from './render.js'
import type { ImportResult } from './make.js'

/** Options of {@link importTaskfile}. */
export interface TaskfileImportOptions {
  /** Absolute path of the Taskfile. */
  file: string
  /** The module specifier the generated config imports `defineConfig` from. @default 'typed-tasks' */
  importFrom?: string
}

type Obj = Record<string, unknown>
/** A variable in scope: a static value (declared as a task var), or parts put in place (`sh:`). */
type Var = { value: string } | { parts: Part[] }

const isObj = (x: unknown): x is Obj => !!x && typeof x === 'object' && !Array.isArray(x)
const scalar = (x: unknown): x is string | number | boolean =>
  typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean'
/** Task keys with no effect on what the commands do or on caching here. */
const HARMLESS = new Set(['desc', 'summary', 'silent', 'label', 'prefix', 'run', 'watch', 'internal'])

/**
 * Read a Taskfile (version 3) and write an equivalent config.
 * @throws {TasksError} `usage` when the file is unreadable, not YAML, or has no `tasks`.
 */
export function importTaskfile(options: TaskfileImportOptions): ImportResult {
  let doc: unknown
  try {
    doc = parseYaml(readFileSync(options.file, 'utf8'))
  } catch (err) {
    throw new TasksError('usage', `cannot read ${options.file}: ${(err as Error).message}`, { file: options.file })
  }
  if (!isObj(doc) || !isObj(doc.tasks) || Object.keys(doc.tasks).length === 0)
    throw new TasksError('usage', `${options.file} has no \`tasks\``, { file: options.file }, 'nothing to import')
  const warnings: string[] = []
  if (doc.version !== undefined && !String(doc.version).startsWith('3'))
    warnings.push(`the Taskfile is version ${String(doc.version)}: read as version 3`)
  for (const k of ['includes', 'dotenv', 'set', 'shopt'] as const) {
    if (doc[k] !== undefined)
      warnings.push(
        `\`${k}\` is not translated${k === 'dotenv' ? ': the config has no dotenv setting; export those variables before `tasks`, or list them in `setEnv`' : ''}`,
      )
  }
  const globalVars = readVars(doc.vars, new Map(), 'vars', warnings)
  const globalEnv = readEnv(doc.env, globalVars, 'env', warnings)
  const defs = new Map(Object.entries(doc.tasks).map(([n, t]) => [n, normalise(t)]))
  const parse = portableParser()
  const tasks: GeneratedTask[] = []
  for (const [name, def] of defs) {
    const ctx: TaskContext = { name, def, defs, globalVars, globalEnv, method: doc.method, parse }
    const t = translateTask(ctx)
    tasks.push(t)
    for (const n of (t.comment ?? '').split('\n').filter(Boolean)) warnings.push(`${name}: ${n}`)
    for (const a of Array.isArray(def.aliases) ? def.aliases : [])
      tasks.push({ name: String(a), description: `alias of ${name}`, deps: [name], outputs: [] })
  }
  const header = [
    `Imported from ${basename(options.file)} by \`tasks import\`. Tasks with \`sources\` are cached (inputs); the others run`,
    'every time, as go-task runs them. Variables are `vars`: `task deploy ENV=prod` is `tasks deploy --var ENV=prod`.',
  ]
  return {
    config: renderConfig({ header, warnings, tasks, importFrom: options.importFrom }),
    tasks: tasks.map((t) => t.name),
    warnings: [...new Set(warnings)],
    generated: tasks,
  }
}

/** A task in its object form (`t: cmd` and `t: [cmds]` are short for `cmds`). */
function normalise(t: unknown): Obj {
  if (typeof t === 'string') return { cmds: [t] }
  if (Array.isArray(t)) return { cmds: t }
  return isObj(t) ? t : {}
}

interface TaskContext {
  name: string
  def: Obj
  defs: Map<string, Obj>
  globalVars: Map<string, Var>
  globalEnv: Record<string, string>
  method: unknown
  parse: ReturnType<typeof portableParser>
}

/** Static `vars` (templates resolved against `scope`); `sh:` values as command substitutions. */
function readVars(raw: unknown, scope: Map<string, Var>, where: string, notes: string[]): Map<string, Var> {
  const out = new Map(scope)
  if (!isObj(raw)) return out
  for (const [k, v] of Object.entries(raw)) {
    if (scalar(v)) {
      const parts = template(String(v), out, notes)
      const value = parts.every((p) => p.kind === 'lit')
        ? parts.map((p) => (p as { text: string }).text).join('')
        : undefined
      out.set(k, value !== undefined ? { value } : { parts })
    } else if (isObj(v) && typeof v.sh === 'string') out.set(k, { parts: [{ kind: 'sh', command: v.sh.trim() }] })
    else notes.push(`the variable \`${k}\` of \`${where}\` is not translated (only strings and \`sh:\` are)`)
  }
  return out
}

/** `env` as `setEnv`: static values only (`sh:` and templates on dynamic values are noted). */
function readEnv(raw: unknown, vars: Map<string, Var>, where: string, notes: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  if (!isObj(raw)) return out
  for (const [k, v] of Object.entries(raw)) {
    const parts = scalar(v) ? template(String(v), vars, notes) : undefined
    if (parts?.every((p) => p.kind === 'lit')) out[k] = parts.map((p) => (p as { text: string }).text).join('')
    else notes.push(`\`${where}.${k}\` is not translated (a value computed at run time)`)
  }
  return out
}

/** A template string resolved to parts (variables by their value: for `sources`, `dir`, values). */
function template(text: string, vars: Map<string, Var>, notes: string[]): Part[] {
  const parts: Part[] = []
  let last = 0
  for (const m of text.matchAll(/\{\{\s*\.(\w+)\s*\}\}/g)) {
    parts.push({ kind: 'lit', text: text.slice(last, m.index) })
    const v = vars.get(m[1]!)
    if (!v) notes.push(`\`{{.${m[1]}}}\` in \`${text}\` has no value here`)
    else parts.push(...('value' in v ? [{ kind: 'lit' as const, text: v.value }] : v.parts))
    last = m.index! + m[0].length
  }
  parts.push({ kind: 'lit', text: text.slice(last) })
  return parts.filter((p) => p.kind !== 'lit' || p.text)
}

function staticText(raw: unknown, vars: Map<string, Var>, notes: string[]): string | undefined {
  if (!scalar(raw)) return undefined
  const parts = template(String(raw), vars, notes)
  if (parts.every((p) => p.kind === 'lit')) return parts.map((p) => (p as { text: string }).text).join('')
  notes.push(`\`${String(raw)}\` is computed at run time: not translated`)
  return undefined
}

/** A glob of go-task (relative to the task's dir) as one of tinyglobby's. */
const glob = (g: string) => posix.normalize(g.replace(/^\.\//, ''))

function translateTask(ctx: TaskContext): GeneratedTask {
  const { def, name } = ctx
  const notes: string[] = []
  const vars = readVars(def.vars, ctx.globalVars, `${name}.vars`, notes)
  const used: Record<string, string | undefined> = {}
  for (const k of Object.keys(def)) {
    if (
      HARMLESS.has(k) ||
      [
        'cmds',
        'cmd',
        'deps',
        'sources',
        'generates',
        'method',
        'vars',
        'env',
        'dir',
        'aliases',
        'requires',
        'ignore_error',
      ].includes(k)
    )
      continue
    notes.push(`\`${k}\` is not translated${k === 'status' ? ' (a `check` function can do what it does)' : ''}`)
  }
  const required = isObj(def.requires) && Array.isArray(def.requires.vars) ? def.requires.vars.map(String) : []
  for (const r of required) if (isVarName(r) && !vars.has(r)) used[r] = undefined
  const { deps, run } = commands(ctx, vars, used, notes)
  const method = def.method ?? ctx.method
  const sources = Array.isArray(def.sources) ? def.sources : []
  const cached = sources.length > 0 && method !== 'none'
  const inputs = sources.flatMap((s) => {
    const g = isObj(s) ? staticText(s.exclude, vars, notes) : staticText(s, vars, notes)
    return g === undefined ? [] : [isObj(s) ? `!${glob(g)}` : glob(g)]
  })
  const generates = (Array.isArray(def.generates) ? def.generates : []).flatMap((g) => {
    const t = isObj(g) ? undefined : staticText(g, vars, notes)
    return t === undefined ? [] : [glob(t)]
  })
  if (generates.length && !cached) notes.push('`generates` without `sources`: the task always runs, as go-task runs it')
  const env = { ...ctx.globalEnv, ...readEnv(def.env, vars, `${name}.env`, notes) }
  const needsSh = run.map((c) => unsupportedConstruct(c, ctx.parse)).find((x) => x)
  if (needsSh) notes.push(`runs with \`sh\`: the portable shell does not read ${needsSh}`)
  return {
    name,
    description: typeof def.desc === 'string' ? def.desc : undefined,
    run: run.length ? run : undefined,
    deps,
    inputs: cached ? inputs : undefined,
    outputs: cached ? generates : [],
    setEnv: run.length ? env : undefined,
    cwd: def.dir === undefined ? undefined : staticText(def.dir, vars, notes),
    vars: used,
    shell: needsSh ? 'sh' : undefined,
    fingerprint: cached && method === 'timestamp' ? 'mtime' : undefined,
    comment: notes.length ? [...new Set(notes)].join('\n') : undefined,
  }
}

/** The task's `deps` and `run`: leading `task:` calls join `deps`, later ones are inlined. */
function commands(
  ctx: TaskContext,
  vars: Map<string, Var>,
  used: Record<string, string | undefined>,
  notes: string[],
): { deps: string[]; run: string[] } {
  const deps: string[] = []
  for (const d of Array.isArray(ctx.def.deps) ? ctx.def.deps : []) {
    const n = typeof d === 'string' ? d : isObj(d) && typeof d.task === 'string' ? d.task : undefined
    if (n) deps.push(n)
    if (isObj(d) && d.vars) notes.push(`the \`vars\` given to the dependency \`${n}\` are not translated`)
  }
  const items = ctx.def.cmds !== undefined ? ctx.def.cmds : ctx.def.cmd !== undefined ? [ctx.def.cmd] : []
  const list = Array.isArray(items) ? items : [items]
  const run: string[] = []
  const isCmd = (c: unknown) => typeof c === 'string' || (isObj(c) && scalar(c.cmd))
  const lastCmd = list.length - 1 - [...list].reverse().findIndex(isCmd)
  list.forEach((c, i) => {
    const call = isObj(c) && typeof c.task === 'string' ? c.task : undefined
    if (call) {
      if (isObj(c) && c.vars) notes.push(`the \`vars\` given to \`task: ${call}\` are not translated`)
      if (run.length === 0) {
        deps.push(call)
        if (list.filter((x) => isObj(x) && x.task).length > 1)
          notes.push('the leading `task:` calls run in parallel as `deps` (go-task: in order)')
      } else {
        notes.push(
          `\`task: ${call}\` after a command: ${call}'s commands run in place (go-task would skip them when up to date)`,
        )
        run.push(...inlined(ctx, call, [ctx.name]))
      }
      return
    }
    const text = scalar(c) ? String(c) : isObj(c) && scalar(c.cmd) ? String(c.cmd) : undefined
    if (text === undefined || (isObj(c) && (c.for !== undefined || c.defer !== undefined))) {
      notes.push(`the command \`${JSON.stringify(c)}\` is not translated (for, defer)`)
      return
    }
    if (isObj(c) && c.platforms) notes.push(`\`platforms\` of \`${text}\` is not translated: it runs everywhere`)
    const ignore = ctx.def.ignore_error === true || (isObj(c) && c.ignore_error === true)
    const cmd = command(text.trim(), i === lastCmd, ctx.name, vars, used, notes)
    run.push(ignore ? `(${cmd}) || true` : cmd)
  })
  return { deps: [...new Set(deps)], run }
}

/** The commands of task `name` (its `task:` calls inlined too), for a call after a command. */
function inlined(ctx: TaskContext, name: string, seen: string[]): string[] {
  const def = ctx.defs.get(name)
  if (!def || seen.includes(name)) return [`echo 'task: ${name} (not translated)' >&2; exit 1`]
  const inner: TaskContext = { ...ctx, name, def }
  const used: Record<string, string | undefined> = {}
  const notes: string[] = []
  const vars = readVars(def.vars, ctx.globalVars, `${name}.vars`, notes)
  const { deps, run } = commands(inner, vars, used, notes)
  return [...deps.flatMap((d) => inlined(ctx, d, [...seen, name])), ...run]
}

/** One command with `{{.X}}` rewritten; `{{.CLI_ARGS}}` ending the last command left to `--`. */
function command(
  text: string,
  last: boolean,
  task: string,
  vars: Map<string, Var>,
  used: Record<string, string | undefined>,
  notes: string[],
): string {
  let t = text
  if (last && /\s*\{\{\s*\.CLI_ARGS\s*\}\}\s*$/.test(t)) t = t.replace(/\s*\{\{\s*\.CLI_ARGS\s*\}\}\s*$/, '')
  const s = substitute(t, {
    open: '{{',
    close: '}}',
    resolve: (e) => {
      const m = /^\.(\w+)$/.exec(e)
      if (!m) return undefined
      const n = m[1]!
      if (n === 'TASK') return [{ kind: 'lit', text: task }]
      const v = vars.get(n)
      if (v && 'parts' in v) return v.parts
      if (v && isVarName(n)) used[n] = v.value
      else if (!v && !(n in used)) notes.push(`\`{{.${n}}}\` is read as the environment variable ${n}`)
      return v && !isVarName(n) ? [{ kind: 'lit', text: v.value }] : [{ kind: 'ref', name: n }]
    },
  })
  for (const e of s.untranslated) notes.push(`\`{{${e}}}\` is not translated (left as written)`)
  return s.text
}
