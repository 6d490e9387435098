/**
 * The second stage of the Makefile import: make's syntax in a recipe line expanded as make would
 * when it runs the recipe (variables, automatic variables, substitution references, the pure text
 * functions), with what reads the environment left to the shell (`${VAR}`, `${VAR-default}`).
 */
import { posix } from 'node:path'
import type { MakeVar, Rule } from './database.js'

/** Variables of the environment a recipe may read without them deciding the result. */
const AMBIENT = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'TMPDIR', 'TERM', 'LANG', 'LC_ALL'])

/** Thrown by {@link expand} for constructs without a faithful static translation. */
export class Untranslatable extends Error {}

/** `@`, `-` and `+` prefixes of a recipe line (in any order). */
export function stripPrefixes(line: string): { cmd: string; ignoreErrors: boolean } {
  let ignoreErrors = false
  let i = 0
  while (i < line.length && /[@+\- \t]/.test(line[i]!)) {
    if (line[i] === '-') ignoreErrors = true
    i++
  }
  return { cmd: line.slice(i), ignoreErrors }
}

/** The automatic variables of a rule, as make sets them when it runs the recipe. */
export function automatic(r: Rule): Record<string, string> {
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

/** What {@link expand} reads (and `envNames`, which it fills in). */
export interface ExpandContext {
  vars: Map<string, MakeVar>
  targetVars: Rule['vars']
  auto: Record<string, string>
  conditional: Map<string, string>
  /** Environment variables the command reads (filled in). */
  envNames: Set<string>
  depth?: number
}

/** make's functions that only transform text: translated. */
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
/** make's other functions: their result depends on files, the shell or evaluation ({@link Untranslatable}). */
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
export function expand(text: string, ctx: ExpandContext): string {
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

/** One `$(...)` reference: a function call, a substitution reference or a variable. */
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

/** A variable's value as make would use it in this recipe (target-specific values first). */
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

/** A function's arguments: split at the commas outside parentheses and braces. */
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

/** `$(patsubst)` of one word: `%` in `pattern` matches the stem, which replaces `%` in `replacement`. */
function patsubstWord(pattern: string, replacement: string, word: string): string {
  const i = pattern.indexOf('%')
  if (i < 0) return word === pattern ? replacement : word
  const pre = pattern.slice(0, i)
  const post = pattern.slice(i + 1)
  if (word.length < pre.length + post.length || !word.startsWith(pre) || !word.endsWith(post)) return word
  const stem = word.slice(pre.length, word.length - post.length)
  return replacement.includes('%') ? replacement.replace('%', stem) : replacement
}

/** Whether `word` matches a `$(filter)` pattern (`%` matches any stem). */
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
