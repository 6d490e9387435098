// Go recipes: the task definitions they return, then the real `go` through the real CLI on one
// fixture module (host build, test, vet, a 4-target cross-compile matrix, cache hits and misses,
// a failing build). GOCACHE is the user's (shared), as the recipe intends.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fixture, missingTool, skipUnless, RECIPES_URL } from '../rig.mjs'
import { config, runJson, binaryKind, why } from './_rig.mjs'

const { go } = await import(RECIPES_URL)

// ---- definitions (no toolchain needed) ----

test('go.build without targets: one host task with the default flags, inputs and env', () => {
  const t = go.build({ name: 'api', main: './cmd/api', dir: 'services/api' })
  assert.equal(Object.keys(t), ['go:api'])
  const d = t['go:api']
  assert.is(d.cwd, 'services/api')
  assert.is(d.run, "go build -trimpath -ldflags '-s -w' -o bin/api ./cmd/api")
  assert.equal(d.outputs, ['bin/api'])
  assert.ok(d.inputs.includes('**/*.go') && d.inputs.includes('go.{mod,sum}') && d.inputs.includes('!**/*_test.go'))
  for (const v of ['GOOS', 'GOARCH', 'GOFLAGS']) assert.ok(d.env.includes(v), v)
  assert.equal(d.setEnv, { CGO_ENABLED: '0' })
  assert.equal(d.toolVersions, ['go version'])
  assert.ok(d.passEnv.includes('GOCACHE') && !d.env.includes('GOCACHE'))
  assert.is(d.platform, true)
})

test('go.build options change the command: ldflags, stamp, tags, cgo, trimpath, vendor, flags', () => {
  const d = go.build({
    name: 'api',
    ldflags: '-s',
    stamp: { 'main.version': '1.2.3', 'main.date': 'a b' },
    tags: ['netgo', 'osusergo'],
    cgo: true,
    trimpath: false,
    vendor: true,
    flags: ['-v'],
    out: 'out/api-bin',
    taskName: 'api',
  }).api
  assert.is(
    d.run,
    "go build -mod=vendor -ldflags '-s -X main.version=1.2.3 -X '\\''main.date=a b'\\''' -tags netgo,osusergo -v -o out/api-bin .",
  )
  assert.equal(d.setEnv, { CGO_ENABLED: '1' })
  assert.equal(
    go.build({ name: 'x', ldflags: '', vendor: false })['go:x'].run,
    'go build -trimpath -mod=mod -o bin/x .',
  )
  assert.ok(go.build({ name: 'x', vendor: false })['go:x'].inputs.includes('!vendor/**'))
})

test('go.build targets: one task per target with GOOS/GOARCH set, and an aggregate', () => {
  const t = go.build({ name: 'api', targets: ['linux/amd64', 'windows/amd64'] })
  assert.equal(Object.keys(t).sort(), ['go:api', 'go:api:linux/amd64', 'go:api:windows/amd64'])
  assert.equal(t['go:api'].deps, ['go:api:linux/amd64', 'go:api:windows/amd64'])
  assert.is(t['go:api'].run, undefined)
  const w = t['go:api:windows/amd64']
  assert.equal(w.setEnv, { GOOS: 'windows', GOARCH: 'amd64', CGO_ENABLED: '0' })
  assert.equal(w.outputs, ['bin/api-windows-amd64.exe'])
  assert.ok(!w.env.includes('GOOS'))
})

test('go.test and go.vet commands', () => {
  const t = go.test({ packages: ['./pkg/...'], race: true, short: true, p: 2, run: 'TestA|TestB', tags: ['it'] })[
    'go:test'
  ]
  assert.is(t.run, "go test -race -short -p 2 -run 'TestA|TestB' -tags it ./pkg/...")
  assert.equal(t.setEnv, { CGO_ENABLED: '1' })
  assert.ok(t.inputs.includes('**/testdata/**'))
  assert.is(go.test()['go:test'].run, 'go test ./...')
  assert.is(go.vet({ taskName: 'lint:go' })['lint:go'].run, 'go vet ./...')
})

test('go recipes reject bad options with the recipe and option named', () => {
  assert.throws(
    () => go.build({ name: 'x', targets: ['linux/mips99'] }),
    /go\.build: option `targets` has unknown target `linux\/mips99`.*GOOS one of .*linux.*GOARCH one of .*arm64/,
  )
  assert.throws(() => go.build({ name: 'x', targets: ['darwin/386'] }), /GOARCH for darwin is one of amd64, arm64/)
  assert.throws(() => go.build({ name: 'x', targets: ['linux/amd64', 'linux/amd64'] }), /twice/)
  assert.throws(() => go.build({ main: '.' }), /go\.build: option `name` is required/)
  assert.throws(() => go.build({ name: 'x', trimPath: false }), /unknown option `trimPath`; did you mean `trimpath`\?/)
  assert.throws(() => go.test({ p: 0 }), /go\.test: option `p` must be a positive integer/)
  assert.throws(
    () => go.build({ name: 'x', dir: '../elsewhere' }),
    /option `dir` must be a relative path inside the project/,
  )
  assert.throws(() => go.build({ name: 'x', stamp: { version: '1' } }), /key `version` must be `importpath.name`/)
})

// ---- the real toolchain ----

const noGo = missingTool('go', ['version'], "go (the machine's, /usr/local/go/bin)")
const MATRIX = ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64']
let fx

const GREET = 'package main\n\n// Greet says hello.\nfunc Greet(name string) string { return "hello " + name }\n'
{
  const test = skipUnless(!noGo, noGo)
  test.before(() => {
    fx = fixture({
      'go.mod': 'module example.com/hello\n\ngo 1.19\n',
      'main.go':
        'package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() { fmt.Println(Greet("world"), version) }\n',
      'greet.go': GREET,
      'greet_test.go':
        'package main\n\nimport "testing"\n\nfunc TestGreet(t *testing.T) {\n\tif got := Greet("go"); got != "hello go" {\n\t\tt.Fatalf("Greet = %q", got)\n\t}\n}\n',
      // A main that needs only the runtime, so four cross builds stay cheap on a cold GOCACHE.
      'cmd/tiny/main.go': 'package main\n\nfunc main() { println("tiny") }\n',
      'tasks.config.mjs': config(
        `
  ...go.build({ name: 'hello', stamp: { 'main.version': '1.2.3' } }),
  ...go.build({ name: 'tiny', main: './cmd/tiny', targets: ${JSON.stringify(MATRIX)} }),
  ...go.test({ short: true }),
  ...go.vet(),`,
        ['go'],
      ),
    })
  })
  test.after(() => fx?.cleanup())

  test('go:hello builds a working binary with the version stamped, then is up to date', async () => {
    let r = await runJson(fx.dir, ['go:hello'])
    assert.is(r.code, 0, why(r))
    assert.is(r.status['go:hello'], 'ran')
    const out = spawnSync(fx.path('bin/hello'), { encoding: 'utf8' }).stdout
    assert.is(out.trim(), 'hello world 1.2.3')
    r = await runJson(fx.dir, ['go:hello'])
    assert.is(r.status['go:hello'], 'up-to-date', why(r))
  })

  test('go:hello: a deleted binary is restored from the cache (cache hit)', async () => {
    rmSync(fx.path('bin/hello'))
    const r = await runJson(fx.dir, ['go:hello'])
    assert.is(r.status['go:hello'], 'cache-hit', why(r))
    assert.ok(fx.exists('bin/hello'))
    assert.is(spawnSync(fx.path('bin/hello'), { encoding: 'utf8' }).stdout.trim(), 'hello world 1.2.3')
  })

  test('go:hello: a source change is a miss, reverting it is a cache hit; a _test.go change does not rebuild', async () => {
    fx.write('greet.go', GREET.replace('"hello "', '"hi "'))
    let r = await runJson(fx.dir, ['go:hello'])
    assert.is(r.status['go:hello'], 'ran', why(r))
    assert.match(r.byName['go:hello'].reason, /greet\.go/)
    assert.is(spawnSync(fx.path('bin/hello'), { encoding: 'utf8' }).stdout.trim(), 'hi world 1.2.3')
    fx.write('greet.go', GREET)
    r = await runJson(fx.dir, ['go:hello'])
    assert.is(r.status['go:hello'], 'cache-hit', why(r))
    assert.is(spawnSync(fx.path('bin/hello'), { encoding: 'utf8' }).stdout.trim(), 'hello world 1.2.3')
    fx.write('greet_test.go', fx.read('greet_test.go') + '\n// a comment\n')
    r = await runJson(fx.dir, ['go:hello'])
    assert.is(r.status['go:hello'], 'up-to-date', why(r))
  })

  test('GOFLAGS enters the fingerprint', async () => {
    const r = await runJson(fx.dir, ['go:hello'], { env: { GOFLAGS: '-buildvcs=false' } })
    assert.is(r.status['go:hello'], 'ran', why(r))
    assert.match(r.byName['go:hello'].reason, /GOFLAGS/)
  })

  test('go:tiny cross-compiles the matrix in parallel into real binaries of each arch', async () => {
    let r = await runJson(fx.dir, ['go:tiny'])
    assert.is(r.code, 0, why(r))
    for (const t of MATRIX) assert.is(r.status[`go:tiny:${t}`], 'ran', t)
    assert.equal(binaryKind(fx.path('bin/tiny-linux-amd64')), { format: 'ELF', arch: 'x86-64' })
    assert.equal(binaryKind(fx.path('bin/tiny-linux-arm64')), { format: 'ELF', arch: 'aarch64' })
    assert.equal(binaryKind(fx.path('bin/tiny-darwin-arm64')), { format: 'Mach-O', arch: 'arm64' })
    assert.equal(binaryKind(fx.path('bin/tiny-windows-amd64.exe')), { format: 'PE', arch: 'x86-64' })
    // In parallel: a second target starts before the first one ends (concurrency >= 2).
    const lines = r.stderr.split('\n')
    const firstEnd = lines.findIndex((l) => /^\[go:tiny:[^\]]+\] ran in/.test(l))
    assert.ok(lines.slice(0, firstEnd).filter((l) => /^\[go:tiny:[^\]]+\] run:/.test(l)).length >= 2, r.stderr)
    r = await runJson(fx.dir, ['go:tiny'])
    for (const t of MATRIX) assert.is(r.status[`go:tiny:${t}`], 'up-to-date', why(r))
    rmSync(fx.path('bin'), { recursive: true })
    r = await runJson(fx.dir, ['go:tiny'])
    for (const t of MATRIX) assert.is(r.status[`go:tiny:${t}`], 'cache-hit', why(r))
    assert.equal(binaryKind(fx.path('bin/tiny-linux-arm64')), { format: 'ELF', arch: 'aarch64' })
  })

  test('go:test and go:vet run, then are up to date; a test change reruns only go:test', async () => {
    let r = await runJson(fx.dir, ['go:test', 'go:vet'])
    assert.is(r.code, 0, why(r))
    assert.is(r.status['go:test'], 'ran')
    assert.is(r.status['go:vet'], 'ran')
    assert.match(r.out, /ok\s+example\.com\/hello/)
    r = await runJson(fx.dir, ['go:test', 'go:vet'])
    assert.equal(r.status, { 'go:test': 'up-to-date', 'go:vet': 'up-to-date' }, why(r))
    fx.write('greet_test.go', fx.read('greet_test.go').replace('"hello go"', '"hello golang"'))
    r = await runJson(fx.dir, ['go:test'])
    assert.is(r.code, 1, why(r))
    assert.is(r.status['go:test'], 'failed')
    assert.match(r.out, /Greet = "hello go"/)
  })

  test('a failing build is reported as failed with the compiler output', async () => {
    fx.write('greet.go', GREET.replace('return "hello " + name', 'return "hello " + nme'))
    const r = await runJson(fx.dir, ['go:hello', 'go:tiny'])
    assert.is(r.code, 1, why(r))
    assert.is(r.status['go:hello'], 'failed')
    assert.match(r.out, /greet\.go:4:\d+: undefined: nme/)
    fx.write('greet.go', GREET)
  })

  test('an unknown target in the config is a config error naming the recipe and the known targets', async () => {
    const bad = fixture({
      'tasks.config.mjs': config(`...go.build({ name: 'x', targets: ['linux/mips99'] }),`, ['go']),
    })
    try {
      const r = await runJson(bad.dir, ['go:x'])
      assert.is(r.code, 2, why(r))
      assert.match(r.out, /go\.build: option `targets` has unknown target `linux\/mips99`/)
    } finally {
      bad.cleanup()
    }
  })
}

test.run()
