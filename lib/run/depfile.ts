/**
 * Discovered inputs: reading a Make-format dependency file, as written by `gcc/clang -MMD -MF`
 * and `rustc --emit=dep-info` (ninja's `deps = gcc`), and turning its prerequisites into
 * root-relative input paths. Only files inside the project count; system headers are ignored.
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'

/** A parsed depfile: every rule's targets and prerequisites, in file order (unescaped). */
export interface Depfile {
  targets: string[]
  prerequisites: string[]
}

/**
 * Parse Make's dependency syntax: `target...: prerequisite...` rules, `\` line continuations (LF or
 * CRLF), `\ ` (escaped space), `\#`, `$$`, several rules (gcc's `-MP` adds empty ones per header),
 * `#` comment lines (rustc's `# env-dep:`). A `:` separates only when followed by whitespace or the
 * end of the line, so `C:\src\a.c` stays one path.
 * @returns the rules' paths, or `{ error }` naming the first malformed line (no `target:`, or no rule at all)
 */
export function parseDepfile(text: string): Depfile | { error: string } {
  const targets: string[] = []
  const prerequisites: string[] = []
  const lines = text.replace(/\\\r?\n/g, ' ').split('\n')
  let rules = 0
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '')
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const before: string[] = []
    const after: string[] = []
    let seenColon = false
    let token = ''
    let has = false
    const push = () => {
      if (has) (seenColon ? after : before).push(token)
      token = ''
      has = false
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i]
      const next = line[i + 1]
      if (c === '\\' && (next === ' ' || next === '#' || next === '\t')) {
        token += next
        has = true
        i++
        continue
      }
      if (c === '$' && next === '$') {
        token += '$'
        has = true
        i++
        continue
      }
      if (c === ' ' || c === '\t') {
        push()
        continue
      }
      if (c === ':' && !seenColon && (next === undefined || next === ' ' || next === '\t')) {
        push()
        seenColon = true
        continue
      }
      token += c
      has = true
    }
    push()
    if (!seenColon) return { error: `line ${n + 1} has no \`target:\` separator` }
    if (before.length === 0) return { error: `line ${n + 1} has no target before \`:\`` }
    targets.push(...before)
    prerequisites.push(...after)
    rules++
  }
  if (rules === 0) return { error: 'it has no rule' }
  return { targets, prerequisites }
}

/**
 * Read the task's depfile and give the files it names inside the project.
 * @param root absolute project root
 * @param cwd the task's cwd, root-relative (relative prerequisites are relative to it: the compiler ran there)
 * @param depfile root-relative path of the depfile
 * @returns sorted unique root-relative POSIX paths, or `{ error }` (missing, unreadable, malformed)
 */
export function readDepfile(root: string, cwd: string, depfile: string): { files: string[] } | { error: string } {
  let text: string
  try {
    text = readFileSync(join(root, depfile), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return {
      error:
        code === 'ENOENT'
          ? 'it does not exist after the run'
          : `it could not be read (${code ?? (err as Error).message})`,
    }
  }
  const parsed = parseDepfile(text)
  if ('error' in parsed) return parsed
  const base = join(root, cwd)
  const files = new Set<string>()
  for (const p of parsed.prerequisites) {
    const abs = isAbsolute(p) ? resolve(p) : resolve(base, p)
    const rel = relative(root, abs)
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) continue
    const posixRel = rel.split(sep).join('/')
    if (/^(\.git|\.tasks)(\/|$)/.test(posixRel)) continue
    files.add(posixRel)
  }
  return { files: [...files].sort() }
}
