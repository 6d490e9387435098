/**
 * Writing a generated `tasks.config.ts` (for `tasks import` and `tasks init`): tasks as object
 * literals in the project's style (2 spaces, single quotes, no semicolons), comments kept beside
 * the task they explain, warnings at the top.
 */

/** One task to write. `inputs` undefined: the task is never cached (like a phony target). */
export interface GeneratedTask {
  name: string
  description?: string
  /** One command, or several run in order. */
  run?: string | readonly string[]
  deps?: readonly string[]
  inputs?: readonly string[]
  outputs?: readonly string[]
  env?: readonly string[]
  /** Environment variables set for the commands (make's `export`ed variables). */
  setEnv?: Readonly<Record<string, string>>
  cwd?: string
  /** Task variables (`tasks <task> --var name=value`): name -> default (undefined: the value must be given). */
  vars?: Readonly<Record<string, string | undefined>>
  /** The task's own shell, when it differs from the config's. */
  shell?: 'portable' | 'sh' | 'cmd'
  /** How input files enter the fingerprint, when not the default content hash. */
  fingerprint?: 'mtime'
  /** A folder the task creates: the generated `check` reruns it when the folder is gone. */
  dirCheck?: string
  /** Written as a `//` comment above the task (may span lines). */
  comment?: string
}

/** What {@link renderConfig} writes. */
export interface RenderInput {
  /** Comment lines at the top. */
  header: readonly string[]
  /** Shown as `// warning:` lines under the header. */
  warnings?: readonly string[]
  tasks: readonly GeneratedTask[]
  /** Extra entries of the `tasks` object written verbatim (recipe spreads, e.g. `...go.build({ ... })`). */
  spreads?: readonly string[]
  /** Extra import lines written verbatim (e.g. `import { go } from 'typed-tasks/recipes'`). */
  imports?: readonly string[]
  /** Where `defineConfig` comes from. @default 'typed-tasks' */
  importFrom?: string
  /** The config-wide `shell` written before `tasks` (e.g. `'sh'` for make's recipes); none when undefined. */
  shell?: 'portable' | 'sh' | 'cmd'
}

/** A TypeScript string literal: single quotes, or double quotes when that avoids escaping `'`. */
export function q(s: string): string {
  const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
  if (s.includes("'") && !s.includes('"')) return `"${body}"`
  return `'${body.replace(/'/g, "\\'")}'`
}

/** An object key: bare when it is an identifier, quoted otherwise. */
export function key(s: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(s) ? s : q(s)
}

const list = (xs: readonly string[]) => `[${xs.map(q).join(', ')}]`

/** The config file's text. */
export function renderConfig(input: RenderInput): string {
  const lines: string[] = []
  for (const h of input.header) lines.push(`// ${h}`)
  for (const w of input.warnings ?? []) lines.push(`// warning: ${w}`)
  const needsFs = input.tasks.some((t) => t.dirCheck)
  lines.push(`import { defineConfig } from ${q(input.importFrom ?? 'typed-tasks')}`)
  for (const i of input.imports ?? []) lines.push(i)
  if (needsFs) lines.push("import { existsSync } from 'node:fs'", "import { join } from 'node:path'")
  lines.push('', 'export default defineConfig({')
  if (input.shell) lines.push(`  shell: ${q(input.shell)},`)
  lines.push('  tasks: {')
  for (const s of input.spreads ?? []) lines.push(`    ${s}`)
  for (const t of input.tasks) {
    if (t.comment) for (const c of t.comment.split('\n')) lines.push(`    // ${c}`.trimEnd())
    const body: string[] = []
    if (t.description) body.push(`description: ${q(t.description)}`)
    if (t.run !== undefined) {
      const cmds = typeof t.run === 'string' ? [t.run] : t.run
      body.push(`run: ${cmds.length === 1 ? q(cmds[0]!) : list(cmds)}`)
    }
    if (t.shell) body.push(`shell: ${q(t.shell)}`)
    if (t.cwd && t.cwd !== '.') body.push(`cwd: ${q(t.cwd)}`)
    if (t.deps?.length) body.push(`deps: ${list(t.deps)}`)
    if (t.inputs) body.push(`inputs: ${list(t.inputs)}`)
    if (t.outputs?.length) body.push(`outputs: ${list(t.outputs)}`)
    if (t.env?.length) body.push(`env: ${list(t.env)}`)
    if (t.setEnv && Object.keys(t.setEnv).length)
      body.push(
        `setEnv: { ${Object.entries(t.setEnv)
          .map(([k, v]) => `${key(k)}: ${q(v)}`)
          .join(', ')} }`,
      )
    if (t.vars && Object.keys(t.vars).length)
      body.push(
        `vars: { ${Object.entries(t.vars)
          .map(([k, d]) => `${key(k)}: { ${d === undefined ? '' : `default: ${q(d)}`} }`.replace('{  }', '{}'))
          .join(', ')} }`,
      )
    if (t.fingerprint) body.push(`fingerprint: ${q(t.fingerprint)}`)
    if (t.dirCheck) body.push(`check: ({ cwd }) => existsSync(join(cwd, ${q(t.dirCheck)}))`)
    const one = `    ${key(t.name)}: { ${body.join(', ')} },`
    if (one.length <= 120) lines.push(one)
    else {
      lines.push(`    ${key(t.name)}: {`)
      for (const b of body) lines.push(`      ${b},`)
      lines.push('    },')
    }
  }
  lines.push('  },', '})', '')
  return lines.join('\n')
}
