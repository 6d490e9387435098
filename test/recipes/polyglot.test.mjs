// examples/polyglot: its tasks.config.ts loads (TypeScript, `typed-tasks` imports) and its `check`
// aggregate (Go, Python and Rust tests and linters) passes, then is up to date. Runs on a copy of
// the example in a temp dir, where node_modules/typed-tasks links to this repository. The builds
// (the Go matrix, the wheel, the Rust binary) are covered by go/python/rust.test.mjs; the image by
// the Docker tests.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, symlinkSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fixture, requireTool, REPO } from '../helpers.mjs'
import { runJson, why } from './_rig.mjs'

const SKIP = new Set(['.tasks', '.venv', 'target', 'bin', 'dist', 'build', '__pycache__', '.pytest_cache', '.ruff_cache', 'busybox'])
const NEEDS = ['-c', 'import venv, ensurepip, pytest, setuptools, wheel']
const PY = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, NEEDS, { stdio: 'ignore' }).status === 0) ?? 'python3'
const ok = requireTool('go', ['version'], 'go') & requireTool('cargo', ['clippy', '--version'], 'cargo clippy') &
  requireTool('cargo', ['fmt', '--version'], 'cargo fmt') & requireTool(PY, NEEDS, 'python3 with venv, ensurepip, pytest, setuptools and wheel')

let fx
if (ok) {
  test.before(() => {
    fx = fixture()
    cpSync(join(REPO, 'examples/polyglot'), fx.dir, { recursive: true, filter: (src) => !SKIP.has(basename(src)) && !src.endsWith('.egg-info') })
    mkdirSync(fx.path('node_modules'))
    symlinkSync(REPO, fx.path('node_modules/typed-tasks'), 'dir')
  })
  test.after(() => fx?.cleanup())

  test('the config lists the recipes tasks and ultra-fast', async () => {
    const r = await runJson(fx.dir, ['--list'])
    assert.is(r.code, 0, why(r))
    for (const t of ['go:hello', 'go:hello:linux/arm64', 'go:test', 'go:vet', 'py:venv', 'py:test', 'py:lint', 'py:wheel', 'rust:rcount', 'rust:test', 'rust:clippy', 'rust:fmt', 'ultra-fast']) {
      assert.match(r.out, new RegExp(`^\\s+${t.replace(/[/:]/g, '\\$&')}\\s`, 'm'), t)
    }
  })

  test('`check` runs every test and linter of the three languages, then is up to date', async () => {
    const env = { PYTHON: PY }
    let r = await runJson(fx.dir, ['check'], { env })
    assert.is(r.code, 0, why(r))
    for (const t of ['go:test', 'go:vet', 'py:venv', 'py:test', 'py:lint', 'rust:test', 'rust:clippy', 'rust:fmt']) assert.is(r.status[t], 'ran', t)
    assert.match(r.out, /ok\s+example\.com\/polyglot\/hello\/greet/)
    assert.match(r.out, /3 passed/)
    assert.match(r.out, /test counts_stdin \.\.\. ok/)
    r = await runJson(fx.dir, ['check'], { env })
    assert.is(r.code, 0, why(r))
    for (const [t, s] of Object.entries(r.status)) if (t !== 'check') assert.is(s, 'up-to-date', `${t}\n${why(r)}`)
  })
} else {
  test.skip('polyglot example (a toolchain is missing)')
}

test.run()
