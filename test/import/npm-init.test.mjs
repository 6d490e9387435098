// `tasks import package.json` (pre/post hooks, && chains, npm run, npm-run-all) and `tasks init`.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, symlinkSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fixture, runCli, requireTool, REPO } from '../rig.mjs'

function project(files) {
  const f = fixture(files)
  mkdirSync(f.path('node_modules'), { recursive: true })
  symlinkSync(REPO, f.path('node_modules/typed-tasks'), 'dir')
  return f
}

const PKG = {
  name: 'demo',
  version: '1.0.0',
  scripts: {
    prebuild: 'echo pre >> log.txt',
    build: 'echo build >> log.txt && npm run gen -- --flag',
    postbuild: 'echo post >> log.txt',
    gen: 'node gen.js',
    'lint:a': 'echo a > a.txt',
    'lint:b': 'echo b > b.txt',
    lint: 'run-p lint:*',
    ci: 'npm-run-all -s build lint',
    test: "node -e \"require('fs').appendFileSync('log.txt', 'test\\n')\"",
    prepare: 'echo never',
  },
}
const GEN = "require('fs').appendFileSync('log.txt', 'gen ' + process.argv.slice(2).join(' ') + '\\n')\n"

test("npm scripts: hooks and chains run in npm's order, with the same files as `npm run`", async () => {
  const viaNpm = project({ 'package.json': JSON.stringify(PKG, null, 2), 'gen.js': GEN })
  const viaTasks = project({ 'package.json': JSON.stringify(PKG, null, 2), 'gen.js': GEN })
  try {
    for (const s of ['build', 'test']) {
      const r = spawnSync('npm', ['run', '--silent', s], { cwd: viaNpm.dir, encoding: 'utf8' })
      assert.is(r.status, 0, r.stdout + r.stderr)
    }
    const imp = await runCli(viaTasks.dir, ['import', 'package.json'])
    assert.is(imp.code, 0, imp.out)
    assert.match(imp.stderr, 'npm lifecycle scripts left to npm: prepare')
    const config = viaTasks.read('tasks.config.ts')
    assert.match(
      config,
      "run: ['echo pre >> log.txt', 'echo build >> log.txt', 'node gen.js --flag', 'echo post >> log.txt']",
    )
    assert.match(config, "deps: ['lint:a', 'lint:b']")
    assert.not.match(config, 'prepare:')
    const r = await runCli(viaTasks.dir, ['build'])
    assert.is(r.code, 0, r.out)
    const t = await runCli(viaTasks.dir, ['test'])
    assert.is(t.code, 0, t.out)
    assert.is(viaTasks.read('log.txt'), viaNpm.read('log.txt'))
    assert.is(viaTasks.read('log.txt'), 'pre\nbuild\ngen --flag\npost\ntest\n')
    // npm-run-all: -s inlines the scripts in order; run-p becomes deps.
    const ci = await runCli(viaTasks.dir, ['ci'])
    assert.is(ci.code, 0, ci.out)
    assert.is(viaTasks.read('a.txt'), 'a\n')
    assert.is(viaTasks.read('b.txt'), 'b\n')
    assert.match(viaTasks.read('log.txt'), 'test\npre\nbuild\ngen --flag\npost\n')
  } finally {
    viaNpm.cleanup()
    viaTasks.cleanup()
  }
})

test('tasks init: detects go.mod, pyproject.toml, Dockerfile, package.json, Makefile; writes recipes and .gitignore', async () => {
  const f = project({
    'go.mod': 'module example.com/shop\n\ngo 1.21\n',
    'main.go': 'package main\n\nfunc main() { println("shop") }\n',
    'cmd/worker/main.go': 'package main\n\nfunc main() {}\n',
    'pyproject.toml': '[project]\nname = "shop"\nversion = "0.1.0"\n',
    Dockerfile: 'FROM busybox\n',
    Makefile: 'all:\n\t@echo hi\n',
    'package.json': JSON.stringify({ name: 'shop', scripts: { build: 'echo npm build', fmt: 'echo fmt' } }),
    '.gitignore': 'node_modules/',
  })
  try {
    const r = await runCli(f.dir, ['init'])
    assert.is(r.code, 0, r.out)
    assert.match(r.stderr, 'for go.mod, pyproject.toml, Dockerfile, package.json, Makefile')
    const config = f.read('tasks.config.ts')
    assert.match(config, "import { docker, go, python } from 'typed-tasks/recipes'")
    assert.match(config, "...go.build({ name: 'shop', main: '.' }),")
    assert.match(config, "...go.build({ name: 'worker', main: './cmd/worker' }),")
    assert.match(config, '...python.venv(),')
    assert.match(config, "...docker.image({ name: 'tasks-test-")
    // The image's context holds bin/shop and bin/worker: it depends on the tasks that build them (the undeclared-dependency check).
    assert.match(config, "deps: ['go:shop', 'go:worker'] }),")
    assert.match(config, "'npm:build'")
    assert.match(config, 'tasks import Makefile')
    assert.is(f.read('.gitignore'), "node_modules/\n# typed-tasks' cache and state\n.tasks/\n")
    const list = await runCli(f.dir, ['--list'])
    assert.is(list.code, 0, list.out)
    for (const name of [
      'go:shop',
      'go:worker',
      'go:test',
      'py:venv',
      'npm:build',
      'fmt',
      'build',
      'test',
      'lint',
      'make',
    ])
      assert.match(list.stdout, `  ${name}`)
    if (requireTool('go', ['version'], 'Go')) {
      const b = await runCli(f.dir, ['go:shop'])
      assert.is(b.code, 0, b.out)
      assert.ok(f.exists('bin/shop'))
    }
    const again = await runCli(f.dir, ['init'])
    assert.is(again.code, 2, again.out)
    assert.match(again.stderr, 'already exists')
  } finally {
    f.cleanup()
  }
})

test('tasks init: Cargo.toml and requirements.txt, --dry-run prints without writing', async () => {
  const f = project({
    'Cargo.toml': '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': 'fn main() {}\n',
    'requirements.txt': 'requests\n',
  })
  try {
    const r = await runCli(f.dir, ['init', '--dry-run'])
    assert.is(r.code, 0, r.out)
    assert.match(r.stdout, "import { python, rust } from 'typed-tasks/recipes'")
    assert.match(r.stdout, "...rust.build({ bin: 'tool' }),")
    assert.match(r.stdout, "build: { description: 'build everything', deps: ['rust:tool'] },")
    assert.match(r.stdout, "test: { description: 'test everything', deps: ['rust:test', 'py:test'] },")
    assert.not.ok(f.exists('tasks.config.ts'))
    assert.not.ok(f.exists('.gitignore'))
  } finally {
    f.cleanup()
  }
})

test('tasks init in an empty folder writes an example task; a task named `init` wins over the subcommand', async () => {
  const f = project({})
  try {
    const r = await runCli(f.dir, ['init'])
    assert.is(r.code, 0, r.out)
    assert.match(f.read('tasks.config.ts'), 'hello')
    assert.ok((await runCli(f.dir, ['hello'])).out.includes('hello from tasks'))
    f.write('tasks.config.ts', "export default { tasks: { init: { run: 'echo my own init' } } }\n")
    const own = await runCli(f.dir, ['init'])
    assert.is(own.code, 0, own.out)
    assert.match(own.out, 'my own init')
  } finally {
    f.cleanup()
  }
})

test.run()
