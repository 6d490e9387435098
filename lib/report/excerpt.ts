/**
 * Pieces of a task's log for people: a bounded excerpt (head and tail with the middle cut), the
 * first error lines of a failed task, and the first `path:line:col` in them that names a file of
 * the project (for GitHub's `file=`/`line=` annotations and the report's failure box).
 */
import { existsSync, statSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'

/** A log cut to a budget. */
export interface LogExcerpt {
  /** The text shown: the whole log, or its head, a `… N lines cut …` marker and its tail. */
  text: string
  /** True when lines were cut. */
  truncated: boolean
  /** Size of the whole log, bytes (UTF-8). */
  bytes: number
  /** Lines of the whole log. */
  lines: number
}

/** ANSI colour and cursor sequences, removed before anything is shown or matched. */
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g

/** The text without ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '')
}

/**
 * Cut `log` to at most about `budget` characters: a third from the head, the rest from the tail
 * (where errors are), on line boundaries, with a marker saying how many lines were cut.
 */
export function excerptLog(log: string, budget: number): LogExcerpt {
  const clean = stripAnsi(log).replace(/\r\n/g, '\n')
  const all = clean.split('\n')
  if (all.length && all[all.length - 1] === '') all.pop()
  const bytes = Buffer.byteLength(log)
  if (clean.length <= budget) return { text: all.join('\n'), truncated: false, bytes, lines: all.length }
  const headBudget = Math.floor(budget / 3)
  const head: string[] = []
  let used = 0
  for (const l of all) {
    const s = l.length > 400 ? l.slice(0, 400) + '…' : l
    if (used + s.length + 1 > headBudget) break
    head.push(s)
    used += s.length + 1
  }
  const tail: string[] = []
  used = 0
  for (let i = all.length - 1; i >= head.length; i--) {
    const s = all[i]!.length > 400 ? all[i]!.slice(0, 400) + '…' : all[i]!
    if (used + s.length + 1 > budget - headBudget) break
    tail.unshift(s)
    used += s.length + 1
  }
  const cut = all.length - head.length - tail.length
  return {
    text: [...head, `… ${cut} line${cut === 1 ? '' : 's'} cut …`, ...tail].join('\n'),
    truncated: true,
    bytes,
    lines: all.length,
  }
}

const ERROR_LINE = /\b(error|failed|failure|fatal|panic|exception|assert(ion)?)\b|^\s*E\s|✗|✘/i

/**
 * The first error lines of a failed task's log: from the first line that looks like an error
 * (`error`, `failed`, `panic`, `Traceback`…) at most `max` lines; with no such line, the last
 * `max` non-empty lines; with no log, the error message.
 */
export function firstErrorLines(log: string | undefined, error: string | undefined, max = 5): string[] {
  const lines = stripAnsi(log ?? '')
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
  const at = lines.findIndex((l) => ERROR_LINE.test(l) || /^Traceback/.test(l))
  if (at >= 0) return lines.slice(at, at + max)
  if (lines.length) return lines.slice(-max)
  return (error ?? '').split('\n').filter(Boolean).slice(0, max)
}

/** A position in a project file, `file` relative to the base it was asked for (POSIX). */
export interface SourceLocation {
  file: string
  line: number
  col?: number
}

// `path:line:col` (gcc, tsc --pretty, go, rustc's `-->`, eslint) and `path(line,col)` (tsc, msbuild).
const LOCATIONS = [
  /(?:^|[\s'"`(\[])((?:[A-Za-z]:)?[\w@.+\-/\\]+\.[\w]+):(\d+)(?::(\d+))?/g,
  /(?:^|[\s'"`])((?:[A-Za-z]:)?[\w@.+\-/\\]+\.[\w]+)\((\d+),(\d+)\)/g,
]

/**
 * The first `path:line[:col]` (or `path(line,col)`) in `lines` naming an existing file inside
 * `root`; relative paths are tried against `cwd` then `root`. `file` is made relative to `base`
 * (default `root`), e.g. the repository root for GitHub.
 */
export function findSourceLocation(
  lines: readonly string[],
  root: string,
  cwd = root,
  base = root,
): SourceLocation | undefined {
  for (const l of lines) {
    const hits: { index: number; m: RegExpExecArray }[] = []
    for (const re of LOCATIONS) {
      re.lastIndex = 0
      let m: RegExpExecArray | null
      while ((m = re.exec(l))) hits.push({ index: m.index, m })
    }
    hits.sort((a, b) => a.index - b.index)
    for (const { m } of hits) {
      const p = m[1]! // group 1 (the path) is not optional in any of LOCATIONS
      for (const abs of isAbsolute(p) ? [p] : [resolve(cwd, p), resolve(root, p)]) {
        const rel = relative(root, abs)
        if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === 'node_modules') continue
        try {
          if (!existsSync(abs) || !statSync(abs).isFile()) continue
        } catch {
          continue
        }
        const file = relative(base, abs).split(sep).join('/')
        return { file, line: Number(m[2]), ...(m[3] ? { col: Number(m[3]) } : {}) }
      }
    }
  }
  return undefined
}
