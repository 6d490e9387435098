// `tasks import justfile`: recipes, dependencies, parameters and variables as vars, `{{...}}` as sh
// expansions, `@`/`-` prefixes, a shebang recipe; every task runs every time, as just reruns every recipe.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, symlinkSync } from 'node:fs'
import { fixture, runCli, REPO } from '../helpers.mjs'

const JUSTFILE = `set dotenv-load

version := "1.2.0"
out := 'build'
sha := \`echo abc123\`

alias b := build

# Build everything
build: gen
    @mkdir -p {{out}}
    echo "v{{version}}" > {{out}}/version.txt
    -false
    echo '{{version}}' >> {{out}}/log.txt

gen:
    cat src/*.txt > gen.txt

# Greet someone
greet name="World" *args: build
    echo "Hi {{name}} {{sha}}" >> greet.txt
    echo greeted {{args}}

deploy env:
    echo deploying to {{env}} \\
      now >> deploy.txt

script:
    #!/usr/bin/env node
    require('fs').writeFileSync('script.txt', 'node {{version}} ' + "{{out}}" + '\\n')
`

function project() {
  const f = fixture({ justfile: JUSTFILE, 'src/a.txt': 'a\n' })
  mkdirSync(f.path('node_modules'), { recursive: true })
  symlinkSync(REPO, f.path('node_modules/typed-tasks'), 'dir')
  return f
}

test('justfile: import, first run correct, every run reruns every recipe (as just), vars from --var', async () => {
  const f = project()
  try {
    const imp = await runCli(f.dir, ['import', 'justfile'])
    assert.is(imp.code, 0, imp.out)
    assert.match(imp.stderr, 'imported 6 tasks from justfile')
    assert.match(imp.stderr, '`set dotenv-load` is not translated')
    const config = f.read('tasks.config.ts')
    assert.match(config, "shell: 'sh'")
    assert.match(config, "deps: ['gen']")
    assert.match(config, "vars: { name: { default: 'World' } }")
    assert.match(config, "deploy: { run: 'echo deploying to ${env} now >> deploy.txt', vars: { env: {} } }")
    assert.match(config, "'(false) || true'")
    assert.not.match(config, 'inputs:')

    const r = await runCli(f.dir, ['build'])
    assert.is(r.code, 0, r.out)
    assert.is(f.read('build/version.txt'), 'v1.2.0\n')
    assert.is(f.read('build/log.txt'), '1.2.0\n')
    assert.is(f.read('gen.txt'), 'a\n')
    // Second run: just reruns every recipe, and so do the imported tasks.
    const again = await runCli(f.dir, ['build'])
    assert.is(again.code, 0, again.out)
    assert.match(again.out, 'ran: 2 |')
    assert.is(f.read('build/log.txt'), '1.2.0\n1.2.0\n')
    // An edit reruns what just would: everything asked for.
    f.write('src/a.txt', 'b\n')
    const edited = await runCli(f.dir, ['b'])
    assert.is(edited.code, 0, edited.out)
    assert.is(f.read('gen.txt'), 'b\n')

    // Parameters: default, --var, a trailing variadic from the arguments after `--`, a required one.
    const g = await runCli(f.dir, ['greet', '--var', 'name=Bob', '--', 'x', 'y'])
    assert.is(g.code, 0, g.out)
    assert.is(f.read('greet.txt'), 'Hi Bob abc123\n')
    assert.match(g.out, 'greeted x y')
    const d = await runCli(f.dir, ['deploy'])
    assert.is.not(d.code, 0, d.out)
    assert.match(d.out, 'needs the variable `env`')
    const d2 = await runCli(f.dir, ['deploy', '--var', 'env=prod'])
    assert.is(d2.code, 0, d2.out)
    assert.is(f.read('deploy.txt'), 'deploying to prod now\n')
    // A shebang recipe: its interpreter reads the body, with {{...}} expanded.
    const s = await runCli(f.dir, ['script'])
    assert.is(s.code, 0, s.out)
    assert.is(f.read('script.txt'), 'node 1.2.0 build\n')
  } finally {
    f.cleanup()
  }
})

test('justfile: untranslated constructs are comments in the config and warnings', async () => {
  const f = fixture({
    Justfile: `set shell := ["bash", "-c"]\nimport 'other.just'\n\n[confirm]\nrelease: (build "x") && notify\n    echo {{ if os() == "linux" { "l" } else { "o" } }}\n\nbuild target:\n    echo {{target}}\n\nnotify:\n    echo done\n`,
  })
  try {
    const imp = await runCli(f.dir, ['import', 'Justfile', '--dry-run'])
    assert.is(imp.code, 0, imp.out)
    for (const s of [
      '`set shell := ["bash", "-c"]` is not translated',
      "`import 'other.just'` is not translated",
      '// attribute `[confirm]` is not translated',
      '// the arguments of the dependency `(build "x")` are dropped',
      '// `&& notify` (recipes run after this one) is not translated',
      'is not translated (left as written)',
    ])
      assert.match(imp.stdout, s)
    // `tasks init` points at the importer.
    const init = await runCli(f.dir, ['init', '--dry-run'])
    assert.is(init.code, 0, init.out)
    assert.match(init.stdout, 'a Justfile was found: `tasks import Justfile` translates its recipes into tasks')
  } finally {
    f.cleanup()
  }
})

test.run()
