/**
 * Text interpolation of other task runners (just's `{{name}}`, go-task's `{{.NAME}}`) rewritten as
 * the shell's own expansion, for the importers of those tools. The interpolated value was pasted
 * into the command before the shell read it; here it becomes `${NAME}` (a task variable or an
 * environment variable, which the tasks' commands see), placed so the shell expands it where the
 * original text stood: inside single quotes the quote is closed around it (`'"${NAME}"'`), since sh
 * expands nothing there.
 */

/**
 * A piece of an interpolated value: literal text, a variable (by name; `fallback`: its value when
 * unset, sh's `${name-fallback}`) or a command substitution.
 */
export type Part =
  { kind: 'lit'; text: string } | { kind: 'ref'; name: string; fallback?: string } | { kind: 'sh'; command: string }

/** Where the scan of a command stands: outside quotes, inside `'...'` or `"..."`, or in an unquoted here-document body. */
type QuoteState = 'none' | 'single' | 'double' | 'heredoc'

/** Options of {@link substitute}. */
export interface SubstituteOptions {
  /** The opening and closing markers, e.g. `{{` and `}}`. */
  open: string
  close: string
  /** A literal spelling of `open` that is not an interpolation (just's `{{{{`). */
  escapedOpen?: string
  /** True when `text` becomes the body of an unquoted here-document (`$`, `` ` `` and `\` are escaped). */
  heredoc?: boolean
  /** The parts of one interpolation's expression (trimmed text between the markers), or undefined when it has no translation. */
  resolve: (expression: string) => Part[] | undefined
}

/**
 * `text` with each interpolation replaced by its shell spelling.
 * @returns the command, and the expressions `resolve` could not translate (left as written in the command)
 */
export function substitute(text: string, o: SubstituteOptions): { text: string; untranslated: string[] } {
  let out = ''
  let state: QuoteState = o.heredoc ? 'heredoc' : 'none'
  const untranslated: string[] = []
  const lit = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!
      if (state === 'heredoc') {
        out += c === '$' || c === '`' || c === '\\' ? `\\${c}` : c
        continue
      }
      out += c
      if (state === 'single') {
        if (c === "'") state = 'none'
      } else if (c === '\\' && i + 1 < s.length) out += s[++i]
      else if (c === '"') state = state === 'double' ? 'none' : 'double'
      else if (c === "'" && state === 'none') state = 'single'
    }
  }
  const expansion = (e: string) => (state === 'single' ? `'"${e}"'` : e)
  let i = 0
  while (i < text.length) {
    if (o.escapedOpen && text.startsWith(o.escapedOpen, i)) {
      lit(o.open)
      i += o.escapedOpen.length
      continue
    }
    if (!text.startsWith(o.open, i)) {
      lit(text[i]!)
      i++
      continue
    }
    const end = text.indexOf(o.close, i + o.open.length)
    if (end < 0) {
      lit(text.slice(i))
      break
    }
    const expr = text.slice(i + o.open.length, end).trim()
    const parts = o.resolve(expr)
    if (!parts) {
      untranslated.push(expr)
      out += text.slice(i, end + o.close.length)
    } else {
      for (const p of parts) {
        if (p.kind === 'lit') lit(p.text)
        else if (p.kind === 'ref') out += expansion(`\${${p.name}${p.fallback === undefined ? '' : `-${p.fallback}`}}`)
        else out += expansion(`$(${p.command})`)
      }
    }
    i = end + o.close.length
  }
  return { text: out, untranslated }
}

/** True when `name` can be a task variable and a sh variable (letters, digits, `_`; not starting with a digit). */
export function isVarName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
}
