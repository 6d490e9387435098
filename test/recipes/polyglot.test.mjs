// examples/polyglot on its real dependencies: github.com/google/uuid from the Go module proxy,
// memchr from crates.io, text-unidecode with pytest and ruff from PyPI (uv sync --locked). On a
// copy of the example in a temp dir (node_modules/typed-tasks links to this repository):
// `tasks ultra-fast` cold (every build, test and linter, the Docker image), then every task up to
// date; the dependency caches (GOMODCACHE, CARGO_HOME, UV_CACHE_DIR) live inside the parts' folders
// and must be neither inputs (the second run would rerun) nor outputs; a changed lock file reruns
// the tasks of its language only (dry run).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fixture, missingTool, skipUnless, REPO } from '../rig.mjs'
import { runJson, why } from './_rig.mjs'

const SKIP = new Set([
  '.tasks',
  '.venv',
  'target',
  'bin',
  'dist',
  'build',
  '__pycache__',
  '.pytest_cache',
  '.ruff_cache',
  'busybox',
  '.cache',
])
const missing = [
  missingTool('go', ['version'], 'go'),
  missingTool('cargo', ['clippy', '--version'], 'cargo clippy'),
  missingTool('cargo', ['fmt', '--version'], 'cargo fmt'),
  missingTool('python3', ['--version'], 'python3'),
  missingTool('uv', ['--version'], 'uv (pip install uv)'),
  missingTool('docker', ['info'], 'a running Docker daemon'),
  missingTool('/bin/busybox', ['true'], 'a static busybox (busybox-static)'),
].filter(Boolean)

/** Long enough for a cold run on a loaded 2-core machine (downloads, a 4-target Go matrix, a release build). */
const TIMEOUT = 900_000
let fx, env
{
  const test = skipUnless(!missing.length, missing.join('; '))
  test.before(() => {
    fx = fixture()
    cpSync(join(REPO, 'examples/polyglot'), fx.dir, {
      recursive: true,
      filter: (src) => !SKIP.has(basename(src)) && !src.endsWith('.egg-info'),
    })
    mkdirSync(fx.path('node_modules'))
    symlinkSync(REPO, fx.path('node_modules/typed-tasks'), 'dir')
    // Dependency caches inside the parts' folders, as a CI set-up that caches them per folder has.
    // GOFLAGS=-modcacherw: the module cache is removable with the temp dir.
    env = {
      GOMODCACHE: fx.path('go/.cache/mod'),
      GOFLAGS: '-modcacherw',
      CARGO_HOME: fx.path('rust/.cache/cargo'),
      UV_CACHE_DIR: fx.path('python/.cache/uv'),
      VERSION: '0.1.0',
    }
  })
  test.after(() => fx?.cleanup())

  test('the config lists the recipes tasks and ultra-fast', async () => {
    const r = await runJson(fx.dir, ['--list'], { env })
    assert.is(r.code, 0, why(r))
    for (const t of [
      'go:hello',
      'go:hello:linux/arm64',
      'go:test',
      'go:vet',
      'py:venv',
      'py:test',
      'py:lint',
      'py:wheel',
      'rust:rcount',
      'rust:test',
      'rust:clippy',
      'rust:fmt',
      'docker:hello',
      'ultra-fast',
    ]) {
      assert.match(r.out, new RegExp(`^\\s+${t.replace(/[/:]/g, '\\$&')}\\s`, 'm'), t)
    }
  })

  test('`ultra-fast` cold runs everything on the real dependencies; the second run is up to date throughout', async () => {
    let r = await runJson(fx.dir, ['ultra-fast'], { env, timeoutMs: TIMEOUT })
    assert.is(r.code, 0, why(r))
    for (const t of [
      'go:hello:linux/amd64',
      'go:test',
      'go:vet',
      'py:venv',
      'py:test',
      'py:lint',
      'py:wheel',
      'rust:rcount',
      'rust:test',
      'rust:clippy',
      'rust:fmt',
      'docker:hello:test',
      'docker:hello:runtime',
    ]) {
      assert.is(r.status[t], 'ran', `${t}\n${why(r)}`)
    }
    // Each dependency came from its registry into the cache inside the part's folder.
    assert.ok(existsSync(fx.path('go/.cache/mod/github.com/google/uuid@v1.6.0/uuid.go')), 'uuid in GOMODCACHE')
    assert.ok(
      readdirSync(fx.path('rust/.cache/cargo/registry'), { recursive: true }).some((p) =>
        /memchr-2\.\d+\.\d+$/.test(p),
      ),
      'memchr in CARGO_HOME',
    )
    assert.ok(existsSync(fx.path('python/.cache/uv')), 'uv cache')
    assert.ok(
      existsSync(fx.path('python/.venv/bin/ruff')) && existsSync(fx.path('python/.venv/bin/pytest')),
      'ruff and pytest from uv.lock in the venv',
    )
    assert.match(r.out, /ok\s+example\.com\/polyglot\/hello\/greet/)
    assert.match(r.out, /4 passed/)
    assert.match(r.out, /\[py:lint\] All checks passed!/)
    assert.match(r.out, /test counts_stdin \.\.\. ok/)
    assert.match(r.out, /\+ text-unidecode==1\.3/)
    assert.ok(existsSync(fx.path('python/dist/textstats-0.1.0-py3-none-any.whl')))
    // Outputs are the artefacts, never a dependency cache.
    for (const t of r.result.tasks) {
      for (const o of t.outputs ?? [])
        assert.not.match(typeof o === 'string' ? o : JSON.stringify(o), /\.cache\//, `${t.name} stores a cache`)
    }

    r = await runJson(fx.dir, ['ultra-fast'], { env, timeoutMs: TIMEOUT })
    assert.is(r.code, 0, why(r))
    for (const [t, s] of Object.entries(r.status)) assert.is(s, 'up-to-date', `${t}\n${why(r)}`)
  })

  test('a changed lock file reruns the tasks of its language (go.sum, Cargo.lock, uv.lock)', async () => {
    const cases = [
      ['go/go.sum', ['go:hello:linux/amd64', 'go:test', 'go:vet'], ['rust:rcount', 'py:venv']],
      ['rust/Cargo.lock', ['rust:rcount', 'rust:test', 'rust:clippy'], ['go:test', 'py:venv']],
      ['python/uv.lock', ['py:venv'], ['go:test', 'rust:test']],
    ]
    for (const [file, rerun, unchanged] of cases) {
      const before = readFileSync(fx.path(file), 'utf8')
      writeFileSync(fx.path(file), before + '\n')
      const r = await runJson(fx.dir, ['ultra-fast', '--dry-run'], { env })
      writeFileSync(fx.path(file), before)
      assert.is(r.code, 0, why(r))
      for (const t of rerun)
        assert.match(
          r.out,
          new RegExp(`\\[${t.replace(/[/:]/g, '\\$&')}\\] would run: input changed: ${file.replace(/[./]/g, '\\$&')}`),
          `${file}: ${t}\n${why(r)}`,
        )
      for (const t of unchanged)
        assert.match(r.out, new RegExp(`\\[${t.replace(/[/:]/g, '\\$&')}\\] up to date`), `${file}: ${t}\n${why(r)}`)
    }
  })
}

test.run()
