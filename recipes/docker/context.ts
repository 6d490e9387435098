/**
 * The build context: `.dockerignore` translated to input globs (what the fingerprint covers) and the
 * files sent to the daemon.
 */
import { readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { globSync } from 'tinyglobby'

/** Folders never sent to the daemon nor fingerprinted: the engine's cache. */
const NEVER_SENT = ['.tasks/**']

/**
 * Inputs for a build context: everything, minus `.dockerignore` exclusions translated to tinyglobby
 * negations. Docker's rule is "the last matching line wins", and globs cannot re-include, so only the
 * exclusions after the last `!exception` line are used: the inputs may be wider than what Docker
 * sends (an extra rebuild), never narrower (a stale image).
 */
export function dockerignoreToGlobs(text: string): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const lastException = lines.reduce((at, l, i) => (l.startsWith('!') ? i : at), -1)
  const out: string[] = []
  for (const line of lines.slice(lastException + 1)) {
    let p = posix
      .normalize(line.replace(/\\(?=[^*?[\]\\])/g, '/'))
      .replace(/^\/+/, '')
      .replace(/\/+$/, '')
    if (!p || p === '.') continue
    // Docker patterns are Go filepath.Match (+ `**`): `{}()` and extglob characters are literal there.
    p = p.replace(/[{}()!+@]/g, (c) => `\\${c}`)
    out.push(`!${p}`, `!${p}/**`)
  }
  return out
}

export function contextInputs(contextAbs: string, dockerfile: string): string[] {
  let ignore: string[] = []
  try {
    ignore = dockerignoreToGlobs(readFileSync(join(contextAbs, '.dockerignore'), 'utf8'))
  } catch {
    // no .dockerignore (or the context was not found from the guessed root): everything is an input
  }
  // node_modules is skipped by the engine's globbing unless a pattern names it; Docker sends it.
  return ['**', '**/node_modules/**', dockerfile, ...ignore, ...NEVER_SENT.map((p) => `!${p}`)]
}

/** The files to put in the build context tar (dockerode then applies `.dockerignore` exactly). */
export function contextFiles(contextAbs: string, dockerfile: string): string[] {
  let ignore: string[] = []
  try {
    ignore = dockerignoreToGlobs(readFileSync(join(contextAbs, '.dockerignore'), 'utf8')).map((p) => p.slice(1))
  } catch {
    /* none */
  }
  const files = globSync(['**'], {
    cwd: contextAbs,
    dot: true,
    onlyFiles: true,
    ignore: [...ignore, ...NEVER_SENT],
    expandDirectories: false,
    followSymbolicLinks: false,
  })
  if (!files.includes(dockerfile)) files.push(dockerfile)
  return files.sort()
}
