/**
 * Fixes around cac's argument parsing, kept out of `tasks.ts`:
 * - cac camel-cases an option's name before telling mri which options are boolean (`dryRun`),
 *   while mri sees the flag as written (`--dry-run`), so `tasks --dry-run build` parsed as
 *   `dryRun: 'build'` and ran the default task. {@link normaliseArgv} writes hyphenated boolean
 *   flags the way cac registered them, before `--` only.
 * - cac would take the task name after a bare `--affected` as its value: {@link normaliseAffectedArgv}
 *   moves it to the end of the options.
 * - cac prints `(default: true)` after every `--no-x` option; {@link cleanHelp} drops it.
 */

/**
 * `argv` with each `--kebab-flag` in `booleans` rewritten to `--kebabFlag` (and `--kebab-flag=v`
 * to `--kebabFlag=v`), up to the first `--`. Other arguments are returned unchanged.
 * @param argv process.argv (node and script included)
 * @param booleans hyphenated boolean flag names without dashes, e.g. `['dry-run']`
 */
export function normaliseArgv(argv: readonly string[], booleans: readonly string[]): string[] {
  const out: string[] = []
  let rest = false
  for (const arg of argv) {
    if (arg === '--') rest = true
    const m = rest ? null : /^--([a-z][a-z0-9-]*)(=.*)?$/.exec(arg)
    if (m && booleans.includes(m[1]!))
      out.push(`--${m[1]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}${m[2] ?? ''}`)
    else out.push(arg)
  }
  return out
}

/** cac's help sections with the `(default: true)` of negated options (`--no-cache`, `--no-git`) removed. */
export function cleanHelp<S extends { title?: string; body: string }>(sections: S[]): S[] {
  return sections.map((s) => ({
    ...s,
    body: s.body.replace(/^(\s+--no-[\w-]+\s.*?)\s*\(default: true\)\s*$/gm, '$1').replace(/[ \t]+$/gm, ''),
  }))
}

/**
 * `argv` with a bare `--affected` moved to the end of the options (before `--`), so that
 * `tasks --affected test` keeps `test` as a task (cac would take it as the ref; `--affected=REF`
 * names a ref).
 */
export function normaliseAffectedArgv(argv: readonly string[]): string[] {
  const i = argv.indexOf('--')
  const head = i < 0 ? [...argv] : argv.slice(0, i)
  const bare = head.filter((a) => a === '--affected').length
  const rest = head.filter((a) => a !== '--affected')
  return [...rest, ...(bare ? ['--affected'] : []), ...(i < 0 ? [] : argv.slice(i))]
}

/** A make-style variable assignment argument: `NAME=value` (a shell variable name, then `=`). */
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s

/**
 * Split the positional arguments into task names (and subcommand words) and make-style variable
 * assignments (`CFLAGS=-O2`), in the order given; a later assignment of a name wins, as in make.
 * A subcommand's arguments (`import`, `init`, `completion`, `cache`, `history`) are left whole.
 */
export function splitAssignments(args: readonly string[]): {
  args: string[]
  assignments: [string, string][]
} {
  if (['import', 'init', 'completion', '__complete', 'cache', 'history'].includes(String(args[0])))
    return { args: [...args], assignments: [] }
  const rest: string[] = []
  const assignments: [string, string][] = []
  for (const a of args) {
    const m = ASSIGNMENT.exec(a)
    if (m) assignments.push([m[1]!, m[2]!])
    else rest.push(a)
  }
  return { args: rest, assignments }
}
