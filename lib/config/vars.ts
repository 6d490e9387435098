/**
 * Task variables (`vars: { env: { default: 'dev', choices: [...] } }`, `tasks deploy --var env=prod`):
 * parse `name=value` pairs and apply them to the tasks of a run. A variable is an environment
 * variable of the same name for the task's commands and enters the fingerprint exactly as a
 * `setEnv` entry does (so a changed value reruns the task, with reason `env-changed`). Defaults are
 * applied by `validate.ts`; this module applies the given values and checks them.
 */
import { TasksError } from '../errors.js'
import { suggest } from '../util/suggest.js'
import type { LoadedConfig, ResolvedTask } from '../model/internal.js'

/**
 * `['env=prod', 'region=eu']` (the values of repeated `--var` flags) as a record.
 * @throws {TasksError} `usage` for an item without `=` or with an empty name.
 */
export function parseVarArgs(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of items) {
    const eq = item.indexOf('=')
    if (eq <= 0)
      throw new TasksError(
        'usage',
        `--var takes \`name=value\`, got \`${item}\``,
        {},
        'write it as `--var env=prod` (repeat --var for several variables)',
      )
    out[item.slice(0, eq)] = item.slice(eq + 1)
  }
  return out
}

/**
 * `config` with `given` applied to the tasks in `names` (the run's tasks) that declare the
 * variables; the config itself is not changed.
 * - every given name must be declared by at least one of those tasks;
 * - a value outside a task's `choices` is an error naming the task and the choices;
 * - a declared variable without a default and without a value is an error.
 * @throws {TasksError} `usage`, naming the task(s), the variable and the allowed values.
 */
export function applyVars(
  config: LoadedConfig,
  names: readonly string[],
  given: Readonly<Record<string, string>>,
): LoadedConfig {
  const tasks = new Map(config.tasks)
  const declared = new Set<string>()
  for (const name of names) {
    const task = config.tasks.get(name)
    if (!task || !Object.keys(task.vars).length) continue
    const setEnv: Record<string, string> = { ...task.setEnv }
    for (const [k, d] of Object.entries(task.vars)) {
      declared.add(k)
      const value = given[k] ?? d.default
      if (value === undefined) {
        throw new TasksError(
          'usage',
          `task \`${name}\` needs the variable \`${k}\`${d.choices ? ` (one of: ${d.choices.join(', ')})` : ''}`,
          { file: config.file, task: name, key: 'vars' },
          `give it with \`--var ${k}=${d.choices?.[0] ?? '<value>'}\`, or declare a \`default\``,
        )
      }
      if (d.choices && !d.choices.includes(value)) {
        throw new TasksError(
          'usage',
          `task \`${name}\`: \`${value}\` is not a valid value of the variable \`${k}\`; choices: ${d.choices.join(', ')}`,
          { file: config.file, task: name, key: 'vars' },
          `use one of: ${d.choices.map((c) => `--var ${k}=${c}`).join(', ')}`,
        )
      }
      setEnv[k] = value
    }
    tasks.set(name, { ...task, setEnv } satisfies ResolvedTask)
  }
  for (const k of Object.keys(given)) {
    if (declared.has(k)) continue
    const withVars = names.filter((n) => Object.keys(config.tasks.get(n)?.vars ?? {}).length)
    const known = [...new Set(withVars.flatMap((n) => Object.keys(config.tasks.get(n)!.vars)))]
    const near = suggest(k, known)
    throw new TasksError(
      'usage',
      `unknown variable \`${k}\`: no task of this run (${names.join(', ') || 'none'}) declares it`,
      { file: config.file, key: 'vars' },
      near
        ? `did you mean \`${near}\`?`
        : known.length
          ? `variables of this run: ${known.join(', ')}`
          : `declare it in the task: \`vars: { ${k}: { default: '...' } }\``,
    )
  }
  return { ...config, tasks }
}
