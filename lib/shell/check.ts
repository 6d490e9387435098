/**
 * What the portable shell supports, decided before a command runs: the command is parsed with
 * `@yarnpkg/parsers` (the parser `@yarnpkg/shell` runs) and its syntax tree is walked for the
 * constructs the interpreter would run wrongly or not at all (an `if` would be spawned as a program
 * called `if`). A task whose command holds one fails before any of its commands starts.
 */
import type { ShellLine, CommandLine, CommandChain, Argument, ArgumentSegment } from '@yarnpkg/parsers'

/** `sh` keywords: the portable shell has no compound commands (if, loops, case) and no functions. */
const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'select',
  'function',
  '[[',
  ']]',
  '!',
  '{',
  '}',
])

/** `sh` builtins with no portable equivalent here (the portable shell would look for a program of that name). */
const SH_BUILTINS = new Set([
  'exec',
  'eval',
  'source',
  '.',
  'trap',
  'set',
  'shift',
  'read',
  'wait',
  'local',
  'return',
  'ulimit',
  'umask',
  'alias',
  'unalias',
  'command',
  'type',
  'hash',
  'declare',
  'typeset',
  'readonly',
  'let',
  'getopts',
  'jobs',
  'fg',
  'bg',
  'disown',
  'shopt',
  'builtin',
])

/**
 * The first construct in `command` the portable shell does not support, described for an error
 * message (e.g. ``the `if` keyword (compound commands)``), or `undefined` when it supports all of it.
 * Checked: the parse itself (here-documents `<<`, function definitions, `case`, `;;` do not parse);
 * `sh` keywords and unsupported `sh` builtins as a command name; background jobs `&` (and `&>`,
 * which parses as one); comments `#` and tilde expansion `~` (the interpreter would pass them on as
 * text); redirections of descriptors other than 0, 1, 2.
 * @param parseShell `@yarnpkg/parsers`'s parser (loaded by the caller, lazily)
 */
export function unsupportedConstruct(command: string, parseShell: (source: string) => ShellLine): string | undefined {
  const lexical = unquotedWordStart(command)
  if (lexical) return lexical
  let ast: ShellLine
  try {
    ast = parseShell(command)
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0]!
    if (/<<(?!<)/.test(command)) return 'a here-document (`<<`)'
    if (/^\s*[\w-]+\s*\(\s*\)/m.test(command)) return 'a function definition'
    if (/(^|[\s;])case\s/.test(command)) return 'the `case` keyword'
    return `syntax it cannot parse (${msg.replace(/^Expected .* but /, '')})`
  }
  return inLine(ast)
}

function inLine(line: ShellLine): string | undefined {
  for (const { command, type } of line) {
    if (type === '&') return 'a background job (`&`; `&>` parses as one too: write `> file 2>&1`)'
    const found = inCommandLine(command)
    if (found) return found
  }
  return undefined
}

function inCommandLine(line: CommandLine): string | undefined {
  for (let l: CommandLine | undefined = line; l; l = l.then?.line) {
    const found = inChain(l.chain)
    if (found) return found
  }
  return undefined
}

function inChain(chain: CommandChain): string | undefined {
  for (let c: CommandChain | undefined = chain; c; c = c.then?.chain) {
    let found: string | undefined
    if (c.type === 'subshell') found = inLine(c.subshell)
    else if (c.type === 'group') found = inLine(c.group)
    else if (c.type === 'command') {
      const first = c.args.find((a) => a.type === 'argument')
      const name =
        first && first.type === 'argument' && first.segments.length === 1 && first.segments[0]?.type === 'text'
          ? first.segments[0].text
          : undefined
      if (name !== undefined && KEYWORDS.has(name))
        return `the \`${name}\` keyword (compound commands${name === '!' ? ' and negation' : ''})`
      if (name !== undefined && SH_BUILTINS.has(name)) return `the \`${name}\` builtin of sh`
    }
    if (found) return found
    for (const arg of ('args' in c ? c.args : []) as Argument[]) {
      found = inArgument(arg)
      if (found) return found
    }
    for (const env of c.type === 'command' || c.type === 'envs' ? c.envs : []) {
      for (const arg of env.args) {
        found = inArgument(arg)
        if (found) return found
      }
    }
  }
  return undefined
}

function inArgument(arg: Argument): string | undefined {
  if (arg.type === 'redirection') {
    if (arg.fd !== null && arg.fd !== undefined && ![0, 1, 2].includes(arg.fd))
      return `a redirection of file descriptor ${arg.fd}`
    for (const a of arg.args) {
      const found = inArgument(a)
      if (found) return found
    }
    return undefined
  }
  for (const seg of arg.segments) {
    const found = inSegment(seg)
    if (found) return found
  }
  return undefined
}

function inSegment(seg: ArgumentSegment): string | undefined {
  if (seg.type === 'shell') return inLine(seg.shell)
  if (seg.type === 'variable') {
    for (const a of [...(seg.defaultValue ?? []), ...(seg.alternativeValue ?? [])]) {
      const found = inArgument(a)
      if (found) return found
    }
  }
  return undefined
}

/**
 * A `#` or `~` that starts an unquoted word: `sh` reads a comment or a home folder, the portable
 * interpreter would pass the text on. Scans quotes (`'...'`, `"..."`, backslash) by hand because
 * the syntax tree no longer says which text was quoted.
 */
function unquotedWordStart(command: string): string | undefined {
  let quote: string | undefined
  let wordStart = true
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!
    if (quote) {
      if (ch === quote) quote = undefined
      else if (ch === '\\' && quote === '"') i++
      wordStart = false
      continue
    }
    if (ch === '\\') {
      i++
      wordStart = false
      continue
    }
    if (ch === "'" || ch === '"') {
      quote = ch
      wordStart = false
      continue
    }
    if (wordStart && ch === '#') return 'a comment (`#`)'
    if (wordStart && ch === '~') return 'tilde expansion (`~`: write `$HOME`)'
    wordStart = /[\s;&|()<>]/.test(ch)
  }
  return undefined
}
