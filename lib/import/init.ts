/**
 * `tasks init`: look at a folder (package.json, go.mod, Cargo.toml, pyproject.toml /
 * requirements.txt, Dockerfile, Makefile, justfile, Taskfile.yml) and write a starter `tasks.config.ts` that uses the
 * recipes (`typed-tasks/recipes`) for what it found, with `build`, `test` and `lint` aggregates.
 * The library returns the text; the CLI writes it and adds `.tasks/` to `.gitignore`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { importPackageJson } from './npm.js'
import { q, renderConfig, type GeneratedTask } from './render.js'

/** What `tasks init` found and wrote. */
export interface InitResult {
  /** The config file's text. */
  config: string
  /** What was detected, e.g. `['go.mod', 'Dockerfile']`. */
  detected: string[]
  /** Task names the config defines (recipe tasks included). */
  tasks: string[]
}

/** Options of {@link initConfig}. */
export interface InitOptions {
  /** The project folder (absolute). */
  cwd: string
  /** Where the generated file imports from. @default 'typed-tasks' (recipes: `<importFrom>/recipes`) */
  importFrom?: string
  /** Module specifier of the recipes. @default `${importFrom}/recipes` */
  recipesFrom?: string
}

/** Detect the project and write a starter config. Never throws for an empty folder: the config then has one example task. */
export function initConfig(options: InitOptions): InitResult {
  const dir = options.cwd
  const has = (f: string) => existsSync(join(dir, f))
  const detected: string[] = []
  const p: Plan = {
    dir,
    has,
    detected,
    spreads: [],
    recipes: new Set(),
    names: [],
    groups: { build: [], test: [], lint: [] },
    tasks: [],
    comments: otherRunners(has, detected),
  }
  planRecipes(p)
  planNpm(p)
  planMake(p)
  const { spreads, recipes, names, groups, tasks, comments } = p
  for (const [g, members] of Object.entries(groups)) {
    if (members.length && !names.includes(g)) {
      tasks.push({ name: g, description: `${g} everything`, deps: members })
      names.push(g)
    }
  }
  if (names.length === 0) {
    tasks.push({
      name: 'hello',
      description: 'an example task: edit or replace it',
      run: 'echo hello from tasks',
      inputs: [],
    })
    names.push('hello')
  }
  const recipesFrom = options.recipesFrom ?? `${options.importFrom ?? 'typed-tasks'}/recipes`
  const header = [
    `Written by \`tasks init\`${detected.length ? ` for ${detected.join(', ')}` : ''}. \`tasks --list\` shows the tasks; \`tasks <name>\` runs one.`,
    'The recipes are documented in the README ("Recipes"); inputs and outputs decide what is cached.',
    ...comments,
  ]
  const imports = recipes.size ? [`import { ${[...recipes].sort().join(', ')} } from ${q(recipesFrom)}`] : []
  return {
    config: renderConfig({ header, tasks, spreads, imports, importFrom: options.importFrom }),
    detected,
    tasks: names,
  }
}

/** What {@link initConfig} found so far, and the config it plans: filled by the `plan*` functions, in order. */
interface Plan {
  /** The project folder (absolute). */
  dir: string
  /** Whether the project folder holds `file`. */
  has(file: string): boolean
  detected: string[]
  /** Recipe calls of the config (`...go.test(),`). */
  spreads: string[]
  /** The recipes imported. */
  recipes: Set<string>
  /** Every task name the config defines. */
  names: string[]
  /** Members of the `build`, `test` and `lint` aggregates. */
  groups: { build: string[]; test: string[]; lint: string[] }
  /** Tasks written out in full. */
  tasks: GeneratedTask[]
  /** Lines of the header comment. */
  comments: string[]
}

/** The recipes for a Go module, a Cargo package, a Python project and a Dockerfile. */
function planRecipes(p: Plan): void {
  if (p.has('go.mod')) {
    p.detected.push('go.mod')
    p.recipes.add('go')
    const mains = goMains(p.dir)
    for (const m of mains) {
      p.spreads.push(`...go.build({ name: ${q(m.name)}, main: ${q(m.main)} }),`)
      p.names.push(`go:${m.name}`)
      p.groups.build.push(`go:${m.name}`)
    }
    p.spreads.push('...go.test(),', '...go.vet(),')
    p.names.push('go:test', 'go:vet')
    p.groups.test.push('go:test')
    p.groups.lint.push('go:vet')
  }
  if (p.has('Cargo.toml')) {
    p.detected.push('Cargo.toml')
    p.recipes.add('rust')
    const bin = cargoBin(p.dir)
    if (bin) {
      p.spreads.push(`...rust.build({ bin: ${q(bin)} }),`)
      p.names.push(`rust:${bin}`)
      p.groups.build.push(`rust:${bin}`)
    }
    p.spreads.push('...rust.test(),', '...rust.clippy(),')
    p.names.push('rust:test', 'rust:clippy')
    p.groups.test.push('rust:test')
    p.groups.lint.push('rust:clippy')
  }
  if (p.has('pyproject.toml') || p.has('requirements.txt') || p.has('setup.py')) {
    p.detected.push(['pyproject.toml', 'requirements.txt', 'setup.py'].find((f) => p.has(f))!)
    p.recipes.add('python')
    p.spreads.push('...python.venv(),', '...python.test(),', '...python.lint(),')
    p.names.push('py:venv', 'py:test', 'py:lint')
    p.groups.test.push('py:test')
    p.groups.lint.push('py:lint')
  }
  if (p.has('Dockerfile')) {
    p.detected.push('Dockerfile')
    p.recipes.add('docker')
    const image =
      basename(p.dir)
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/^[^a-z0-9]+/, '') || 'app'
    // The context holds the binaries the go/rust tasks build (bin/, target/): the image reads them, so it depends on those tasks.
    const built = p.groups.build.filter((n) => n.startsWith('go:') || n.startsWith('rust:'))
    p.spreads.push(
      `...docker.image({ name: ${q(image)}, context: '.', tags: [${q(`${image}:dev`)}]${built.length ? `, deps: [${built.map(q).join(', ')}]` : ''} }),`,
    )
    p.names.push(`docker:${image}`)
    p.groups.build.push(`docker:${image}`)
  }
}

/** The package.json scripts, as tasks (`build`/`test`/`lint` and names a recipe took become `npm:<name>`). */
function planNpm(p: Plan): void {
  if (p.has('package.json')) {
    p.detected.push('package.json')
    try {
      const npm = importPackageJson({ file: join(p.dir, 'package.json') })
      // `build`/`test`/`lint` scripts (and names a recipe took) join under an `npm:` name.
      const renamed = new Map(
        npm.generated
          .filter((t) => p.names.includes(t.name) || t.name in p.groups)
          .map((t) => [t.name, `npm:${t.name}`]),
      )
      for (const t of npm.generated) {
        const name = renamed.get(t.name) ?? t.name
        p.tasks.push({ ...t, name, deps: t.deps?.map((d) => renamed.get(d) ?? d) })
        p.names.push(name)
        if (t.name in p.groups) p.groups[t.name as keyof typeof p.groups].push(name)
      }
    } catch {
      p.comments.push('package.json has no scripts to import')
    }
  }
}

/** A `make` task for a Makefile (and a comment pointing at `tasks import Makefile`). */
function planMake(p: Plan): void {
  if (p.has('Makefile') || p.has('makefile') || p.has('GNUmakefile')) {
    p.detected.push(['GNUmakefile', 'makefile', 'Makefile'].find((f) => p.has(f))!)
    p.comments.push('a Makefile was found: `tasks import Makefile` translates its targets into tasks')
    if (!p.names.includes('make')) {
      p.tasks.push({
        name: 'make',
        description: "the Makefile's default goal (`tasks import Makefile` translates every target)",
        run: 'make',
      })
      p.names.push('make')
      p.groups.build.push('make')
    }
  }
}

/**
 * The comment for a justfile or Taskfile found in the folder (pointing at `tasks import`), which is
 * added to `detected`; none when there is neither.
 */
function otherRunners(has: (file: string) => boolean, detected: string[]): string[] {
  const names = ['justfile', 'Justfile', '.justfile', 'Taskfile.yml', 'Taskfile.yaml', 'taskfile.yml', 'taskfile.yaml']
  const found = names.find(has)
  if (!found) return []
  detected.push(found)
  const what = /just/i.test(found) ? 'recipes' : 'tasks'
  return [`a ${found} was found: \`tasks import ${found}\` translates its ${what} into tasks`]
}

/** Main packages of a Go module: the root when it is `package main`, and each `cmd/<name>`. */
function goMains(dir: string): { name: string; main: string }[] {
  const out: { name: string; main: string }[] = []
  const isMain = (d: string) => {
    try {
      return readdirSync(d).some(
        (f) =>
          f.endsWith('.go') && !f.endsWith('_test.go') && /^package main\b/m.test(readFileSync(join(d, f), 'utf8')),
      )
    } catch {
      return false
    }
  }
  const mod = /^module\s+(\S+)/m.exec(readFileSync(join(dir, 'go.mod'), 'utf8'))?.[1] ?? basename(dir)
  if (isMain(dir)) out.push({ name: sanitize(mod.split('/').at(-1)!), main: '.' })
  try {
    for (const c of readdirSync(join(dir, 'cmd')))
      if (isMain(join(dir, 'cmd', c))) out.push({ name: sanitize(c), main: `./cmd/${c}` })
  } catch {}
  return out
}

/** The binary of a Cargo package: the first `[[bin]]` name, else the package name when `src/main.rs` exists. */
function cargoBin(dir: string): string | undefined {
  const text = readFileSync(join(dir, 'Cargo.toml'), 'utf8')
  const bin = /\[\[bin\]\][^[]*?name\s*=\s*"([^"]+)"/s.exec(text)?.[1]
  if (bin) return bin
  const pkg = /\[package\][^[]*?name\s*=\s*"([^"]+)"/s.exec(text)?.[1]
  return pkg && existsSync(join(dir, 'src', 'main.rs')) ? pkg : undefined
}

function sanitize(s: string): string {
  return s.replace(/[^\w.-]+/g, '-') || 'app'
}
