/**
 * The git state a run is recorded with in the history: HEAD's commit and whether the work tree
 * had changes (`git status --porcelain`, untracked files included, ignored ones not; with
 * `--no-optional-locks`, so git never rewrites its index for us). Asked once,
 * asynchronously, while the run goes on; outside a git work tree, or when git is missing or
 * slower than `timeoutMs`, the answer is `{}`.
 */
import { execFile } from 'node:child_process'

/** HEAD and dirtiness; fields are absent when unknown. */
export interface GitState { head?: string; dirty?: boolean }

const git = (root: string, args: string[], timeoutMs: number) =>
  new Promise<string | undefined>((resolve) => {
    execFile('git', args, { cwd: root, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout) => resolve(err ? undefined : stdout))
  })

/** Read HEAD and dirtiness of the work tree containing `root`. Never rejects. */
export async function readGitState(root: string, timeoutMs = 10_000): Promise<GitState> {
  const [head, status] = await Promise.all([git(root, ['rev-parse', '--verify', '-q', 'HEAD'], timeoutMs), git(root, ['--no-optional-locks', 'status', '--porcelain', '-z'], timeoutMs)])
  const out: GitState = {}
  if (head && /^[0-9a-f]{40,64}\s*$/.test(head)) out.head = head.trim()
  if (status !== undefined) out.dirty = status.length > 0
  return out
}
