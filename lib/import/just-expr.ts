/**
 * just's expressions (the right side of `x := ...`, parameter defaults, the inside of `{{...}}`)
 * read into {@link Part}s: string literals, variables and parameters, `+` (concatenation), `/`
 * (path join), backticks (command substitution), `env_var('X')`, `env_var_or_default('X', 'd')`
 * and `env('X'[, 'd'])`. Anything else (`if`, other functions, `'''` strings) has no translation.
 */
import type { Part } from './interpolate.js'

type Token = { t: 'str' | 'tick' | 'id' | 'op'; v: string }

/** What a name in an expression means: a parameter or variable with its parts, or unknown. */
export type Lookup = (name: string) => Part[] | undefined

/** The tokens of a just expression, or undefined for what this reader does not take (e.g. `'''`). */
function tokenize(src: string): Token[] | undefined {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
    } else if (src.startsWith("'''", i) || src.startsWith('"""', i) || src.startsWith('```', i)) {
      return undefined
    } else if (c === "'" || c === '`') {
      const end = src.indexOf(c, i + 1)
      if (end < 0) return undefined
      out.push({ t: c === '`' ? 'tick' : 'str', v: src.slice(i + 1, end) })
      i = end + 1
    } else if (c === '"') {
      let v = ''
      let j = i + 1
      const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' }
      for (; j < src.length && src[j] !== '"'; j++) {
        if (src[j] === '\\') v += esc[src[++j] ?? ''] ?? `\\${src[j]}`
        else v += src[j]
      }
      if (j >= src.length) return undefined
      out.push({ t: 'str', v })
      i = j + 1
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w-]*/.exec(src.slice(i))![0]
      out.push({ t: 'id', v: m })
      i += m.length
    } else if ('+/(),'.includes(c)) {
      out.push({ t: 'op', v: c })
      i++
    } else return undefined
  }
  return out
}

/**
 * The parts of just expression `src`, or undefined when it uses what has no translation here.
 * @param lookup resolves the names of variables and parameters
 */
export function evalJust(src: string, lookup: Lookup): Part[] | undefined {
  const toks = tokenize(src)
  if (!toks || toks.length === 0) return undefined
  let i = 0
  const term = (): Part[] | undefined => {
    const tok = toks[i++]
    if (!tok) return undefined
    if (tok.t === 'str') return [{ kind: 'lit', text: tok.v }]
    if (tok.t === 'tick') return [{ kind: 'sh', command: tok.v.trim() }]
    if (tok.t === 'op' && tok.v === '(') {
      const inner = expr()
      return toks[i++]?.v === ')' ? inner : undefined
    }
    if (tok.t !== 'id' || tok.v === 'if') return undefined
    if (toks[i]?.v !== '(') return lookup(tok.v)
    i++
    const args: string[] = []
    while (toks[i] && toks[i]!.v !== ')') {
      const a = toks[i++]!
      if (a.t !== 'str') return undefined
      args.push(a.v)
      if (toks[i]?.v === ',') i++
    }
    i++
    return callFunction(tok.v, args)
  }
  const expr = (): Part[] | undefined => {
    let left = term()
    while (left && toks[i]?.t === 'op' && (toks[i]!.v === '+' || toks[i]!.v === '/')) {
      const op = toks[i++]!.v
      const right = term()
      if (!right) return undefined
      left = [...left, ...(op === '/' ? [{ kind: 'lit' as const, text: '/' }] : []), ...right]
    }
    return left
  }
  const parts = expr()
  return parts && i === toks.length ? merge(parts) : undefined
}

/** The environment functions of just (with literal arguments). */
function callFunction(name: string, args: string[]): Part[] | undefined {
  const v = args[0]
  if (!v || !/^[A-Za-z_]\w*$/.test(v)) return undefined
  if ((name === 'env_var' || name === 'env') && args.length === 1) return [{ kind: 'ref', name: v }]
  if ((name === 'env_var_or_default' || name === 'env') && args.length === 2 && /^[\w./:@%+-]*$/.test(args[1]!))
    return [{ kind: 'ref', name: v, fallback: args[1] }]
  return undefined
}

/** Adjacent literals joined. */
function merge(parts: Part[]): Part[] {
  const out: Part[] = []
  for (const p of parts) {
    const last = out.at(-1)
    if (p.kind === 'lit' && last?.kind === 'lit') out[out.length - 1] = { kind: 'lit', text: last.text + p.text }
    else out.push(p)
  }
  return out
}

/** The value of `parts` when they are all literal text, else undefined. */
export function staticValue(parts: readonly Part[]): string | undefined {
  return parts.every((p) => p.kind === 'lit') ? parts.map((p) => (p as { text: string }).text).join('') : undefined
}
