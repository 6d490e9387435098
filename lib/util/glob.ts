/**
 * The one home of glob matching: picomatch compiled once per pattern and options for the process,
 * loaded on first use (a no-op run whose patterns are literal paths or `dir/**` never loads it:
 * start-up speed), plus the glob facts that need no compile (which characters make a glob, the
 * static base folder). Used by the fingerprint (input and output listing), the config checks,
 * workspace discovery, `--filter` and watch mode. A leaf module.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** A compiled glob: whether a POSIX path (or a name) matches. */
export type Matcher = (path: string) => boolean

/**
 * Characters that make a pattern a glob (picomatch's wildcards, classes, braces, extglob parens,
 * negation, escapes); a pattern without any is a literal path.
 */
export const GLOB_SYNTAX = /[*?[\]{}()!\\]/

/** picomatch's options as used here. */
export interface GlobOptions {
  /** Whether `*` and `**` match names starting with `.`. @default true */
  dot?: boolean
  /** Whether POSIX bracket classes (`[[:alpha:]]`) are supported. @default true */
  posix?: boolean
}

interface Picomatch {
  (glob: string | string[], options: object): Matcher
  scan(glob: string): { base: string }
}

let pm: Picomatch | undefined
/** picomatch, required on first use. */
const picomatch = (): Picomatch => (pm ??= require('picomatch') as Picomatch)

/** Matchers kept at most (a watch session recompiles after a config change; the memo is cleared when full). */
const MEMO_LIMIT = 10_000
const matchers = new Map<string, Matcher>()

/**
 * picomatch's matcher for a glob (or a list of globs: a path matches when one matches), compiled
 * once per process for each glob and options.
 * @param options @default `{ dot: true, posix: true }`
 */
export function compileGlob(glob: string | readonly string[], options: GlobOptions = {}): Matcher {
  const dot = options.dot ?? true
  const posix = options.posix ?? true
  const key = `${dot ? 'd' : '-'}${posix ? 'p' : '-'}${typeof glob === 'string' ? `:${glob}` : `[${glob.join('\0')}`}`
  let m = matchers.get(key)
  if (!m) {
    m = picomatch()(typeof glob === 'string' ? glob : [...glob], { dot, posix })
    if (matchers.size >= MEMO_LIMIT) matchers.clear()
    matchers.set(key, m)
  }
  return m
}

/**
 * The leading folders of a glob without glob syntax (`src/lib` of `src/lib/**\/*.ts`, `''` for
 * `*.ts`); for a literal path, its folder. Computed without picomatch (see {@link scanBase} for
 * picomatch's own answer, which keeps a literal path whole).
 */
export function staticBase(glob: string): string {
  const parts = glob.split('/')
  let n = 0
  while (n < parts.length - 1 && !GLOB_SYNTAX.test(parts[n]!)) n++
  return parts.slice(0, n).join('/')
}

/** picomatch's `scan(glob).base`: the static part of a glob (a literal path whole, `''` for `*.ts`). Loads picomatch. */
export function scanBase(glob: string): string {
  return picomatch().scan(glob).base
}
