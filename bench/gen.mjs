#!/usr/bin/env node
/**
 * Deterministic generator of synthetic workspaces for the benchmarks.
 *
 * `generate({ dir, packages, files, seed })` writes a git-committed workspace:
 *   packages/pNNN/src/fNNN.txt   P × F text files of 1–2 KB (content from a fixed-seed PRNG)
 *   packages/pNNN/package.json   workspace package: `build` script (turbo), `nx` target, `wireit` config
 * and one config per tool, all describing the same work: for every package, build
 * `packages/pNNN/dist/out.txt` with the same trivial shell command after the packages it depends on
 * (0–3 earlier packages, from the seed), with `src/**` as inputs:
 *   tasks.config.mjs             typed-tasks (fingerprint mode from TASKS_MODE: content | mtime)
 *   Makefile                     GNU make, real file prerequisites, no built-in rules
 *   build.ninja                  ninja
 *   package.json + package-lock.json + turbo.json   npm workspaces for turbo
 *   nx.json (+ `nx` key of each package.json)        nx, cacheable `build` target
 *   `wireit` keys in the package.jsons               wireit (root script `wbuild`)
 *
 * `generate({ ..., layout: 'workspaces' })` writes the same work in typed-tasks' workspace form instead
 * of the single config: a root `tasks.config.mjs` with `workspaces: ['packages/*']` and `defaults`
 * (inputs, outputs, `deps: ['^build']`), and one `packages/pNNN/tasks.config.ts` per package holding
 * its `build` command; the dependencies come from the package.jsons. Same tasks, same files, same
 * aggregate `all`: the pair measures what loading 100 configs costs.
 *
 * `generateTrivial({ dir, count })` writes the scheduler workspace: `count` tasks whose command is
 * `true`, no inputs (always run), for tasks, make and ninja.
 *
 * CLI: node bench/gen.mjs [--packages 100] [--files 100] [--seed 1] [--layout single|workspaces] [--trivial 1000] <dir>
 */
import { mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

/** Bumped whenever the generated layout changes, so a cached workspace is regenerated. */
export const GENERATOR_VERSION = 6

/** mulberry32: a tiny, fast, seedable PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pad3 = (n) => String(n).padStart(3, '0')
export const pkgName = (i) => `p${pad3(i)}`
export const fileName = (j) => `f${pad3(j)}.txt`

/** The command every tool runs for a package, with the package folder as working directory. */
export const buildCommand = (name) => `mkdir -p dist && echo ${name} > dist/out.txt`

/**
 * The dependency DAG: package i depends on 0–3 distinct earlier packages.
 * @returns {number[][]} deps[i] = sorted indexes of the packages i depends on
 */
export function makeDag(packages, seed) {
  const rnd = prng(seed * 7919 + 17)
  const deps = []
  for (let i = 0; i < packages; i++) {
    const want = Math.min(i, Math.floor(rnd() * 4))
    const set = new Set()
    while (set.size < want) set.add(Math.floor(rnd() * i))
    deps.push([...set].sort((a, b) => a - b))
  }
  return deps
}

/** Indexes of the packages that (transitively) depend on package `p`, `p` included. */
export function dependentsOf(deps, p) {
  const rev = deps.map(() => [])
  deps.forEach((ds, i) => ds.forEach((d) => rev[d].push(i)))
  const seen = new Set([p])
  const stack = [p]
  while (stack.length) for (const q of rev[stack.pop()]) if (!seen.has(q)) (seen.add(q), stack.push(q))
  return [...seen].sort((a, b) => a - b)
}

/** The package whose change reruns closest to 10% of the packages (itself and its dependents). */
export function pickChangedPackage(deps) {
  const target = Math.max(1, Math.round(deps.length / 10))
  let best = 0,
    bestDiff = Infinity
  for (let p = 0; p < deps.length; p++) {
    const diff = Math.abs(dependentsOf(deps, p).length - target)
    if (diff < bestDiff) ((best = p), (bestDiff = diff))
  }
  return best
}

const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore ' +
  'et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo ' +
  'consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint'
).split(' ')

function fileContent(rnd, header) {
  const size = 1024 + Math.floor(rnd() * 1024)
  let s = header + '\n'
  let line = ''
  while (s.length + line.length < size) {
    line += WORDS[Math.floor(rnd() * WORDS.length)] + ' '
    if (line.length > 70) ((s += line.trimEnd() + '\n'), (line = ''))
  }
  return (s + line).slice(0, size - 1) + '\n'
}

const GITIGNORE = [
  'node_modules/',
  'dist/',
  '.tasks/',
  '.tasks-*/',
  '.turbo/',
  '.nx/',
  '.wireit/',
  '.ninja_log',
  '.ninja_deps',
  '*.log',
  '.bench.json',
  '',
].join('\n')

function git(dir, ...args) {
  execFileSync(
    'git',
    ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', ...args],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
}

function write(path, text) {
  writeFileSync(path, text)
}

/**
 * Write the package workspace. Returns a description used by the harness.
 * @param {{ dir: string, packages?: number, files?: number, seed?: number, concurrency?: number }} o
 */
export function generate({ dir, packages = 100, files = 100, seed = 1, layout = 'single' }) {
  dir = resolve(dir)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const deps = makeDag(packages, seed)
  const rnd = prng(seed)
  const names = deps.map((_, i) => pkgName(i))

  // Sources and per-package package.json (turbo `build` script, nx target, wireit script).
  for (let i = 0; i < packages; i++) {
    const name = names[i]
    const src = join(dir, 'packages', name, 'src')
    mkdirSync(src, { recursive: true })
    for (let j = 0; j < files; j++) write(join(src, fileName(j)), fileContent(rnd, `# ${name}/${fileName(j)}`))
    const cmd = buildCommand(name)
    const pkg = {
      name,
      version: '1.0.0',
      private: true,
      scripts: { build: cmd, wbuild: 'wireit' },
      dependencies: Object.fromEntries(deps[i].map((d) => [names[d], '1.0.0'])),
      nx: {
        targets: {
          build: { executor: 'nx:run-commands', options: { command: cmd, cwd: '{projectRoot}' } },
        },
      },
      wireit: {
        wbuild: {
          command: cmd,
          dependencies: deps[i].map((d) => `../${names[d]}:wbuild`),
          files: ['src/**'],
          output: ['dist/**'],
        },
      },
    }
    write(join(dir, 'packages', name, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  }

  // npm workspaces root (turbo, nx, wireit) and a lockfile written directly (no registry needed).
  const root = {
    name: 'bench-workspace',
    version: '0.0.0',
    private: true,
    packageManager: 'npm@11.0.0',
    workspaces: ['packages/*'],
    scripts: { wbuild: 'wireit' },
    wireit: { wbuild: { dependencies: names.map((n) => `./packages/${n}:wbuild`) } },
  }
  write(join(dir, 'package.json'), JSON.stringify(root, null, 2) + '\n')
  const lock = { name: root.name, version: root.version, lockfileVersion: 3, requires: true, packages: {} }
  lock.packages[''] = { name: root.name, version: root.version, workspaces: root.workspaces }
  for (let i = 0; i < packages; i++) {
    lock.packages[`node_modules/${names[i]}`] = { resolved: `packages/${names[i]}`, link: true }
  }
  for (let i = 0; i < packages; i++) {
    const entry = { name: names[i], version: '1.0.0' }
    if (deps[i].length) entry.dependencies = Object.fromEntries(deps[i].map((d) => [names[d], '1.0.0']))
    lock.packages[`packages/${names[i]}`] = entry
  }
  write(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n')

  write(
    join(dir, 'turbo.json'),
    JSON.stringify(
      {
        $schema: 'https://turbo.build/schema.json',
        ui: 'stream',
        tasks: { build: { dependsOn: ['^build'], inputs: ['src/**'], outputs: ['dist/**'] } },
      },
      null,
      2,
    ) + '\n',
  )

  write(
    join(dir, 'nx.json'),
    JSON.stringify(
      {
        $schema: './node_modules/nx/schemas/nx-schema.json',
        cacheDirectory: '.nx/cache',
        // `^default`: a package's hash covers its dependencies' sources (transitively), so a change
        // reruns the dependents too, as turbo (`^build` hashes) and wireit (dependency fingerprints) do.
        namedInputs: { default: ['{projectRoot}/src/**/*'] },
        targetDefaults: {
          build: {
            cache: true,
            dependsOn: ['^build'],
            inputs: ['default', '^default'],
            outputs: ['{projectRoot}/dist'],
          },
        },
      },
      null,
      2,
    ) + '\n',
  )

  if (layout === 'workspaces') {
    // typed-tasks, workspace form: root defaults + one TypeScript config per package.
    write(
      join(dir, 'tasks.config.mjs'),
      `// Generated by bench/gen.mjs: ${packages} workspaces, one tasks.config.ts each.
// TASKS_MODE=mtime switches every task to mtime fingerprints (default: content).
// Commands run under /bin/sh, as make's do (TASKS_SHELL=portable: the default portable shell).
export default {
  workspaces: ['packages/*'],
  defaults: {
    build: { inputs: ['src/**'], outputs: ['dist/out.txt'], deps: ['^build'], fingerprint: process.env.TASKS_MODE === 'mtime' ? 'mtime' : 'content', shell: process.env.TASKS_SHELL || 'sh' },
  },
  tasks: {
    all: { description: 'build every package', deps: ['^build'] },
  },
}
`,
    )
    for (const n of names) {
      write(
        join(dir, 'packages', n, 'tasks.config.ts'),
        `// Generated by bench/gen.mjs. Inputs, outputs and deps come from the root's \`defaults\`.
const build: { run: string } = { run: ${JSON.stringify(buildCommand(n))} }
export default { tasks: { build } }
`,
      )
    }
  }
  // typed-tasks: plain JS, one task per package and the aggregate `all`.
  const table = names
    .map((n, i) => `  [${JSON.stringify(n)}, [${deps[i].map((d) => JSON.stringify(names[d])).join(', ')}]],`)
    .join('\n')
  if (layout !== 'workspaces')
    write(
      join(dir, 'tasks.config.mjs'),
      `// Generated by bench/gen.mjs: ${packages} packages, one \`build\` task each.
// TASKS_MODE=mtime switches every task to mtime fingerprints (default: content).
// Commands run under /bin/sh, as make's do (TASKS_SHELL=portable: the default portable shell).
const fingerprint = process.env.TASKS_MODE === 'mtime' ? 'mtime' : 'content'
const shell = process.env.TASKS_SHELL || 'sh'
const packages = [
${table}
]
const tasks = {}
for (const [name, deps] of packages) {
  tasks[\`\${name}:build\`] = {
    run: \`mkdir -p dist && echo \${name} > dist/out.txt\`,
    cwd: \`packages/\${name}\`,
    inputs: ['src/**'],
    outputs: ['dist/out.txt'],
    deps: deps.map((d) => \`\${d}:build\`),
    fingerprint,
    shell,
  }
}
tasks.all = { description: 'build every package', deps: packages.map(([name]) => \`\${name}:build\`) }
export default { tasks }
`,
    )

  // GNU make: explicit prerequisites, no built-in rules or suffixes (see shared/DEPS.md).
  const out = (i) => `packages/${names[i]}/dist/out.txt`
  let mk =
    '# Generated by bench/gen.mjs\nMAKEFLAGS += --no-builtin-rules --no-builtin-variables\n.SUFFIXES:\n.PHONY: all\n'
  mk += `all: ${names.map((_, i) => out(i)).join(' ')}\n\n`
  for (let i = 0; i < packages; i++) {
    const srcs = Array.from({ length: files }, (_, j) => `packages/${names[i]}/src/${fileName(j)}`)
    mk += `${out(i)}: ${[...srcs, ...deps[i].map(out)].join(' ')}\n\tcd packages/${names[i]} && ${buildCommand(names[i])}\n\n`
  }
  write(join(dir, 'Makefile'), mk)

  // ninja
  let nj =
    '# Generated by bench/gen.mjs\nrule b\n  command = cd $dir && mkdir -p dist && echo $name > dist/out.txt\n  description = build $name\n\n'
  for (let i = 0; i < packages; i++) {
    const srcs = Array.from({ length: files }, (_, j) => `packages/${names[i]}/src/${fileName(j)}`)
    nj += `build ${out(i)}: b ${srcs.join(' ')}${deps[i].length ? ' | ' + deps[i].map(out).join(' ') : ''}\n  dir = packages/${names[i]}\n  name = ${names[i]}\n`
  }
  nj += `build all: phony ${names.map((_, i) => out(i)).join(' ')}\ndefault all\n`
  write(join(dir, 'build.ninja'), nj)

  write(join(dir, '.gitignore'), GITIGNORE)
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', `generated workspace ${packages}x${files} seed ${seed}`)

  const changed = pickChangedPackage(deps)
  const info = {
    generator: GENERATOR_VERSION,
    packages,
    files,
    seed,
    layout,
    edges: deps.reduce((n, d) => n + d.length, 0),
    changedPackage: names[changed],
    changedFile: `packages/${names[changed]}/src/${fileName(0)}`,
    rerunOnChange: dependentsOf(deps, changed).map((i) => names[i]),
  }
  write(join(dir, '.bench.json'), JSON.stringify(info, null, 2) + '\n')
  return info
}

/**
 * The scheduler workspace: `count` independent tasks running `true`, with no inputs (never cached,
 * always run), plus an aggregate `all`, for typed-tasks, make and ninja.
 */
export function generateTrivial({ dir, count = 1000 }) {
  dir = resolve(dir)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const names = Array.from({ length: count }, (_, i) => `t${String(i).padStart(4, '0')}`)
  write(
    join(dir, 'tasks.config.mjs'),
    `// Generated by bench/gen.mjs: ${count} trivial tasks, no inputs (they always run).
const tasks = {}
for (let i = 0; i < ${count}; i++) tasks[\`t\${String(i).padStart(4, '0')}\`] = { run: 'true' }
tasks.all = { deps: Object.keys(tasks) }
export default { tasks }
`,
  )
  write(
    join(dir, 'Makefile'),
    `MAKEFLAGS += --no-builtin-rules --no-builtin-variables\n.SUFFIXES:\n.PHONY: all ${names.join(' ')}\nall: ${names.join(' ')}\n` +
      names.map((n) => `${n}:\n\ttrue\n`).join(''),
  )
  // Outputs that are never created: ninja considers every edge dirty on every run.
  write(
    join(dir, 'build.ninja'),
    `rule t\n  command = true\n  description = $out\n` +
      names.map((n) => `build ${n}: t\n`).join('') +
      `build all: phony ${names.join(' ')}\ndefault all\n`,
  )
  write(join(dir, 'names.txt'), names.join('\n') + '\n')
  const info = { generator: GENERATOR_VERSION, trivial: count }
  write(join(dir, '.bench.json'), JSON.stringify(info, null, 2) + '\n')
  return info
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      packages: { type: 'string', default: '100' },
      files: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      layout: { type: 'string', default: 'single' },
      trivial: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help || positionals.length !== 1) {
    process.stderr.write(
      'usage: node bench/gen.mjs [--packages 100] [--files 100] [--seed 1] [--layout single|workspaces] [--trivial N] <dir>\n',
    )
    process.exit(values.help ? 0 : 2)
  }
  const t0 = performance.now()
  const info = values.trivial
    ? generateTrivial({ dir: positionals[0], count: Number(values.trivial) })
    : generate({
        dir: positionals[0],
        packages: Number(values.packages),
        files: Number(values.files),
        seed: Number(values.seed),
        layout: values.layout,
      })
  process.stderr.write(`generated ${positionals[0]} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  process.stdout.write(JSON.stringify(info, null, 2) + '\n')
}
