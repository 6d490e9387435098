// The helpers every recipe shares (through the package's public API): option names checked like the
// config checks task keys (a misspelt option is a RecipeError `unknown-option` with a did-you-mean,
// for every recipe), typed codes, sh quoting round-tripped through a real `sh`, cmd quoting, canonical
// JSON in the recipes' fingerprints, lock files as inputs, dependency caches never inputs nor outputs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { fixture, LIB_URL, RECIPES_URL, runCli } from '../rig.mjs'

const lib = await import(LIB_URL)
const { go, python, rust, docker } = await import(RECIPES_URL)
const { RecipeError, shellQuote, suggest, canonicalJson } = await import(new URL('doors/recipe-kit.js', LIB_URL).href)

/** Every recipe with its required options, and a misspelling of one of its real option names. */
const RECIPES = [
  ['go.build', go.build, { name: 'api' }, 'trimPath', 'trimpath'],
  ['go.test', go.test, {}, 'shrot', 'short'],
  ['go.vet', go.vet, {}, 'packges', 'packages'],
  ['python.venv', python.venv, {}, 'requirement', 'requirements'],
  ['python.test', python.test, {}, 'arg', 'args'],
  ['python.lint', python.lint, {}, 'linters', 'linter'],
  ['python.wheel', python.wheel, {}, 'outdir', 'outDir'],
  ['rust.build', rust.build, { bin: 'x' }, 'feature', 'features'],
  ['rust.test', rust.test, {}, 'workspaces', 'workspace'],
  ['rust.clippy', rust.clippy, {}, 'lint', 'lints'],
  ['rust.fmtCheck', rust.fmtCheck, {}, 'pakage', 'package'],
  ['docker.image', docker.image, { name: 'api', inputs: [] }, 'tgas', 'tags'],
  ['docker.run', docker.run, { name: 'smoke', image: 'api:dev' }, 'cdm', 'cmd'],
  ['docker.push', docker.push, { name: 'pub', image: 'localhost:5000/api:1' }, 'sorce', 'source'],
]

/** The error `fn()` throws (fails the test when it does not throw). */
function thrown(fn) {
  try {
    fn()
  } catch (err) {
    return err
  }
  assert.unreachable('expected an error')
}

for (const [name, recipe, required, typo, meant] of RECIPES) {
  test(`${name}: a misspelt option \`${typo}\` is a RecipeError with a did-you-mean; the right name is accepted`, () => {
    const err = thrown(() => recipe({ ...required, [typo]: undefined }))
    assert.instance(err, RecipeError)
    assert.is(err.code, 'unknown-option')
    assert.is(err.recipe, name)
    assert.is(err.option, typo)
    assert.match(
      err.message,
      new RegExp(`^${name.replace('.', '\\.')}: unknown option \`${typo}\`; did you mean \`${meant}\`\\?`),
    )
    assert.ok(Object.keys(recipe({ ...required, [meant]: undefined })).length > 0)
    // A config-time error keeps its stack, so the config loader can point at the calling line.
    assert.match(err.stack, /options\.test\.mjs/)
  })
}

test('an option of the wrong type is `invalid-option` naming recipe and option, for the docker recipes too', () => {
  for (const [fn, opts, option] of [
    [() => docker.image({ name: 'a', inputs: [], tags: 'a:1 b:2'.split(' ').concat(3) }), null, 'tags'],
    [() => docker.image({ name: 'a', inputs: [], buildArgs: { A: 1 } }), null, 'buildArgs'],
    [() => docker.image({ name: 'a', inputs: [], target: 'x', stages: ['x', 'y'] }), null, 'target'],
    [() => docker.run({ name: 'a' }), null, 'image'],
    [() => docker.run({ name: 'a', image: 'i', timeoutMs: -1 }), null, 'timeoutMs'],
    [() => docker.push({ name: '', image: 'i' }), null, 'name'],
    [() => go.test({ p: 0 }), null, 'p'],
  ]) {
    void opts
    const err = thrown(fn)
    assert.instance(err, RecipeError)
    assert.is(err.code, 'invalid-option', err.message)
    assert.is(err.option, option)
    assert.match(err.message, new RegExp(`^(docker|go)\\.\\w+: option \`${option}\``))
  }
  const both = thrown(() => docker.image({ name: 'a', inputs: [], target: 'x', stages: ['x'] }))
  assert.is(both.hint, 'give `target` or `stages`, not both')
  assert.not.match(both.message, /help:/)
})

test('run-time RecipeErrors carry their code and hint (apart from the message); their stack is message and help', () => {
  const err = new RecipeError('tool-missing', 'ruff is not installed', {
    recipe: 'python.lint',
    hint: 'add ruff to the venv',
  })
  assert.is(err.message, 'python.lint: ruff is not installed')
  assert.is(err.hint, 'add ruff to the venv')
  assert.is(err.stack, 'python.lint: ruff is not installed\n  help: add ruff to the venv')
  assert.is(err.code, 'tool-missing')
  assert.is(err.name, 'RecipeError')
})

test('a misspelt `tgas:` in a docker recipe of tasks.config.ts fails the CLI with the did-you-mean (exit 2)', async () => {
  const fx = fixture({
    'Dockerfile': 'FROM scratch\n',
    'tasks.config.mjs': `import { defineConfig } from '${LIB_URL}'\nimport { docker } from '${RECIPES_URL}'\nexport default defineConfig({ tasks: {\n  ...docker.image({ name: 'api', tgas: ['api:dev'] }),\n} })\n`,
  })
  try {
    const r = await runCli(fx.dir, ['--list'])
    assert.is(r.code, 2, r.out)
    assert.match(r.out, /docker\.image: unknown option `tgas`; did you mean `tags`\?/)
    assert.match(r.out, /tasks\.config\.mjs/)
  } finally {
    fx.cleanup()
  }
})

test('shellQuote sh: a real sh gets every argument back unchanged; plain words stay plain', () => {
  const args = [
    'plain',
    '-s -w',
    "it's",
    '',
    'a"b',
    '$HOME',
    '`x`',
    'back\\slash',
    'new\nline',
    '*',
    'main.version=1.2',
    '-X k=v',
    '%PATH%',
    '!bang',
    'tab\there',
  ]
  const line = ['printf', '%s\\0', ...args].map((a, i) => (i === 1 ? `'${a}'` : shellQuote(a))).join(' ')
  const r = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8' })
  assert.is(r.status, 0, r.stderr)
  assert.equal(r.stdout.split('\0').slice(0, -1), args)
  assert.is(shellQuote('./cmd/api'), './cmd/api')
  assert.is(shellQuote('-s -w'), "'-s -w'")
  assert.is(shellQuote("it's"), "'it'\\''s'")
  assert.is(shellQuote('x y', 'portable'), "'x y'")
})

test("recipe tasks that run quoted commands set `shell: 'portable'`: a config-wide `shell: 'cmd'` does not reach them", async () => {
  const made = {
    ...go.build({ name: 'api' }),
    ...go.build({ name: 'x', targets: ['linux/arm64'] }),
    ...go.test(),
    ...go.vet(),
    ...python.venv(),
    ...python.test(),
    ...python.lint(),
    ...python.wheel(),
    ...rust.build({ bin: 'a' }),
    ...rust.build({ bin: 'b', targets: ['aarch64-unknown-linux-gnu'] }),
    ...rust.test(),
    ...rust.clippy(),
    ...rust.fmtCheck(),
  }
  for (const [name, def] of Object.entries(made)) if (def.run !== undefined) assert.is(def.shell, 'portable', name)
  const fx = fixture({
    'tasks.config.mjs': `import { defineConfig } from '${LIB_URL}'\nimport { go } from '${RECIPES_URL}'\nexport default defineConfig({ shell: 'cmd', tasks: { ...go.vet({ flags: ['-tags=a b'] }), plain: { run: 'echo hi' } } })\n`,
  })
  try {
    const config = await lib.loadConfig({ cwd: fx.dir })
    assert.is(config.tasks.get('go:vet').shell, 'portable')
    assert.is(config.tasks.get('go:vet').run, "go vet '-tags=a b' ./...")
    assert.is(config.tasks.get('plain').shell, 'cmd')
  } finally {
    fx.cleanup()
  }
})

test('shellQuote cmd: MSVCRT quoting with cmd metacharacters escaped by ^', () => {
  assert.is(shellQuote('C:\\go\\bin', 'cmd'), 'C:\\go\\bin')
  assert.is(shellQuote('a b', 'cmd'), '^"a^ b^"')
  assert.is(shellQuote('', 'cmd'), '^"^"')
  assert.is(shellQuote('say "hi"', 'cmd'), '^"say^ \\^"hi\\^"^"')
  assert.is(shellQuote('a b\\', 'cmd'), '^"a^ b\\\\^"')
  assert.is(shellQuote('%PATH%&calc', 'cmd'), '^"^%PATH^%^&calc^"')
})

test("suggest and canonicalJson are the library's; recipe fingerprints do not depend on option order", () => {
  assert.is(suggest('tgas', ['tags', 'target']), 'tags')
  assert.is(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}')
  const a = docker.image({ name: 'x', inputs: [], buildArgs: { B: '1', A: '2' }, labels: { z: '1', y: '2' } })[
    'docker:x'
  ].version
  const b = docker.image({ name: 'x', inputs: [], labels: { y: '2', z: '1' }, buildArgs: { A: '2', B: '1' } })[
    'docker:x'
  ].version
  assert.is(a, b)
  assert.ok(a.includes(canonicalJson({ A: '2', B: '1' })))
})

test('lock files and toolchain versions are in every fingerprint; dependency caches inside the folder are excluded', () => {
  const saved = { ...process.env }
  const root = process.cwd()
  try {
    process.env.GOMODCACHE = `${root}/svc/.cache/mod`
    process.env.GOPATH = '/elsewhere/go'
    process.env.CARGO_HOME = `${root}/cli/.cargo-home`
    process.env.UV_CACHE_DIR = `${root}/py/.uv-cache`
    const g = go.build({ name: 'api', dir: 'svc' })['go:api']
    assert.ok(g.inputs.includes('go.{mod,sum}'))
    assert.ok(g.inputs.includes('!.cache/mod/**'), g.inputs.join(' '))
    assert.ok(!g.inputs.some((i) => i.includes('elsewhere')))
    assert.equal(g.outputs, ['bin/api'])
    assert.ok(g.toolVersions.includes('go version'))
    for (const t of [
      rust.build({ bin: 'x', dir: 'cli' })['rust:x'],
      rust.test({ dir: 'cli' })['rust:test'],
      rust.fmtCheck({ dir: 'cli' })['rust:fmt'],
    ]) {
      assert.ok(t.inputs.includes('!.cargo-home/**'), t.inputs.join(' '))
    }
    const rb = rust.build({ bin: 'x', dir: 'cli' })['rust:x']
    assert.ok(
      rb.inputs.some((i) => i.includes('Cargo.lock')) &&
        rb.toolVersions.includes('rustc -V') &&
        rb.toolVersions.includes('cargo -V'),
    )
    assert.equal(rb.outputs, ['target/release/x'])
    const v = python.venv({ dir: 'py' })['py:venv']
    assert.ok(
      v.inputs.includes('{uv.lock,.python-version}') && v.inputs.includes('requirements*.txt'),
      v.inputs.join(' '),
    )
    assert.ok(v.toolVersions.includes('python3 --version') && v.toolVersions.includes('uv --version'))
    assert.ok(!('outputs' in v))
    assert.ok(python.test({ dir: 'py' })['py:test'].inputs.includes('!.uv-cache/**'))
    // A cache outside the task's folder needs no exclusion.
    assert.ok(!go.build({ name: 'api', dir: 'other' })['go:api'].inputs.some((i) => i.includes('.cache')))
  } finally {
    for (const k of ['GOMODCACHE', 'GOPATH', 'CARGO_HOME', 'UV_CACHE_DIR']) {
      if (k in saved) process.env[k] = saved[k]
      else delete process.env[k]
    }
  }
})

test.run()
