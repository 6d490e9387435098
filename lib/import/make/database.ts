/**
 * The first stage of the Makefile import: what GNU make itself says about the makefile. Two dry
 * runs of `make -p` (the database make prints: variables, pattern rules and every target with its
 * prerequisites, recipe and stem) parsed into {@link Rule}s and {@link MakeVar}s, and `make -n` for
 * the recipe of one target as make would run it today.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { TasksError } from '../../errors.js'

/** A variable of make's database: its value as make stores it, its flavor and where it was set. */
export interface MakeVar {
  value: string
  flavor: 'simple' | 'recursive'
  origin: string
}
/** An entry of the `# Files` section: a target with its prerequisites, recipe and target-specific variables. */
export interface Rule {
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

/** make's special targets (never tasks). */
const SPECIAL =
  /^\.(PHONY|SUFFIXES|DEFAULT|PRECIOUS|INTERMEDIATE|SECONDARY|SECONDEXPANSION|DELETE_ON_ERROR|IGNORE|LOW_RESOLUTION_TIME|SILENT|EXPORT_ALL_VARIABLES|NOTPARALLEL|ONESHELL|POSIX|NOTINTERMEDIATE)$/

/** What the two passes over make's database found. */
export interface MakeDatabase {
  /** Every file entry of pass 2 that is not a special target, a suffix rule or a makefile, in make's order. */
  rules: Rule[]
  /** The rules that are targets (not merely files make considered), by target. */
  targets: Map<string, Rule>
  /** The `.PHONY` targets. */
  phony: Set<string>
  /** The global variables (pass 2's, completed by pass 1's). */
  vars: Map<string, MakeVar>
}

/**
 * Read the makefile's database in two passes: pass 1 lists the targets and pattern rules; pass 2
 * names every target and every file a pattern rule makes from an existing file as a goal,
 * everything considered out of date (`-B`), so make does the implicit rule search for every
 * prerequisite and prints each rule with its stem.
 * @param fileArgs `['-f', makefile]` or nothing
 * @param env make's environment
 * @throws {TasksError} `usage` when make printed no database.
 */
export function readDatabase(make: string, fileArgs: string[], cwd: string, env: NodeJS.ProcessEnv): MakeDatabase {
  // Pass 1: the targets and pattern rules.
  const first = database(make, [...fileArgs, '-p', '-n', '-q', '-k'], cwd, env)
  const vars = parseVariables(first)
  const explicit = parseFiles(first).filter((r) => !r.notTarget && !SPECIAL.test(r.target) && !isSuffixRule(r.target))
  const goals = new Set(explicit.map((r) => r.target))
  for (const g of patternGoals(parsePatternRules(first), cwd)) goals.add(g)

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
  const phony = new Set(rules.filter((r) => r.phony).map((r) => r.target))
  const allVars = parseVariables(second)
  for (const [k, v] of vars) if (!allVars.has(k)) allVars.set(k, v)
  return { rules, targets, phony, vars: allVars }
}

/** Pattern rules for the files that exist: `%.o: %.c` and src/x.c -> src/x.o (in the order found). */
function patternGoals(patterns: { targets: string[]; prereqs: string[] }[], cwd: string): string[] {
  const goals: string[] = []
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
        if (target !== f) goals.push(target)
      }
    }
  }
  return goals
}

/** An old-fashioned suffix rule (`.c.o`): make applies it through its own implicit search. */
function isSuffixRule(t: string): boolean {
  return /^\.[^./%]+\.[^./%]+$/.test(t) && !/[A-Z]{3,}/.test(t)
}

/**
 * make's database text (stdout from `# GNU Make` on).
 * @throws {TasksError} `usage` when make printed no database (its last error lines quoted).
 */
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

/** The text of one `# Title` section of the database, up to the next section. */
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
export function parseVariables(db: string): Map<string, MakeVar> {
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

/** A rule line split at its first unescaped `:` or `::` (not `:=`): targets and prerequisites. */
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

/** The recipe make would run for this one target now (`make -n -B` with its prerequisites assumed old). */
export function frozenRecipe(make: string, fileArgs: string[], cwd: string, env: NodeJS.ProcessEnv, r: Rule): string[] {
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
