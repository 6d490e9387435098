/**
 * Turn a TypeScript config file into an importable ES module, cached on disk.
 *
 * esbuild bundles the config and every relative file it imports (packages stay external), with an
 * inline source map so stack traces point at the user's `.ts` lines. The output is cached in
 * `<root>/.tasks/config/`, keyed by the SHA-256 of every file the bundle read: a second start only
 * re-hashes those few files and imports the cached `.mjs` (esbuild itself is not even loaded).
 * The cache sits inside the project (not under node_modules) so bare imports resolve from the
 * project's node_modules and a package may import itself by name.
 *
 * When `.tasks/config` cannot be written (read-only project, full disk, `.tasks` not a folder), the
 * config is compiled again with every package import resolved to an absolute `file:` URL (by
 * esbuild's resolver, from the config's folder) and imported from memory as a `data:` URL, with a
 * warning: the run goes on, each start pays the compile (~30 ms).
 *
 * A project with no copy of `typed-tasks` of its own (a Go or Python repository, `tasks` installed
 * globally or run by `npx`): the config's `typed-tasks` and `typed-tasks/...` imports resolve to the
 * running copy (see {@link packageImports}), as a globally installed ESLint or Prettier loads its
 * plugins; with a copy of its own, the project's copy is used, with a warning when its version is
 * not the running one.
 */
import { readFileSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join, dirname, resolve, relative, isAbsolute } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isBuiltin } from 'node:module'
import { sha256 } from '../util/hash.js'
import { VERSION } from '../version.js'
import { writeFileAtomic } from '../util/fs.js'
import { TasksError } from '../errors.js'

interface Meta {
  /** Absolute input path -> SHA-256 of its content when the bundle was made. */
  inputs: Record<string, string>
  out: string
}

/**
 * URL of an ES module equivalent to the TypeScript config `file`, building it when the cache is
 * stale.
 * @param file absolute path of `tasks.config.ts` / `.mts`
 * @param cacheDir folder for the cache (e.g. `<root>/.tasks/config`)
 * @param onWarning told when the cache cannot be written and the module is kept in memory
 * @param project the folder whose relative imports are bundled (a workspace config may import a
 *   helper from the monorepo's root). @default the config file's folder
 * @returns the URL to `import()`: a `file:` URL in `cacheDir`, or a `data:` URL (see above)
 * @throws {TasksError} `config-syntax` with file, line and column when esbuild rejects the file or
 *   finds a duplicate key in an object literal (the second `build:` would silently replace the first).
 */
export async function transpileConfig(
  file: string,
  cacheDir: string,
  onWarning: (message: string) => void = () => {},
  project: string = dirname(file),
): Promise<string> {
  const self = packageImports(dirname(file), onWarning)
  const key = sha256(`${file}\0${self.key}`).slice(0, 16)
  const metaFile = join(cacheDir, `${key}.json`)
  const cached = readMeta(metaFile)
  if (cached && existsSync(join(cacheDir, cached.out)) && inputsUnchanged(cached))
    return pathToFileURL(join(cacheDir, cached.out)).href

  const result = await bundle(file, cacheDir, false, project, self)
  const code = result.outputFiles[0]!.text // write: false, one outfile, inline source map: one output file
  const inputs: Record<string, string> = {}
  for (const input of Object.keys(result.metafile.inputs)) {
    const abs = resolve(dirname(file), input)
    inputs[abs] = sha256(readFileSync(abs))
  }
  const out = `${key}-${sha256(code).slice(0, 16)}.mjs`
  try {
    writeFileAtomic(join(cacheDir, out), code)
    writeFileAtomic(metaFile, JSON.stringify({ inputs, out } satisfies Meta))
    return pathToFileURL(join(cacheDir, out)).href
  } catch (err) {
    onWarning(
      `could not cache the compiled config in ${cacheDir} (${(err as Error).message}); compiled it in memory instead (every start compiles it again)`,
    )
    const inMemory = (await bundle(file, cacheDir, true, project, self)).outputFiles[0]!.text
    return `data:text/javascript;base64,${Buffer.from(inMemory).toString('base64')}`
  }
}

/**
 * esbuild's bundle of the config (see the module comment). `resolvePackages`: packages become
 * absolute `file:` URLs (for a module imported from memory, where bare names cannot resolve).
 */
async function bundle(
  file: string,
  cacheDir: string,
  resolvePackages: boolean,
  project: string,
  self: PackageImports,
): Promise<import('esbuild').BuildResult<{ write: false; metafile: true }>> {
  const esbuild = await import('esbuild')
  let result: import('esbuild').BuildResult<{ write: false; metafile: true }>
  try {
    result = await esbuild.build({
      entryPoints: [file],
      absWorkingDir: dirname(file),
      bundle: true,
      // Packages stay imports (the plugin decides; in memory it resolves them to file: URLs first).
      ...(resolvePackages ? {} : { packages: 'external' as const }),
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outfile: join(cacheDir, 'out.mjs'),
      plugins: [externalOutsideProject(project, resolvePackages, self)],
    })
  } catch (err) {
    throw esbuildFailure(err, dirname(file), file)
  }
  refuseDuplicateKeys(result.warnings, dirname(file))
  return result
}

/**
 * The {@link TasksError} (`config-syntax`, with file:line:col) for an esbuild build or transform
 * that threw; `err` itself when it is not esbuild's (no `errors` list).
 * @param base folder esbuild's relative `location.file` is relative to
 * @param file the file to name when esbuild gives no location
 */
function esbuildFailure(err: unknown, base: string, file: string | undefined): unknown {
  const first = (err as { errors?: import('esbuild').Message[] }).errors?.[0]
  if (!first) return err
  const loc = first.location
  return new TasksError(
    'config-syntax',
    first.text,
    {
      file: loc ? resolve(base, loc.file) : file,
      line: loc?.line,
      column: loc ? loc.column + 1 : undefined,
      length: loc?.length || 1,
      lineText: loc?.lineText,
    },
    /^Could not resolve/.test(first.text)
      ? 'fix the import path (relative to the file), or install the package'
      : 'fix the syntax at the position shown',
  )
}

/**
 * A duplicate key (`build` twice in `tasks`) keeps only the last definition in JavaScript: an
 * error, not a silenced warning (esbuild's `duplicate-object-key` warning).
 * @throws {TasksError} `config-syntax` at the second key
 */
function refuseDuplicateKeys(warnings: readonly import('esbuild').Message[], base: string): void {
  const dup = warnings.find((w) => /^Duplicate key /.test(w.text) && w.location)
  if (!dup) return
  const loc = dup.location!
  throw new TasksError(
    'config-syntax',
    dup.text.replace(/ in object literal$/, ' in an object literal: the later one silently replaces the earlier'),
    {
      file: resolve(base, loc.file),
      line: loc.line,
      column: loc.column + 1,
      length: loc.length || 1,
      lineText: loc.lineText,
    },
    'rename or remove one of the two; each task name (and key) may appear once',
  )
}

/**
 * Check a JavaScript config (`.js`, `.mjs`, `.cjs`, imported as it is) for duplicate keys, as
 * {@link transpileConfig} does for TypeScript. The verdict is cached in `cacheDir` by the file's
 * SHA-256, so an unchanged config costs one read and hash (esbuild is loaded only after an edit).
 * Only the file itself is checked, not the files it imports. `keep: false` (dry runs, `--explain`)
 * writes no verdict. A syntax error is left to Node's
 * import, which reports it with its position.
 * @throws {TasksError} `config-syntax` at the second key
 */
export async function checkJavaScriptConfig(file: string, cacheDir: string, keep = true): Promise<void> {
  const source = readFileSync(file)
  const stamp = join(cacheDir, `${sha256(file).slice(0, 16)}.checked`)
  const digest = sha256(source)
  try {
    if (readFileSync(stamp, 'utf8') === digest) return
  } catch {}
  const esbuild = await import('esbuild')
  let warnings: import('esbuild').Message[]
  try {
    warnings = (await esbuild.transform(source, { loader: 'js', sourcefile: file, logLevel: 'silent' })).warnings
  } catch {
    return
  }
  refuseDuplicateKeys(warnings, dirname(file))
  if (!keep) return
  try {
    writeFileAtomic(stamp, digest)
  } catch {}
}

/**
 * Bundle only the project's own relative imports; everything else (packages, absolute paths,
 * files under node_modules or outside the project) stays an import, so a library is loaded once
 * (its classes keep their identity) and resolves its own dependencies.
 */
function externalOutsideProject(
  root: string,
  resolvePackages: boolean,
  self: PackageImports,
): import('esbuild').Plugin {
  return {
    name: 'typed-tasks-external',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point' || args.pluginData === INNER) return undefined
        const own = self.resolve(args.path)
        if (own) return { path: own, external: true }
        if (args.path.startsWith('.')) {
          const abs = resolve(args.resolveDir, args.path)
          const rel = relative(root, abs)
          if (!rel.startsWith('..') && !rel.split(/[\\/]/).includes('node_modules')) return undefined
          return { path: pathToFileURL(abs).href, external: true }
        }
        if (isAbsolute(args.path)) return { path: pathToFileURL(args.path).href, external: true }
        if (resolvePackages && !isBuiltin(args.path) && !/^[a-z][a-z0-9+.-]*:/i.test(args.path)) {
          const found = await build.resolve(args.path, {
            kind: args.kind,
            resolveDir: args.resolveDir,
            importer: args.importer,
            pluginData: INNER,
          })
          if (!found.errors.length && found.path) return { path: pathToFileURL(found.path).href, external: true }
        }
        return { path: args.path, external: true }
      })
    },
  }
}

/** Marks esbuild's own resolution of a package from inside the plugin (so the plugin skips it). */
const INNER = Symbol('typed-tasks-inner-resolve')

function readMeta(metaFile: string): Meta | undefined {
  try {
    return JSON.parse(readFileSync(metaFile, 'utf8')) as Meta
  } catch {
    return undefined
  }
}

function inputsUnchanged(meta: Meta): boolean {
  for (const [path, hash] of Object.entries(meta.inputs)) {
    try {
      if (sha256(readFileSync(path)) !== hash) return false
    } catch {
      return false
    }
  }
  return true
}

/** For messages: `file` relative to `from` when inside it. */
export function displayPath(file: string, from: string): string {
  const rel = relative(from, file)
  return rel && !rel.startsWith('..') ? rel : file
}

/** Global hook the workspace bundle calls before each config runs, with that config's folder. */
export const CONFIG_ROOT_HOOK = Symbol.for('typed-tasks.configRoot')

/**
 * One ES module evaluating several configs (a monorepo's workspace configs) in order, cached like
 * {@link transpileConfig}: importing one bundle costs about as much as importing one config, where
 * 100 separate modules cost ~0.3 ms of CPU each in Node's loader. Its default export is the array
 * of the configs' module namespaces, in the order of `entries`. Before each config is evaluated,
 * the bundle calls `globalThis[CONFIG_ROOT_HOOK](dir)` with that entry's folder, so `configRoot()`
 * answers per workspace.
 * @param entries absolute config files (`.ts`, `.mts`, `.js`, `.mjs`, `.cjs`) and their folders
 * @param cacheDir folder for the cache (e.g. `<root>/.tasks/config`)
 * @param project the folder whose relative imports are bundled
 * @param onWarning told when the cache cannot be written and the bundle is kept in memory (as in
 *   {@link transpileConfig}: packages resolved to `file:` URLs, imported as a `data:` URL)
 * @returns the URL to `import()`: a `file:` URL in `cacheDir`, or a `data:` URL
 * @throws {TasksError} `config-syntax` with file, line and column when esbuild rejects a file or
 *   finds a duplicate key in an object literal.
 */
export async function bundleConfigs(
  entries: readonly { file: string; dir: string }[],
  cacheDir: string,
  project: string,
  onWarning: (message: string) => void = () => {},
): Promise<string> {
  const self = packageImports(project, onWarning)
  const key = `ws-${sha256(`${entries.map((e) => `${e.file}\0${e.dir}`).join('\n')}\0${self.key}`).slice(0, 16)}`
  const metaFile = join(cacheDir, `${key}.json`)
  const cached = readMeta(metaFile)
  if (
    cached &&
    existsSync(join(cacheDir, cached.out)) &&
    entries.every((e) => e.file in cached.inputs) &&
    inputsUnchanged(cached)
  )
    return pathToFileURL(join(cacheDir, cached.out)).href

  const lines = entries.map(
    (e, i) => `import 'typed-tasks-root:${i}'\nimport * as c${i} from ${JSON.stringify(e.file)}`,
  )
  const contents = `${lines.join('\n')}\nexport default [${entries.map((_, i) => `c${i}`).join(', ')}]\n`
  const esbuild = await import('esbuild')
  const build = async (resolvePackages: boolean) => {
    const external = externalOutsideProject(project, resolvePackages, self)
    let result: import('esbuild').BuildResult<{ write: false; metafile: true }>
    try {
      result = await esbuild.build({
        stdin: { contents, resolveDir: project, sourcefile: 'workspace-configs.mjs', loader: 'js' },
        absWorkingDir: project,
        bundle: true,
        ...(resolvePackages ? {} : { packages: 'external' as const }),
        format: 'esm',
        platform: 'node',
        target: 'node20',
        sourcemap: 'inline',
        write: false,
        metafile: true,
        logLevel: 'silent',
        outfile: join(cacheDir, 'out.mjs'),
        plugins: [
          {
            name: 'typed-tasks-workspaces',
            setup(build: import('esbuild').PluginBuild) {
              build.onResolve({ filter: /^typed-tasks-root:\d+$/ }, (args) => ({
                path: args.path,
                namespace: 'typed-tasks-root',
              }))
              build.onLoad({ filter: /.*/, namespace: 'typed-tasks-root' }, (args) => {
                const dir = entries[Number(args.path.slice(args.path.indexOf(':') + 1))]!.dir // the index is ours: `typed-tasks-root:<i>` of entries[i]
                return {
                  contents: `globalThis[Symbol.for('typed-tasks.configRoot')]?.(${JSON.stringify(dir)})\n`,
                  loader: 'js',
                }
              })
              // The entries themselves are bundled even though they are absolute paths.
              build.onResolve({ filter: /.*/ }, (args) =>
                entries.some((e) => e.file === args.path) ? { path: args.path } : undefined,
              )
              void external.setup(build)
            },
          },
        ],
      })
    } catch (err) {
      throw esbuildFailure(err, project, entries[0]?.file)
    }
    refuseDuplicateKeys(result.warnings, project)
    return result
  }
  const result = await build(false)
  const code = result.outputFiles[0]!.text // write: false, one outfile, inline source map: one output file
  const inputs: Record<string, string> = {}
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input.startsWith('typed-tasks-root:') || input === '<stdin>' || input === 'workspace-configs.mjs') continue
    const abs = resolve(project, input)
    inputs[abs] = sha256(readFileSync(abs))
  }
  // A workspace whose config file is removed or added changes `entries`, hence the key.
  const out = `${key}-${sha256(code).slice(0, 16)}.mjs`
  try {
    writeFileAtomic(join(cacheDir, out), code)
    writeFileAtomic(metaFile, JSON.stringify({ inputs, out } satisfies Meta))
  } catch (err) {
    onWarning(
      `could not cache the compiled workspace configs in ${cacheDir} (${(err as Error).message}); compiled them in memory instead (every start compiles them again)`,
    )
    const inMemory = (await build(true)).outputFiles[0]!.text
    return `data:text/javascript;base64,${Buffer.from(inMemory).toString('base64')}`
  }
  // Earlier bundles of the same workspace set are dead now (a bundle of 100 configs is ~100 KB);
  // ones younger than 5 minutes stay, in case another process is about to import one.
  for (const old of readdirSync(cacheDir)) {
    if (!old.startsWith(`${key}-`) || !old.endsWith('.mjs') || old === out) continue
    try {
      if (Date.now() - statSync(join(cacheDir, old)).mtimeMs > 5 * 60_000) rmSync(join(cacheDir, old), { force: true })
    } catch {}
  }
  return pathToFileURL(join(cacheDir, out)).href
}

/** How a config's imports of this package resolve (see {@link packageImports}). */
interface PackageImports {
  /** Enters the compiled config's cache key: `'project'` or the running copy's folder. */
  key: string
  /** The `file:` URL to import for `spec` when it names this package and the project has no copy, else undefined. */
  resolve(spec: string): string | undefined
}

const PACKAGE_NAME = 'typed-tasks'

/**
 * Whether the project at `dir` has a copy of `typed-tasks` of its own (a `node_modules/typed-tasks`
 * in `dir` or a parent, or a parent `package.json` named `typed-tasks`: the package itself), and if
 * not, how its imports resolve to the running copy: through the running copy's own `exports`
 * (`import.meta.resolve` from inside the package, Node's self-reference), so `typed-tasks/recipes`
 * means what it means in an installed copy. When the project's copy has another version than the
 * running one, `onWarning` is told once per call (the project's copy is the one the config gets).
 * @param dir absolute folder of the config file (or the workspace project)
 */
function packageImports(dir: string, onWarning: (message: string) => void): PackageImports {
  for (let d = dir; ; d = dirname(d)) {
    const installed = join(d, 'node_modules', PACKAGE_NAME, 'package.json')
    const own = existsSync(installed) ? installed : join(d, 'package.json')
    const pkg = readPackageJson(own)
    if (pkg && (own === installed || pkg.name === PACKAGE_NAME)) {
      if (own === installed && pkg.version !== VERSION)
        onWarning(
          `the config imports typed-tasks ${pkg.version ?? '(no version)'} from ${dirname(installed)}, but this \`tasks\` is ${VERSION}: run the project's copy (\`npx tasks\`, a package script) or align the versions`,
        )
      return { key: 'project', resolve: () => undefined }
    }
    if (dirname(d) === d) break
  }
  const here = import.meta.resolve(PACKAGE_NAME)
  return {
    key: here,
    resolve: (spec) =>
      spec === PACKAGE_NAME || spec.startsWith(`${PACKAGE_NAME}/`) ? import.meta.resolve(spec) : undefined,
  }
}

function readPackageJson(file: string): { name?: string; version?: string } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
  } catch {
    return undefined
  }
}
