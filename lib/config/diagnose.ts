/**
 * Positions for errors raised while a config is imported, so each names `file:line:col`: JSON
 * syntax errors, syntax errors of JavaScript configs (Node's own carry no position), a throw at
 * import time (the first stack frame in the config; source maps map a `.ts` config's compiled
 * copy back to it, also for a copy compiled in memory, whose frames Node leaves unmapped), and a missing package (the import as written in the config file, not the
 * compiled copy). Only called on error paths.
 */
import { readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { basename } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { TasksError, type ErrorLocation } from '../errors.js'

/** Line and column of `JSON.parse`'s error: Node 20 says `at position N`, Node 22 `(line L column C)`. */
export function jsonLocation(text: string, message: string): ErrorLocation {
  const lc = /line (\d+) column (\d+)/.exec(message)
  if (lc) return lineAt(text, +lc[1]!, +lc[2]!)
  const pos = /at position (\d+)/.exec(message)
  if (!pos) return {}
  const before = text.slice(0, +pos[1]!)
  return lineAt(text, before.split('\n').length, +pos[1]! - before.lastIndexOf('\n'))
}

function lineAt(text: string, line: number, column: number): ErrorLocation {
  return { line, column, length: 1, lineText: text.split('\n')[line - 1]?.replace(/\r$/, '') }
}

/**
 * A syntax error of a `.js`/`.mjs`/`.cjs` config with file:line:col: Node's `SyntaxError` from
 * `import()` carries no position, so esbuild parses the file to find it (only on this error path).
 */
export async function syntaxError(file: string, err: SyntaxError): Promise<TasksError> {
  try {
    const esbuild = await import('esbuild')
    await esbuild.transform(readFileSync(file, 'utf8'), { loader: 'js', sourcefile: file, logLevel: 'silent' })
  } catch (parsed) {
    const first = (parsed as { errors?: import('esbuild').Message[] }).errors?.[0]
    if (first?.location) {
      const loc = first.location
      return new TasksError(
        'config-syntax',
        err.message,
        { file, line: loc.line, column: loc.column + 1, length: loc.length || 1, lineText: loc.lineText },
        'fix the syntax at the position shown',
      )
    }
  }
  return new TasksError(
    'config-syntax',
    err.message,
    { file, ...stackLocation(err, file) },
    'fix the syntax of the config file',
  )
}

/**
 * A config importing a package (or file) that cannot be found: the error points at the import in
 * the config file (not at the compiled copy under `.tasks/config`) and says how to install it.
 */
export function missingImport(err: unknown, file: string): TasksError | undefined {
  const e = err as NodeJS.ErrnoException
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return undefined
  const m = /Cannot find (package|module) '([^']+)'/.exec(e.message)
  if (!m) return undefined
  // A package's own missing dependency is that package's problem: the generic error shows it.
  if (/imported from \S*node_modules/.test(e.message)) return undefined
  const spec = m[1] === 'package' ? m[2]! : m[2]!.startsWith('file:') ? fileURLToPath(m[2]!) : m[2]!
  let source = ''
  try {
    source = readFileSync(file, 'utf8')
  } catch {}
  // The import as written: the package name (maybe with a subpath), or a relative path ending in the file's name.
  const re =
    m[1] === 'package'
      ? new RegExp(`(['"])(${escapeRe(spec)}(?:/[^'"]*)?)\\1`)
      : new RegExp(
          `(['"])(\\.{1,2}/[^'"]*${escapeRe(basename(spec).replace(/\.[cm]?[jt]s$/, ''))}(?:\\.[cm]?[jt]s)?)\\1`,
        )
  const hit = re.exec(source)
  const where: ErrorLocation = hit ? locAt(source, hit.index, hit[0].length) : {}
  return m[1] === 'package'
    ? new TasksError(
        'config-load',
        `the config imports the package \`${spec}\`, which is not installed`,
        { file, ...where },
        `install it (\`npm install --save-dev ${spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]}\`) or fix the import`,
      )
    : new TasksError(
        'config-load',
        `the config imports \`${hit?.[2] ?? spec}\`, which does not exist${hit ? ` (${spec})` : ''}`,
        { file, ...where },
        'fix the import path (relative to the config file)',
      )
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

function locAt(source: string, index: number, length: number): ErrorLocation {
  const before = source.slice(0, index)
  const lineStart = before.lastIndexOf('\n') + 1
  const lineEnd = source.indexOf('\n', index)
  return {
    line: before.split('\n').length,
    column: index - lineStart + 1,
    length,
    lineText: source.slice(lineStart, lineEnd < 0 ? undefined : lineEnd),
  }
}

/** Line and column of the first stack frame inside `file`, when there is one. */
export function stackLocation(err: unknown, file: string): ErrorLocation {
  const stack = String((err as Error)?.stack ?? '')
  const url = pathToFileURL(file).href
  let text: string | undefined
  const located = (line: number, column: number): ErrorLocation => {
    try {
      text ??= readFileSync(file, 'utf8')
    } catch {}
    return text === undefined ? { line, column } : lineAt(text, line, column)
  }
  for (const frame of stack.split('\n')) {
    const m = /([^\s(]+):(\d+):(\d+)\)?$/.exec(frame.trim())
    if (!m) continue
    if (m[1] === file || m[1] === url) return located(+m[2]!, +m[3]!)
    // A `.ts` config compiled in memory (`data:` URL): Node does not map its frames, its inline map does.
    if (m[1]!.startsWith(DATA_URL)) {
      const original = mapDataUrlFrame(m[1]!, +m[2]!, +m[3]!, file)
      if (original) return located(original.line, original.column)
    }
  }
  return {}
}

const DATA_URL = 'data:text/javascript;base64,'

/** 1-based position in `file` of a 1-based position in an in-memory module with an inline source map. */
function mapDataUrlFrame(
  url: string,
  line: number,
  column: number,
  file: string,
): { line: number; column: number } | undefined {
  try {
    const code = Buffer.from(url.slice(DATA_URL.length), 'base64').toString('utf8')
    const map = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)/.exec(code)
    if (!map) return undefined
    const entry = new SourceMap(JSON.parse(Buffer.from(map[1]!, 'base64').toString('utf8'))).findEntry(
      line - 1,
      column - 1,
    ) as {
      originalSource?: string
      originalLine?: number
      originalColumn?: number
    }
    if (entry.originalLine === undefined || basename(entry.originalSource ?? '') !== basename(file)) return undefined
    return { line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 }
  } catch {
    return undefined
  }
}
