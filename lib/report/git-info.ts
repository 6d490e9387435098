/**
 * The git state a run is recorded with in the history: HEAD's commit and whether the work tree
 * had changes. Asked once, asynchronously, while the run goes on; outside a git work tree, or when
 * git is missing or slower than `timeoutMs`, the answer is `{}`.
 *
 * When the run's own git snapshot (`fingerprint/git.ts`, started by this process for the same
 * root at the top of its work tree, `.git` a plain folder) is there, no git process is started:
 * dirtiness is that snapshot's `git status` (untracked files included, ignored ones not, `.tasks/`
 * and `node_modules/` left out, submodules ignored) and HEAD is read from `.git/HEAD` and the ref
 * it names (loose, else `packed-refs`), as `git rev-parse --verify HEAD` would resolve it. Anything
 * else (a worktree, reftable, a symbolic ref chain, a root below the top) asks git:
 * `git rev-parse --verify -q HEAD` and `git status --porcelain -z` with `--no-optional-locks`,
 * so git never rewrites its index for us.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startedSnapshot } from '../fingerprint/git.js'

/** HEAD and dirtiness; fields are absent when unknown. */
export interface GitState {
  head?: string
  dirty?: boolean
}

const git = (root: string, args: string[], timeoutMs: number) =>
  new Promise<string | undefined>((resolve) => {
    execFile(
      'git',
      args,
      { cwd: root, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout) => resolve(err ? undefined : stdout),
    )
  })

const OBJECT_ID = /^[0-9a-f]{40}$/

/**
 * HEAD's commit read from a plain `.git` folder: `{ head }` (absent head: an unborn branch), or
 * undefined when the files do not say it plainly (reftable, a symbolic ref to a symbolic ref, an
 * unreadable file): then ask git.
 */
export function readHeadFromFiles(gitDir: string): { head?: string } | undefined {
  try {
    if (existsSync(join(gitDir, 'reftable'))) return undefined
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim()
    if (OBJECT_ID.test(head)) return { head }
    const m = /^ref: (refs\/[^\s]+)$/.exec(head)
    const ref = m?.[1]
    if (!ref || ref.split('/').some((s) => s === '..' || s === '.' || s === '')) return undefined
    const loose = readFileSync(join(gitDir, ref), { encoding: 'utf8', flag: 'r' }).trim()
    return OBJECT_ID.test(loose) ? { head: loose } : undefined
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined
  }
  // Not a loose ref: `packed-refs` ("<id> <ref>" lines), else an unborn branch.
  try {
    const ref = /^ref: (refs\/\S+)$/.exec(readFileSync(join(gitDir, 'HEAD'), 'utf8').trim())![1]
    let packed: string
    try {
      packed = readFileSync(join(gitDir, 'packed-refs'), 'utf8')
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? {} : undefined
    }
    for (const line of packed.split('\n')) {
      if (line.length > 41 && line[40] === ' ' && line.slice(41) === ref && OBJECT_ID.test(line.slice(0, 40)))
        return { head: line.slice(0, 40) }
    }
    return {}
  } catch {
    return undefined
  }
}

/** Read HEAD and dirtiness of the work tree containing `root`. Never rejects. */
export async function readGitState(root: string, timeoutMs = 10_000): Promise<GitState> {
  const snapshot = await startedSnapshot(root)?.catch(() => undefined)
  if (snapshot && snapshot.prefix === '' && snapshot.gitDir) {
    const fromFiles = readHeadFromFiles(snapshot.gitDir)
    if (fromFiles) return { ...fromFiles, dirty: snapshot.changed }
  }
  const [head, status] = await Promise.all([
    git(root, ['rev-parse', '--verify', '-q', 'HEAD'], timeoutMs),
    git(root, ['--no-optional-locks', 'status', '--porcelain', '-z'], timeoutMs),
  ])
  const out: GitState = {}
  if (head && /^[0-9a-f]{40,64}\s*$/.test(head)) out.head = head.trim()
  if (status !== undefined) out.dirty = status.length > 0
  return out
}
