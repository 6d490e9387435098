// Workspaces: a monorepo of 20 workspaces with cross-workspace deps, built from the root and from a
// workspace folder; --filter; package.json / pnpm-workspace.yaml lists; defaults; errors.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixture, runCli, LIB_URL, REPO } from '../rig.mjs'

const N = 20
const pad = (i) => `p${String(i).padStart(2, '0')}`
/** Workspace i depends on i-1 (package.json) and on i-4 (`dependsOn` in its config) when they exist. */
const depsOf = (i) => [i - 1, i - 4].filter((d) => d >= 0)

/** The files of the monorepo: root config with `defaults`, one config per workspace. */
function monorepo({ rootConfig = true, list = 'config' } = {}) {
  const files = {}
  if (rootConfig) {
    files['tasks.config.ts'] = `import { defineConfig } from '${LIB_URL}'
export default defineConfig({
  ${list === 'config' ? "workspaces: ['packages/*', '!packages/ignored']," : ''}
  defaults: {
    build: { inputs: ['src/**'], outputs: ['dist/out.txt'], deps: ['^build'] },
  },
  tasks: {
    all: { description: 'every build', deps: ['^build'] },
    lint: { run: 'echo root lint' },
  },
})
`
  }
  if (list === 'package.json')
    files['package.json'] = JSON.stringify({
      name: 'root',
      private: true,
      workspaces: ['packages/*', '!packages/ignored'],
    })
  if (list === 'pnpm') files['pnpm-workspace.yaml'] = "packages:\n  - 'packages/*'\n  - '!packages/ignored'\n"
  files['packages/ignored/package.json'] = JSON.stringify({ name: 'ignored' })
  files['packages/ignored/tasks.config.mjs'] = "export default { tasks: { build: { run: 'exit 1' } } }\n"
  for (let i = 0; i < N; i++) {
    const name = pad(i)
    const [near, far] = [i - 1, i - 4]
    files[`packages/${name}/package.json`] = JSON.stringify({
      name,
      version: '1.0.0',
      dependencies: near >= 0 ? { [pad(near)]: '1.0.0', leftpad: '1.0.0' } : {},
    })
    files[`packages/${name}/src/a.txt`] = `source of ${name}\n`
    // Each build concatenates its own source and its dependencies' outputs: `cat` fails if one is missing.
    const inputsFromDeps = depsOf(i)
      .map((d) => `../${pad(d)}/dist/out.txt`)
      .join(' ')
    const run = `mkdir -p dist && cat src/a.txt ${inputsFromDeps} > dist/out.txt`
    const cfg = rootConfig
      ? `{ ${far >= 0 ? `dependsOn: ['${pad(far)}'], ` : ''}tasks: { build: { run: '${run}' }, test: { run: 'test -s dist/out.txt && echo ${name} ok', deps: ['build'] } } }`
      : `{ ${far >= 0 ? `dependsOn: ['${pad(far)}'], ` : ''}tasks: { build: { run: '${run}', inputs: ['src/**'], outputs: ['dist/out.txt'], deps: ['^build'] } } }`
    files[`packages/${name}/tasks.config.${i % 2 ? 'ts' : 'mjs'}`] = `export default ${cfg}\n`
  }
  return fixture(files)
}

/** The expected content of workspace i's output: its source, then its dependencies' outputs. */
function expected(i) {
  return `source of ${pad(i)}\n` + depsOf(i).map(expected).join('')
}
const closure = (i, seen = new Set()) => {
  if (!seen.has(i)) (seen.add(i), depsOf(i).forEach((d) => closure(d, seen)))
  return seen
}
const count = (out, what) => +(new RegExp(`${what}: (\\d+)`).exec(out)?.[1] ?? -1)

test('20 workspaces build from the root in dependency order, then are up to date', async () => {
  const f = monorepo()
  try {
    const r = await runCli(f.dir, ['build'])
    assert.is(r.code, 0, r.out)
    assert.is(count(r.out, 'ran'), N, r.out)
    for (let i = 0; i < N; i++) assert.is(f.read(`packages/${pad(i)}/dist/out.txt`), expected(i), pad(i))
    assert.not.ok(f.exists('packages/ignored/dist'), 'an excluded folder is not a workspace')
    const again = await runCli(f.dir, ['build'])
    assert.is(again.code, 0, again.out)
    assert.is(count(again.out, 'up to date'), N, again.out)
    // One cache for the repo, at the root.
    assert.ok(f.exists('.tasks'))
    assert.not.ok(f.exists('packages/p03/.tasks'))
    // A change in p15 reruns p15 and its dependents (p16..p19), nothing else.
    f.write('packages/p15/src/a.txt', 'changed\n')
    const change = await runCli(f.dir, ['all'])
    assert.is(change.code, 0, change.out)
    assert.is(count(change.out, 'ran'), 6, change.out) // p15..p19 and the aggregate `all`
    assert.match(f.read('packages/p19/dist/out.txt'), 'changed')
  } finally {
    f.cleanup()
  }
})

test('inside a workspace folder, `tasks build` runs that workspace and what it needs', async () => {
  const f = monorepo()
  try {
    const r = await runCli(f.path('packages/p09'), ['build'])
    assert.is(r.code, 0, r.out)
    const need = closure(9)
    assert.is(count(r.out, 'ran'), need.size, r.out)
    for (let i = 0; i < N; i++) assert.is(f.exists(`packages/${pad(i)}/dist/out.txt`), need.has(i), pad(i))
    assert.is(f.read('packages/p09/dist/out.txt'), expected(9))
    // Short names resolve in the workspace; full names and root tasks still work from there.
    const t = await runCli(f.path('packages/p09/src'), ['test', 'p02#build', 'lint'])
    assert.is(t.code, 0, t.out)
    assert.match(t.out, '[p09#test] p09 ok')
    assert.match(t.out, '[lint] root lint')
    // --list from a workspace shows the whole repo.
    const list = await runCli(f.path('packages/p09'), ['--list'])
    assert.match(list.stdout, 'p19#build')
    assert.match(list.stdout, 'all')
  } finally {
    f.cleanup()
  }
})

test('--filter: name, glob, ./path, name... and ...name', async () => {
  const f = monorepo()
  try {
    const dry = async (...filters) => {
      const r = await runCli(f.dir, ['build', '--dry-run', '--json', ...filters.flatMap((x) => ['--filter', x])])
      assert.is(r.code, 0, r.out)
      return JSON.parse(r.stdout)
        .tasks.map((t) => t.name)
        .sort()
    }
    // The run includes what the selected builds need: p03's build needs p02, p01, p00.
    assert.equal(await dry('p03'), ['p00#build', 'p01#build', 'p02#build', 'p03#build'])
    assert.equal(await dry('./packages/p00'), ['p00#build'])
    assert.equal(await dry('p0[01]'), ['p00#build', 'p01#build'])
    // ...p17: p17 and its dependents (p18, p19); their deps come along as dependencies of the run.
    const up = await dry('...p17')
    assert.ok(up.includes('p19#build') && up.includes('p18#build') && up.includes('p17#build'), up.join())
    assert.equal(await dry('p01...'), ['p00#build', 'p01#build'])
    assert.equal(await dry('p00', 'p01'), ['p00#build', 'p01#build'])
    const bad = await runCli(f.dir, ['build', '--filter', 'p1x'])
    assert.is(bad.code, 2, bad.out)
    assert.match(bad.stderr, '--filter `p1x` matches no workspace')
  } finally {
    f.cleanup()
  }
})

for (const list of ['package.json', 'pnpm']) {
  test(`without a root config, the ${list} workspace list finds the workspaces`, async () => {
    const f = monorepo({ rootConfig: false, list })
    try {
      const r = await runCli(f.dir, ['build'])
      assert.is(r.code, 0, r.out)
      assert.is(count(r.out, 'ran'), N, r.out)
      for (let i = 0; i < N; i++) assert.is(f.read(`packages/${pad(i)}/dist/out.txt`), expected(i))
      const inside = await runCli(f.path('packages/p05'), ['build'])
      assert.is(inside.code, 0, inside.out)
      assert.is(count(inside.out, 'up to date'), closure(5).size, inside.out)
    } finally {
      f.cleanup()
    }
  })
}

test('a spread helper from the root is bundled into workspace configs', async () => {
  const f = fixture({
    'tasks.config.ts': `export default { workspaces: ['libs/*'], tasks: {} }\n`,
    'tasks/shared.ts': `export const lib = (name: string) => ({ build: { run: \`mkdir -p out && echo \${name} > out/name.txt\`, inputs: ['package.json'], outputs: ['out/**'] } })\n`,
    'libs/one/package.json': '{"name":"@acme/one"}',
    'libs/one/tasks.config.ts': `import { lib } from '../../tasks/shared.ts'\nexport default { tasks: { ...lib('one') } }\n`,
  })
  try {
    const r = await runCli(f.dir, ['build'])
    assert.is(r.code, 0, r.out)
    assert.match(r.out, '[@acme/one#build]')
    assert.is(f.read('libs/one/out/name.txt'), 'one\n')
  } finally {
    f.cleanup()
  }
})

test('`.tasks/config` is a file: the workspace configs are compiled in memory with a warning, packages still resolve', async () => {
  const f = fixture({
    'tasks.config.ts': `export default { workspaces: ['libs/*'], tasks: {} }\n`,
    'tasks/shared.ts': `export const lib = (name: string) => ({ build: { run: \`mkdir -p out && echo \${name} > out/name.txt\`, inputs: ['package.json'], outputs: ['out/**'] } })\n`,
    'libs/one/package.json': '{"name":"@acme/one"}',
    'libs/one/tasks.config.ts': `import { defineConfig } from 'typed-tasks'\nimport { lib } from '../../tasks/shared.ts'\nexport default defineConfig({ tasks: { ...lib('one') } })\n`,
    'libs/two/package.json': '{"name":"@acme/two"}',
    'libs/two/tasks.config.mjs': `import { lib } from '../../tasks/shared.ts'\nexport default { tasks: { ...lib('two') } }\n`,
    '.tasks/config': 'not a folder',
  })
  try {
    mkdirSync(f.path('node_modules'))
    symlinkSync(REPO, f.path('node_modules/typed-tasks'))
    const r = await runCli(f.dir, ['build'])
    assert.is(r.code, 0, r.out)
    assert.match(
      r.stderr,
      /warning: could not cache the compiled workspace configs in .*\.tasks\/config .*compiled them in memory/,
    )
    assert.not.match(r.out, 'internal error')
    assert.is(f.read('libs/one/out/name.txt'), 'one\n')
    assert.is(f.read('libs/two/out/name.txt'), 'two\n')
  } finally {
    f.cleanup()
  }
})

test('errors name the workspace config: unknown cross-workspace task, cycles across workspaces, bad dependsOn', async () => {
  const f = fixture({
    'tasks.config.mjs': `export default { workspaces: ['w/*'], tasks: {} }\n`,
    'w/a/package.json': '{"name":"a","dependencies":{"b":"1"}}',
    'w/a/tasks.config.mjs': "export default { tasks: { build: { run: 'true', deps: ['^build', 'b#tset'] } } }\n",
    'w/b/package.json': '{"name":"b"}',
    'w/b/tasks.config.mjs': "export default { tasks: { build: { run: 'true' }, test: { run: 'true' } } }\n",
  })
  try {
    const r = await runCli(f.dir, ['build'])
    assert.is(r.code, 2, r.out)
    assert.match(r.stderr, 'task `a#build` depends on unknown task `b#tset`')
    assert.match(r.stderr, 'w/a/tasks.config.mjs:1:')
    assert.match(r.stderr, 'did you mean `b#test`?')

    f.write('w/a/tasks.config.mjs', "export default { tasks: { build: { run: 'true', deps: ['^build'] } } }\n")
    f.write(
      'w/b/tasks.config.mjs',
      "export default { dependsOn: ['a'], tasks: { build: { run: 'true', deps: ['^build'] } } }\n",
    )
    const cycle = await runCli(f.dir, ['build'])
    assert.is(cycle.code, 2, cycle.out)
    assert.match(cycle.stderr, /dependency cycle: (a#build -> b#build -> a#build|b#build -> a#build -> b#build)/)

    f.write('w/b/tasks.config.mjs', "export default { dependsOn: ['c'], tasks: { build: { run: 'true' } } }\n")
    const bad = await runCli(f.dir, ['build'])
    assert.is(bad.code, 2, bad.out)
    assert.match(bad.stderr, '`dependsOn` names unknown workspace `c`')
    assert.match(bad.stderr, 'w/b/tasks.config.mjs')

    // The declaration checks name the workspace's own config too: b reads a's output without depending on it.
    f.write(
      'w/a/tasks.config.mjs',
      "export default { tasks: { build: { run: 'echo a > out.txt', inputs: [], outputs: ['out.txt'] } } }\n",
    )
    f.write(
      'w/b/tasks.config.mjs',
      "export default { tasks: {\n  build: { run: 'cat ../a/out.txt', inputs: ['../a/out.txt'] } } }\n",
    )
    const undeclared = await runCli(f.dir, ['build'])
    assert.is(undeclared.code, 2, undeclared.out)
    assert.match(
      undeclared.stderr,
      'task `b#build` reads `w/a/out.txt` (input `../a/out.txt`), an output of task `a#build`, without depending on it',
    )
    assert.match(undeclared.stderr, 'w/b/tasks.config.mjs:2:')
  } finally {
    f.cleanup()
  }
})

test('root tasks from a workspace (short name, //#name), configRoot() per workspace, errors inside a workspace config', async () => {
  const f = fixture({
    'tasks.config.mjs': `export default { workspaces: ['w/*'], tasks: { codegen: { run: 'mkdir -p gen && echo generated > gen/x.txt', inputs: [], outputs: ['gen/x.txt'] }, lint: { run: 'echo root lint' } } }\n`,
    'w/a/package.json': '{"name":"a"}',
    'w/a/tasks.config.ts': `import { configRoot } from '${LIB_URL}'
const here: string = configRoot() ?? 'none'
export default { tasks: { build: { run: 'cat ../../gen/x.txt > out.txt && echo ' + JSON.stringify(here) + ' >> out.txt', deps: ['codegen', '//#lint'] } } }
`,
    'w/b/package.json': '{"name":"b"}',
    'w/b/tasks.config.mjs': `import { configRoot } from '${LIB_URL}'\nexport default { tasks: { where: { run: 'echo ' + JSON.stringify(configRoot()) } } }\n`,
  })
  try {
    const r = await runCli(f.path('w/a'), ['build'])
    assert.is(r.code, 0, r.out)
    assert.match(r.out, '[lint] root lint')
    assert.is(f.read('w/a/out.txt'), `generated\n${f.path('w/a')}\n`)
    const b = await runCli(f.dir, ['where'])
    assert.match(b.out, `[b#where] ${f.path('w/b')}`)

    f.write('w/b/tasks.config.mjs', 'const x = undefined\nexport default { tasks: { where: { run: x.y } } }\n')
    const threw = await runCli(f.dir, ['--list'])
    assert.is(threw.code, 2, threw.out)
    assert.match(threw.stderr, 'the config threw while loading')
    assert.match(threw.stderr, 'w/b/tasks.config.mjs:2')

    f.write('w/b/tasks.config.mjs', "export default { tasks: { where: { run: 'x' } }\n")
    const syntax = await runCli(f.dir, ['--list'])
    assert.is(syntax.code, 2, syntax.out)
    assert.match(syntax.stderr, 'w/b/tasks.config.mjs:2:')

    f.write('w/b/tasks.config.mjs', "export default { tasks: { where: { run: 'x', inptus: [] } } }\n")
    const key = await runCli(f.dir, ['--list'])
    assert.is(key.code, 2, key.out)
    assert.match(key.stderr, 'task `where` has an unknown key `inptus`')
    assert.match(key.stderr, 'w/b/tasks.config.mjs:1:')
  } finally {
    f.cleanup()
  }
})

test('a project inside another project without workspaces stays on its own', async () => {
  const f = fixture({
    'tasks.config.mjs': "export default { tasks: { outer: { run: 'echo outer' } } }\n",
    'inner/tasks.config.mjs': "export default { tasks: { inner: { run: 'echo inner' } } }\n",
  })
  try {
    const r = await runCli(f.path('inner'), ['--list'])
    assert.is(r.code, 0, r.out)
    assert.match(r.stdout, 'inner')
    assert.not.match(r.stdout, 'outer')
  } finally {
    f.cleanup()
  }
})

test.run()
