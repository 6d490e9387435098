/**
 * The environment one task's processes see: what its commands run with, what its `toolVersions`
 * commands run with (so their output names the tools the task itself would use) and what a
 * service's readiness `command` probe runs with. One builder, so the three never disagree.
 */
import { delimiter, join } from 'node:path'
import type { ResolvedTask } from '../model/internal.js'

/**
 * `env` plus the task's `setEnv` (which holds its `vars` too), with the task cwd's and the
 * project's `node_modules/.bin` put in front of PATH (in that order). PATH is looked up without
 * regard to case (Windows spells it `Path`) and always extended from `env`'s value, not `setEnv`'s.
 * @param env the run's environment (`RunOptions.env`, default a copy of `process.env`); not changed
 * @param root the project root (absolute); `task.cwd` is relative to it
 * @returns a new object
 */
export function taskEnv(
  task: Pick<ResolvedTask, 'cwd' | 'setEnv'>,
  env: NodeJS.ProcessEnv,
  root: string,
): NodeJS.ProcessEnv {
  const bin = [join(root, task.cwd, 'node_modules', '.bin'), join(root, 'node_modules', '.bin')]
  const pathKey = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH'
  return { ...env, ...task.setEnv, [pathKey]: [...bin, env[pathKey] ?? ''].join(delimiter) }
}
