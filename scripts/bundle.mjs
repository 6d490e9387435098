#!/usr/bin/env node
/**
 * The second build step (after `tsc`): one esbuild bundle of the CLI, the library and the recipes
 * in `dist/cli/`, with code splitting, so `tasks` loads a handful of files instead of ~50 modules
 * (issue 8: importing the library cost 72–108 ms of CPU as separate modules, 33–42 ms as one
 * bundle). They are entry points of ONE build (the CLI, the library's doors `typed-tasks`,
 * `typed-tasks/cache`, `typed-tasks/report`, `typed-tasks/recipe-kit`, and the recipes): the user's
 * `tasks.config.ts` importing any door gets the same module instances as the CLI that loads it
 * (one `TasksError` class, one table of process trees, one prefetched git snapshot), because the
 * package's `exports` point at these files. `dist/lib`, `dist/bin` and `dist/recipes` from tsc stay
 * for the type declarations and for deep imports (the tests import single modules).
 *
 * Chunk groups. esbuild puts every module in the chunk of the set of entry points (the entries above
 * plus every `import()` target) that reach it, so a run used to load ~45 files (resolve, read and
 * compile each: ~60 ms of the no-op run's CPU). Here the modules a run needs are forced into two
 * chunks (and the library's own in a third), by giving every entry point the same view of them:
 * - `prefetch`: the static graph of `lib/prefetch.ts` (find the config, start git's snapshot),
 *   loaded first so git runs while the rest loads;
 * - `run`: the static graph of `bin/run-path.ts` (config loading, the engine, the reporters, the
 *   run report) without the modules of `prefetch`;
 * - `library`: the rest of the core door's static graph (`lib/index.ts`: watch, the local cache
 *   classes, ...), loaded only when something imports `typed-tasks` (most configs do). The other
 *   doors' modules (the HTML report, the remote tier, cache collection) are not in it.
 * Every `import()` of a module of ours, and the `WRAPPED_ENTRIES`, go through a small
 * wrapper module that first imports each group the target's static graph touches (so the prefetch
 * wrapper pulls only `prefetch`, and a target touching none gets no wrapper), then re-exports the
 * target. Every entry point but `tasks` thus reaches all or none of a group, so each group is one
 * chunk; modules no group holds (watch, the HTML
 * report, remote protocols, import, recipes) are split by esbuild as before and still load only
 * when imported. Module evaluation order is unchanged: a group is what the run imports anyway,
 * and a wrapper imports it before its target. The wrapper of a target that has a default export
 * re-exports it too. The groups are computed from a first, unwritten build's metafile.
 *
 * `dist/bin/tasks.js` (the `bin` of package.json) is replaced by a one-line module importing
 * `dist/cli/tasks.js`. Packages stay external (resolved from node_modules at run time), except the
 * few small ones every run loads (`BUNDLED_PACKAGES`).
 * Usage: `node scripts/bundle.mjs` (run by `npm run build`); `node scripts/bundle.mjs --report`
 * also prints each output file with its size and the modules it holds.
 */
import { build } from 'esbuild'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(REPO, 'dist', 'cli')

/** The chunk groups, in load order: name and root module (relative to the repo). */
const GROUPS = [
  { name: 'prefetch', root: 'lib/prefetch.ts' },
  { name: 'run', root: 'bin/run-path.ts' },
  { name: 'library', root: 'lib/index.ts' },
]
/**
 * Packages bundled into the chunks instead of resolved from node_modules at run time: the small
 * ones every run loads (each external package costs a resolution, a package.json read and a file
 * or more). Everything else stays external (loaded only by the commands that use it).
 */
const BUNDLED_PACKAGES = new Set(['cac', 'kleur', 'leven', 'p-queue', 'eventemitter3', 'p-timeout', 'valibot'])
/** Entry points that get the groups through a wrapper (`tasks` stays bare: `--help` loads no group). */
const WRAPPED_ENTRIES = {
  index: 'lib/index.ts',
  recipes: 'recipes/index.ts',
  cache: 'lib/doors/cache.ts',
  report: 'lib/doors/report.ts',
  'recipe-kit': 'lib/doors/recipe-kit.ts',
}

const options = {
  absWorkingDir: REPO,
  entryPoints: { tasks: 'bin/tasks.ts', ...WRAPPED_ENTRIES },
  outdir: out,
  // Chunks beside the entries: every file sits two levels below the package root, like
  // dist/lib/*.js, so `new URL('../../package.json', import.meta.url)` still finds package.json.
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Class and function names as written (error names, stack traces, `Function.name`).
  keepNames: true,
  // No source maps: the config loader turns Node's source-map support on (for the config's stack
  // traces), and Node then reads and parses the map of every chunk loaded afterwards.
  sourcemap: false,
  logLevel: 'warning',
}

/** Packages: external unless in BUNDLED_PACKAGES (the `packages: 'external'` of before, for the rest). */
const packages = {
  name: 'packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return undefined
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0]
      return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true }
    })
  },
}

// Pass 1: the module graph, to compute each group's modules.
const first = await build({ ...options, plugins: [packages], metafile: true, write: false })
const inputs = first.metafile.inputs
/** Static closure of `root` over `import` statements between our own modules. */
const closure = (root) => {
  const seen = new Set([root])
  const todo = [root]
  while (todo.length) {
    for (const i of inputs[todo.pop()]?.imports ?? []) {
      if (i.external || i.kind !== 'import-statement' || seen.has(i.path)) continue
      seen.add(i.path)
      todo.push(i.path)
    }
  }
  return seen
}
/** module (relative path) -> index of the first group holding it */
const groupOf = new Map()
GROUPS.forEach((g, k) => {
  if (!inputs[g.root]) throw new Error(`bundle: group root ${g.root} is not in the build`)
  for (const m of closure(g.root)) if (!groupOf.has(m)) groupOf.set(m, k)
})
/**
 * The groups (indexes, in load order) a module's static graph touches, and those the touched
 * groups' roots touch in turn (a group's root reaches modules of earlier groups without their
 * roots): what its wrapper imports.
 */
const touched = new Map()
const groupsTouched = (rel) => {
  if (!touched.has(rel)) {
    const ks = new Set()
    const todo = [rel]
    while (todo.length) {
      for (const m of closure(todo.pop())) {
        const k = groupOf.get(m)
        if (k === undefined || ks.has(k)) continue
        ks.add(k)
        todo.push(GROUPS[k].root)
      }
    }
    touched.set(rel, [...ks].sort())
  }
  return touched.get(rel)
}
const relPath = (abs) => relative(REPO, abs).split('\\').join('/')
/** Export names of every entry point of pass 1 (each `import()` target is one): does a wrapper re-export `default`. */
const exportsOf = new Map(
  Object.values(first.metafile.outputs)
    .filter((o) => o.entryPoint)
    .map((o) => [o.entryPoint, o.exports]),
)
const hasDefault = (abs) =>
  exportsOf.get(relPath(abs))?.includes('default') ??
  /^export default |^export \{[^}]*\bdefault\b/m.test(readFileSync(abs, 'utf8'))

/** The wrappers and group modules (see the header). */
const groups = {
  name: 'chunk-groups',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.plain) return undefined
      const wrapEntry =
        args.kind === 'entry-point' && Object.values(WRAPPED_ENTRIES).includes(args.path.replace(/^\.\//, ''))
      if (!wrapEntry && args.kind !== 'dynamic-import') return undefined
      if (args.namespace === 'tt-wrap' || args.namespace === 'tt-group') return undefined
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { plain: true },
      })
      if (r.errors.length) return { errors: r.errors }
      // A module touching no group (a package of its own, say) needs no wrapper.
      if (r.external || !groupsTouched(relPath(r.path)).length) return undefined
      return { path: r.path, namespace: 'tt-wrap' }
    })
    b.onLoad({ filter: /.*/, namespace: 'tt-wrap' }, (args) => {
      const target = JSON.stringify(args.path)
      const lines = groupsTouched(relPath(args.path)).map((k) => `import ${JSON.stringify(join(REPO, GROUPS[k].root))}`)
      lines.push(`export * from ${target}`)
      if (hasDefault(args.path)) lines.push(`export { default } from ${target}`)
      return { contents: lines.join('\n') + '\n', loader: 'js', resolveDir: dirname(args.path) }
    })
  },
}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const result = await build({ ...options, plugins: [packages, groups], metafile: process.argv.includes('--report') })
if (process.argv.includes('--report')) {
  for (const [file, o] of Object.entries(result.metafile.outputs)) {
    const mods = Object.keys(o.inputs).filter((i) => !i.startsWith('tt-wrap:'))
    console.log(
      `${relative(out, join(REPO, file)).padEnd(34)} ${String(o.bytes).padStart(8)}  ${mods.length} modules  ${mods.slice(0, 6).join(' ')}${mods.length > 6 ? ' ...' : ''}`,
    )
  }
}
// The bin: a stable path (package.json `bin`, the tests' CLI) that loads the bundle.
writeFileSync(
  join(REPO, 'dist', 'bin', 'tasks.js'),
  "#!/usr/bin/env node\n// Generated by scripts/bundle.mjs: the CLI is bundled in dist/cli/tasks.js.\nimport '../cli/tasks.js'\n",
  { mode: 0o755 },
)
