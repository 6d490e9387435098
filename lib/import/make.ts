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
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, posix } from 'node:path'
import { TasksError } from '../errors.js'
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

interface MakeVar {
  value: string
  flavor: 'simple' | 'recursive'
  origin: string
}
interface Rule {
  target: string
  prereqs: string[]
  orderOnly: string[]
  recipe: string[]
  recipeFrom?: string
  phony: boolean
  stem?: string
  notTarget: boolean
  vars: { name: string; op: string; value: string }[]
}

const SPECIAL =
  /^\.(PHONY|SUFFIXES|DEFAULT|PRECIOUS|INTERMEDIATE|SECONDARY|SECONDEXPANSION|DELETE_ON_ERROR|IGNORE|LOW_RESOLUTION_TIME|SILENT|EXPORT_ALL_VARIABLES|NOTPARALLEL|ONESHELL|POSIX|NOTINTERMEDIATE)$/
/** Variables of the environment a recipe may read without them deciding the result. */
const AMBIENT = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'TMPDIR', 'TERM', 'LANG', 'LC_ALL'])

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

  const version = spawnSync(make, ['--version'], { encoding: 'utf8', env })
  if (version.status !== 0 || !/GNU Make/.test(version.stdout)) {
    throw new TasksError(
      'usage',
      `\`${make} --version\` did not answer as GNU make`,
      {},
      'install GNU make (apt-get install make); the import reads its database',
    )
  }
  const makeVersion = /GNU Make ([\d.]+)/.exec(version.stdout)?.[1] ?? '?'

  // Pass 1: the targets and pattern rules.
  const first = database(make, [...fileArgs, '-p', '-n', '-q', '-k'], cwd, env)
  const vars = parseVariables(first)
  const explicit = parseFiles(first).filter((r) => !r.notTarget && !SPECIAL.test(r.target) && !isSuffixRule(r.target))
  const patterns = parsePatternRules(first)

  // Pattern rules for the files that exist: `%.o: %.c` and src/x.c -> src/x.o.
  const goals = new Set(explicit.map((r) => r.target))
  const existing = patterns.length ? listFiles(cwd) : []
  for (const p of patterns) {
    const [tpl] = p.targets
    const src = p.prereqs.find((x) => x.includes('%'))
    if (!tpl || !src) continue
    const [pre, post] = src.split('%') as [string, string] // src includes '%': two parts at least
    for (const f of existing) {
      if (f.length >= pre.length + post.length && f.startsWith(pre) && f.endsWith(post)) {
        const stem = f.slice(pre.length, f.length - post.length)
        const target = tpl.replace('%', stem)
        if (target !== f) goals.add(target)
      }
    }
  }

  // Pass 2: every target as a goal, everything considered out of date (-B), so make does the
  // implicit rule search for every prerequisite and prints each rule with its stem.
  const second = goals.size
    ? database(make, [...fileArgs, '-p', '-n', '-B', '-k', ...[...goals].filter((g) => !g.startsWith('-'))], cwd, env)
    : first
  const rules = parseFiles(second).filter(
    (r) =>
      !SPECIAL.test(r.target) &&
      !isSuffixRule(r.target) &&
      !(r.notTarget && /^\.[^./%]+$/.test(r.target)) &&
      !/^Makefile$|^makefile$|^GNUmakefile$|\.mk$/.test(r.target),
  )
  const isTarget = (r: Rule) => !r.notTarget || r.recipe.length > 0
  const targets = new Map(rules.filter(isTarget).map((r) => [r.target, r]))
  const phonySet = new Set(rules.filter((r) => r.phony).map((r) => r.target))
  const allVars = parseVariables(second)
  for (const [k, v] of vars) if (!allVars.has(k)) allVars.set(k, v)

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

  // `export NAME [= value]`: make puts the variable in every recipe's environment.
  const exported: Record<string, string> = {}
  for (const m of text.matchAll(/^[ \t]*export[ \t]+([^\n=:?+]*?)(?:[ \t]*(?:[:?+]|::)?=.*)?$/gm)) {
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
  if (/^[ \t]*\.EXPORT_ALL_VARIABLES[ \t]*:/m.test(text))
    warnings.push('`.EXPORT_ALL_VARIABLES` is not translated: add the variables the recipes read to `setEnv`')
  // SHELL and .SHELLFLAGS set by the makefile: each command runs through that shell, as make would.
  const shellVar = allVars.get('SHELL')
  const shell =
    shellVar && shellVar.origin === 'makefile' && shellVar.value.trim() !== '/bin/sh'
      ? shellVar.value.trim()
      : undefined
  const shellFlags = allVars.get('.SHELLFLAGS')?.origin === 'makefile' ? allVars.get('.SHELLFLAGS')!.value.trim() : '-c'
  const oneShell = rules.some((r) => r.target === '.ONESHELL') || /^[ \t]*\.ONESHELL[ \t]*:/m.test(text)
  const viaShell = (cmd: string) => (shell ? `${shell} ${shellFlags} '${cmd.replace(/'/g, `'\\''`)}'` : cmd)

  const tasks: GeneratedTask[] = []
  for (const r of [...targets.values()].sort((a, b) => a.target.localeCompare(b.target))) {
    if (/\s/.test(r.target)) {
      warnings.push(
        `target ${JSON.stringify(r.target)} has a space in its name, which a task name cannot have: not imported`,
      )
      continue
    }
    const phony = phonySet.has(r.target)
    const auto = automatic(r)
    const lines: string[] = []
    const envNames = new Set<string>()
    let frozen = false
    for (const raw of r.recipe) {
      const { cmd, ignoreErrors } = stripPrefixes(raw)
      try {
        const expanded = expand(cmd, { vars: allVars, targetVars: r.vars, auto, conditional, envNames })
        lines.push(ignoreErrors ? `(${expanded}) || true` : expanded)
      } catch (err) {
        if (!(err instanceof Untranslatable)) throw err
        frozen = true
        warnings.push(
          `\`${r.target}\`: the recipe uses ${err.message}; the command is make's expansion today, frozen (the original is kept as a comment)`,
        )
        break
      }
    }
    let comment: string | undefined
    // .ONESHELL: the whole recipe is one script for one shell.
    let run: string[] = (oneShell && lines.length > 1 ? [lines.join('\n')] : lines).map(viaShell)
    if (frozen) {
      comment = `from ${r.recipeFrom ?? makefile}, not translated:\n${r.recipe.map((l) => `\t${l}`).join('\n')}`
      run = frozenRecipe(make, fileArgs, cwd, env, r)
    }
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
    tasks.push({
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
    })
  }
  const goal = allVars.get('.DEFAULT_GOAL')?.value.trim()
  if (goal && targets.has(goal) && !targets.has('default')) {
    tasks.push({ name: 'default', description: `make's default goal: ${goal}`, deps: [goal], outputs: [], env: [] })
  }
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

/** Thrown by {@link expand} for constructs without a faithful static translation. */
class Untranslatable extends Error {}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

/** An old-fashioned suffix rule (`.c.o`): make applies it through its own implicit search. */
function isSuffixRule(t: string): boolean {
  return /^\.[^./%]+\.[^./%]+$/.test(t) && !/[A-Z]{3,}/.test(t)
}

/** make's database text (stdout from `# GNU Make` on); make's errors when it printed none. */
function database(make: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(make, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  const at = r.stdout?.indexOf('\n# GNU Make') ?? -1
  const start = r.stdout?.startsWith('# GNU Make') ? 0 : at + 1
  if (!r.stdout || (at < 0 && start !== 0) || !r.stdout.includes('\n# Files')) {
    throw new TasksError(
      'usage',
      `make could not read the makefile: ${(r.stderr || r.error?.message || 'no database printed').trim().split('\n').slice(-3).join(' / ')}`,
      {},
      'fix the Makefile until `make -pn` succeeds, then import again',
    )
  }
  return r.stdout.slice(start)
}

function section(db: string, title: string): string {
  const i = db.indexOf(`\n# ${title}\n`)
  if (i < 0) return ''
  const rest = db.slice(i + title.length + 4)
  const next = rest.search(
    /\n# (Variables|Pattern-specific Variable Values|Directories|Implicit Rules|Files|VPATH Search Paths|files hash-table stats:)\n/,
  )
  return next < 0 ? rest : rest.slice(0, next)
}

/** The global variables: `# origin` line, then `NAME = value` (recursive) or `NAME := value` (simple), or `define`. */
function parseVariables(db: string): Map<string, MakeVar> {
  const out = new Map<string, MakeVar>()
  const lines = section(db, 'Variables').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const origin = /^# (default|environment|environment override|makefile|command line|override|automatic)\b/.exec(
      lines[i]!,
    )?.[1]
    if (!origin) continue
    const line = lines[i + 1] ?? ''
    const def = /^define ([^\s]+)\s*$/.exec(line)
    if (def) {
      const body: string[] = []
      let j = i + 2
      for (; j < lines.length && lines[j] !== 'endef'; j++) body.push(lines[j]!)
      out.set(def[1]!, { value: body.join('\n'), flavor: 'recursive', origin })
      i = j
      continue
    }
    const m = /^([^\s:#=]+) (:{0,2}=) ?(.*)$/.exec(line)
    if (m) out.set(m[1]!, { value: m[3]!, flavor: m[2] === '=' ? 'recursive' : 'simple', origin })
  }
  return out
}

/** The user's pattern rules (built-in ones are left to make's own search in pass 2). */
function parsePatternRules(db: string): { targets: string[]; prereqs: string[] }[] {
  const out: { targets: string[]; prereqs: string[] }[] = []
  for (const entry of section(db, 'Implicit Rules').split(/\n\n+/)) {
    if (!/recipe to execute \(from /.test(entry)) continue
    const head = entry.split('\n').find((l) => !/^[#\t]/.test(l) && /^[^:]*%[^:]*:/.test(l))
    if (!head) continue
    const [t, p = ''] = splitRuleLine(head)
    out.push({ targets: t.split(/\s+/).filter(Boolean), prereqs: p.split('|')[0]!.split(/\s+/).filter(Boolean) })
  }
  return out
}

function splitRuleLine(line: string): [string, string] {
  const m = /^(.*?[^\\]):{1,2}(?!=)(.*)$/.exec(line)
  return m ? [m[1]!, m[2]!] : [line, '']
}

/** The entries of the `# Files` section. */
function parseFiles(db: string): Rule[] {
  const out: Rule[] = []
  const text = section(db, 'Files')
  let pendingVars: Rule['vars'] = []
  for (const block of text.split(/\n\n+/)) {
    const lines = block.split('\n')
    let notTarget = false
    let rule: Rule | undefined
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!
      if (l === '# Not a target:') {
        notTarget = true
        continue
      }
      if (!rule) {
        if (/^# (makefile|override|command line|environment)/.test(l)) {
          // A target-specific variable: `target: NAME op value` on the next line.
          const tv = /^(.+?): ([^\s:=]+) ((?:\+|:|::|\?)?=) ?(.*)$/.exec(lines[i + 1] ?? '')
          if (tv) {
            pendingVars.push({ name: tv[2]!, op: tv[3]!, value: tv[4]! })
            i++
          }
          continue
        }
        if (l.startsWith('#') || !l.includes(':')) continue
        const [t, p] = splitRuleLine(l)
        const [normal, order = ''] = p.split('|') as [string, ...string[]]
        rule = {
          target: t.trim(),
          prereqs: normal.split(/\s+/).filter(Boolean),
          orderOnly: order.split(/\s+/).filter(Boolean),
          recipe: [],
          phony: false,
          notTarget,
          vars: pendingVars,
        }
        pendingVars = []
        continue
      }
      if (/^#  Phony target/.test(l)) rule.phony = true
      const stem = /^#  Implicit\/static pattern stem: '(.*)'$/.exec(l)
      if (stem) rule.stem = stem[1]!
      const from = /^#  recipe to execute \(from '(.+)', line (\d+)\):$/.exec(l)
      if (from || l === '#  recipe to execute (built-in):') {
        if (from) rule.recipeFrom = `${from[1]}:${from[2]}`
        for (i++; i < lines.length && lines[i]!.startsWith('\t'); i++) {
          const body = lines[i]!.slice(1)
          const prev = rule.recipe.length - 1
          if (prev >= 0 && /(^|[^\\])(\\\\)*\\$/.test(rule.recipe[prev]!)) rule.recipe[prev] += `\n${body}`
          else rule.recipe.push(body)
        }
        i--
      }
    }
    if (rule) out.push(rule)
  }
  return out
}

/** Files under `dir` (POSIX, relative), skipping dot folders, node_modules and .tasks; at most 20,000. */
function listFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    if (out.length > 20_000) return
    let entries
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && e.name !== 'node_modules') walk(p)
      } else out.push(p)
    }
  }
  walk('')
  return out
}

/** `@`, `-` and `+` prefixes of a recipe line (in any order). */
function stripPrefixes(line: string): { cmd: string; ignoreErrors: boolean } {
  let ignoreErrors = false
  let i = 0
  while (i < line.length && /[@+\- \t]/.test(line[i]!)) {
    if (line[i] === '-') ignoreErrors = true
    i++
  }
  return { cmd: line.slice(i), ignoreErrors }
}

/** The automatic variables of a rule, as make sets them when it runs the recipe. */
function automatic(r: Rule): Record<string, string> {
  const uniq = r.prereqs.filter((p, i, a) => a.indexOf(p) === i)
  const base: Record<string, string> = {
    '@': r.target,
    '<': r.prereqs[0] ?? '',
    '^': uniq.join(' '),
    '+': r.prereqs.join(' '),
    // Every prerequisite counts as newer: the task runs when any input changed.
    '?': uniq.join(' '),
    '*': r.stem ?? '',
    '|': r.orderOnly.join(' '),
    '%': '',
  }
  const out: Record<string, string> = { ...base }
  for (const [k, v] of Object.entries(base)) {
    const words = v.split(/\s+/).filter(Boolean)
    out[`${k}D`] = words.map((w) => posix.dirname(w)).join(' ')
    out[`${k}F`] = words.map((w) => posix.basename(w)).join(' ')
  }
  return out
}

interface ExpandContext {
  vars: Map<string, MakeVar>
  targetVars: Rule['vars']
  auto: Record<string, string>
  conditional: Map<string, string>
  /** Environment variables the command reads (filled in). */
  envNames: Set<string>
  depth?: number
}

const PURE_FUNCTIONS = new Set([
  'subst',
  'patsubst',
  'strip',
  'findstring',
  'filter',
  'filter-out',
  'sort',
  'word',
  'words',
  'wordlist',
  'firstword',
  'lastword',
  'dir',
  'notdir',
  'suffix',
  'basename',
  'addsuffix',
  'addprefix',
  'join',
  'if',
  'or',
  'and',
])
const OTHER_FUNCTIONS = new Set([
  'wildcard',
  'shell',
  'call',
  'eval',
  'foreach',
  'origin',
  'flavor',
  'value',
  'info',
  'warning',
  'error',
  'file',
  'realpath',
  'abspath',
  'guile',
  'let',
  'intcmp',
])

/**
 * Expand make syntax in one recipe line. Same rules as make's: `$$` is `$`, `$(x)`/`${x}`/`$x`
 * are variables (recursive ones expanded at use, simple ones inserted as they are), automatic
 * variables come from the rule, `$(VAR:a=b)` substitution references, pure text functions.
 * @throws {Untranslatable} for functions whose result depends on the file system, the shell or
 *   evaluation (`shell`, `wildcard`, `call`, `foreach`, `eval`...).
 */
function expand(text: string, ctx: ExpandContext): string {
  if ((ctx.depth ?? 0) > 50) throw new Untranslatable('a recursive variable that references itself')
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c !== '$') {
      out += c
      continue
    }
    const n = text[i + 1]
    if (n === undefined) break
    if (n === '$') {
      out += '$'
      i++
      continue
    }
    if (n === '(' || n === '{') {
      const close = n === '(' ? ')' : '}'
      let depth = 0
      let j = i + 1
      for (; j < text.length; j++) {
        if (text[j] === n) depth++
        else if (text[j] === close && --depth === 0) break
      }
      if (j >= text.length) throw new Untranslatable('an unterminated variable reference')
      out += reference(text.slice(i + 2, j), ctx)
      i = j
      continue
    }
    out += reference(n, ctx)
    i++
  }
  return out
}

function reference(body: string, ctx: ExpandContext): string {
  const fn = /^([a-z-]+)[ \t]/.exec(body)
  const name = fn?.[1]
  if (fn && name && (PURE_FUNCTIONS.has(name) || OTHER_FUNCTIONS.has(name))) {
    if (!PURE_FUNCTIONS.has(name)) throw new Untranslatable(`\`$(${name} ...)\``)
    return callFunction(name, splitArgs(body.slice(fn[0].length)), ctx)
  }
  const sub = /^([^:=\s]+):([^=]*)=(.*)$/s.exec(body)
  if (sub) {
    const words = variable(expand(sub[1]!, ctx), ctx).split(/\s+/).filter(Boolean)
    const from = expand(sub[2]!, ctx)
    const to = expand(sub[3]!, ctx)
    const [pat, rep] = from.includes('%') ? [from, to] : [`%${from}`, `%${to}`]
    return words.map((w) => patsubstWord(pat, rep, w)).join(' ')
  }
  return variable(expand(body, ctx), ctx)
}

function variable(name: string, ctx: ExpandContext): string {
  const auto = ctx.auto[name]
  if (auto !== undefined) return auto
  if (name === 'MAKE') return 'make'
  if (name === 'CURDIR') return '$PWD'
  // Target-specific values first (as make does when it runs this target's recipe).
  let value: string | undefined
  let flavor: MakeVar['flavor'] = 'recursive'
  const global = ctx.vars.get(name)
  if (ctx.conditional.has(name) && global && global.origin !== 'automatic') {
    // `VAR ?= default`: the environment may set it when the task runs.
    ctx.envNames.add(name)
    const inner =
      global.flavor === 'recursive' ? expand(global.value, { ...ctx, depth: (ctx.depth ?? 0) + 1 }) : global.value
    return `\${${name}-${inner.replace(/[}"\\`]/g, '\\$&')}}`
  }
  if (global && global.origin !== 'environment' && global.origin !== 'environment override') {
    value = global.value
    flavor = global.flavor
  }
  for (const tv of ctx.targetVars) {
    if (tv.name !== name) continue
    if (tv.op === '+=') value = value ? `${value} ${tv.value}` : tv.value
    else if (tv.op === '?=') value ??= tv.value
    else value = tv.value
    flavor = tv.op === ':=' || tv.op === '::=' ? 'simple' : flavor
  }
  if (value === undefined) {
    if (!/^[A-Za-z_]\w*$/.test(name)) return ''
    // Not defined by the makefile: make would read it from the environment when the task runs.
    if (!AMBIENT.has(name)) ctx.envNames.add(name)
    return `\${${name}}`
  }
  return flavor === 'recursive' ? expand(value, { ...ctx, depth: (ctx.depth ?? 0) + 1 }) : value
}

function splitArgs(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(' || ch === '{') depth++
    if (ch === ')' || ch === '}') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out
}

function patsubstWord(pattern: string, replacement: string, word: string): string {
  const i = pattern.indexOf('%')
  if (i < 0) return word === pattern ? replacement : word
  const pre = pattern.slice(0, i)
  const post = pattern.slice(i + 1)
  if (word.length < pre.length + post.length || !word.startsWith(pre) || !word.endsWith(post)) return word
  const stem = word.slice(pre.length, word.length - post.length)
  return replacement.includes('%') ? replacement.replace('%', stem) : replacement
}

function matchesPattern(pattern: string, word: string): boolean {
  const i = pattern.indexOf('%')
  if (i < 0) return word === pattern
  return (
    word.length >= pattern.length - 1 && word.startsWith(pattern.slice(0, i)) && word.endsWith(pattern.slice(i + 1))
  )
}

/** make's pure text functions (GNU make manual, "Functions for Transforming Text"). */
function callFunction(name: string, rawArgs: string[], ctx: ExpandContext): string {
  const arg = (k: number) => expand(rawArgs[k] ?? '', ctx)
  const words = (s: string) => s.split(/\s+/).filter(Boolean)
  switch (name) {
    case 'subst':
      return arg(2).split(arg(0)).join(arg(1))
    case 'patsubst':
      return words(arg(2))
        .map((w) => patsubstWord(arg(0), arg(1), w))
        .join(' ')
    case 'strip':
      return words(arg(0)).join(' ')
    case 'findstring':
      return arg(1).includes(arg(0)) ? arg(0) : ''
    case 'filter': {
      const ps = words(arg(0))
      return words(arg(1))
        .filter((w) => ps.some((p) => matchesPattern(p, w)))
        .join(' ')
    }
    case 'filter-out': {
      const ps = words(arg(0))
      return words(arg(1))
        .filter((w) => !ps.some((p) => matchesPattern(p, w)))
        .join(' ')
    }
    case 'sort':
      return [...new Set(words(arg(0)))].sort().join(' ')
    case 'word':
      return words(arg(1))[Number(arg(0).trim()) - 1] ?? ''
    case 'words':
      return String(words(arg(0)).length)
    case 'wordlist':
      return words(arg(2))
        .slice(Number(arg(0).trim()) - 1, Number(arg(1).trim()))
        .join(' ')
    case 'firstword':
      return words(arg(0))[0] ?? ''
    case 'lastword':
      return words(arg(0)).at(-1) ?? ''
    case 'dir':
      return words(arg(0))
        .map((w) => (w.includes('/') ? w.slice(0, w.lastIndexOf('/') + 1) : './'))
        .join(' ')
    case 'notdir':
      return words(arg(0))
        .map((w) => w.slice(w.lastIndexOf('/') + 1))
        .join(' ')
    case 'suffix':
      return words(arg(0))
        .map((w) => /(\.[^./]*)$/.exec(w)?.[1] ?? '')
        .filter(Boolean)
        .join(' ')
    case 'basename':
      return words(arg(0))
        .map((w) => w.replace(/\.[^./]*$/, ''))
        .join(' ')
    case 'addsuffix':
      return words(arg(1))
        .map((w) => w + arg(0))
        .join(' ')
    case 'addprefix':
      return words(arg(1))
        .map((w) => arg(0) + w)
        .join(' ')
    case 'join': {
      const a = words(arg(0)),
        b = words(arg(1))
      return Array.from({ length: Math.max(a.length, b.length) }, (_, k) => (a[k] ?? '') + (b[k] ?? '')).join(' ')
    }
    case 'if':
      return arg(0).trim() ? arg(1) : arg(2)
    case 'or': {
      for (let k = 0; k < rawArgs.length; k++) {
        const v = arg(k)
        if (v.trim()) return v
      }
      return ''
    }
    case 'and': {
      let v = ''
      for (let k = 0; k < rawArgs.length; k++) {
        v = arg(k)
        if (!v.trim()) return ''
      }
      return v
    }
  }
  throw new Untranslatable(`\`$(${name} ...)\``)
}

/** The recipe make would run for this one target now (`make -n -B` with its prerequisites assumed old). */
function frozenRecipe(make: string, fileArgs: string[], cwd: string, env: NodeJS.ProcessEnv, r: Rule): string[] {
  const old = [...r.prereqs, ...r.orderOnly].flatMap((p) => ['-o', p])
  const res = spawnSync(make, [...fileArgs, '-n', '-B', '--no-print-directory', ...old, r.target], {
    cwd,
    env,
    encoding: 'utf8',
  })
  if (res.status !== 0)
    return [
      `echo ${JSON.stringify(`tasks import: could not translate the recipe of ${r.target}; see the comment`)} >&2 && exit 1`,
    ]
  return res.stdout.split('\n').filter((l) => l.length > 0)
}
