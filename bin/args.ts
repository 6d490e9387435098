/**
 * Fixes around cac's argument parsing, kept out of `tasks.ts`:
 * - cac camel-cases an option's name before telling mri which options are boolean (`dryRun`),
 *   while mri sees the flag as written (`--dry-run`), so `tasks --dry-run build` parsed as
 *   `dryRun: 'build'` and ran the default task. {@link normaliseArgv} writes hyphenated boolean
 *   flags the way cac registered them, before `--` only.
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
