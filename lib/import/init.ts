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
  const spreads: string[] = []
  const recipes = new Set<string>()
  const names: string[] = []
  const groups = { build: [] as string[], test: [] as string[], lint: [] as string[] }
  const tasks: GeneratedTask[] = []
  const comments: string[] = otherRunners(has, detected)

  if (has('go.mod')) {
    detected.push('go.mod')
    recipes.add('go')
    const mains = goMains(dir)
    for (const m of mains) {
      spreads.push(`...go.build({ name: ${q(m.name)}, main: ${q(m.main)} }),`)
      names.push(`go:${m.name}`)
      groups.build.push(`go:${m.name}`)
    }
    spreads.push('...go.test(),', '...go.vet(),')
    names.push('go:test', 'go:vet')
    groups.test.push('go:test')
    groups.lint.push('go:vet')
  }
  if (has('Cargo.toml')) {
    detected.push('Cargo.toml')
    recipes.add('rust')
    const bin = cargoBin(dir)
    if (bin) {
      spreads.push(`...rust.build({ bin: ${q(bin)} }),`)
      names.push(`rust:${bin}`)
      groups.build.push(`rust:${bin}`)
    }
    spreads.push('...rust.test(),', '...rust.clippy(),')
    names.push('rust:test', 'rust:clippy')
    groups.test.push('rust:test')
    groups.lint.push('rust:clippy')
  }
  if (has('pyproject.toml') || has('requirements.txt') || has('setup.py')) {
    detected.push(['pyproject.toml', 'requirements.txt', 'setup.py'].find(has)!)
    recipes.add('python')
    spreads.push('...python.venv(),', '...python.test(),', '...python.lint(),')
    names.push('py:venv', 'py:test', 'py:lint')
    groups.test.push('py:test')
    groups.lint.push('py:lint')
  }
  if (has('Dockerfile')) {
    detected.push('Dockerfile')
    recipes.add('docker')
    const image =
      basename(dir)
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/^[^a-z0-9]+/, '') || 'app'
    // The context holds the binaries the go/rust tasks build (bin/, target/): the image reads them, so it depends on those tasks.
    const built = groups.build.filter((n) => n.startsWith('go:') || n.startsWith('rust:'))
    spreads.push(
      `...docker.image({ name: ${q(image)}, context: '.', tags: [${q(`${image}:dev`)}]${built.length ? `, deps: [${built.map(q).join(', ')}]` : ''} }),`,
    )
    names.push(`docker:${image}`)
    groups.build.push(`docker:${image}`)
  }
  if (has('package.json')) {
    detected.push('package.json')
    try {
      const npm = importPackageJson({ file: join(dir, 'package.json') })
      // `build`/`test`/`lint` scripts (and names a recipe took) join under an `npm:` name.
      const renamed = new Map(
        npm.generated.filter((t) => names.includes(t.name) || t.name in groups).map((t) => [t.name, `npm:${t.name}`]),
      )
      for (const t of npm.generated) {
        const name = renamed.get(t.name) ?? t.name
        tasks.push({ ...t, name, deps: t.deps?.map((d) => renamed.get(d) ?? d) })
        names.push(name)
        if (t.name in groups) groups[t.name as keyof typeof groups].push(name)
      }
    } catch {
      comments.push('package.json has no scripts to import')
    }
  }
  if (has('Makefile') || has('makefile') || has('GNUmakefile')) {
    detected.push(['GNUmakefile', 'makefile', 'Makefile'].find(has)!)
    comments.push('a Makefile was found: `tasks import Makefile` translates its targets into tasks')
    if (!names.includes('make')) {
      tasks.push({
        name: 'make',
        description: "the Makefile's default goal (`tasks import Makefile` translates every target)",
        run: 'make',
      })
      names.push('make')
      groups.build.push('make')
    }
  }
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
