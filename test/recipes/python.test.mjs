// Python recipes: the task definitions they return, then a real interpreter through the real CLI
// on one fixture package: an offline venv (--no-index --find-links with a wheel built here, and
// --system-site-packages for pytest and setuptools), pytest, lint (skip message, then a stand-in
// ruff), a wheel, cache hits and misses, a failing test. PyPI is never contacted.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fixture, missingTool, skipUnless, RECIPES_URL } from '../rig.mjs'
import { config, runJson, why } from './_rig.mjs'

const { python } = await import(RECIPES_URL)

// ---- definitions (no toolchain needed) ----

test('python.venv: a function task keyed on requirements and project files and the interpreter', () => {
  const d = python.venv({ dir: 'py', python: 'python3.11', wheels: 'wheels', systemSitePackages: true })['py:venv']
  assert.is(d.cwd, 'py')
  assert.type(d.run, 'function')
  assert.equal(d.inputs, [
    'requirements*.txt',
    '{pyproject.toml,setup.cfg,setup.py}',
    '{uv.lock,.python-version}',
    'wheels/*.whl',
  ])
  assert.ok(d.toolVersions.includes('python3.11 --version'))
  assert.type(d.check, 'function')
  assert.ok(!('outputs' in d), 'a venv holds absolute paths: never stored in the cache')
  assert.match(d.version, /"wheels":"wheels"/)
  assert.is.not(
    d.version,
    python.venv({ dir: 'py', python: 'python3.11' })['py:venv'].version,
    'options enter the fingerprint',
  )
  const e = python.venv({ requirements: ['req/base.txt'], project: false })['py:venv']
  assert.equal(e.inputs, ['req/base.txt'])
})

test('python.test, lint and wheel run in the venv and depend on the venv task', () => {
  const t = python.test({ args: ['-q', '-k', 'not slow'] })['py:test']
  assert.is(t.run, ".venv/bin/python -m pytest -q -k 'not slow'")
  assert.equal(t.deps, ['py:venv'])
  assert.ok(t.inputs.includes('**/*.py') && t.inputs.includes('!.venv/**') && t.inputs.includes('!**/__pycache__/**'))
  assert.ok(t.toolVersions.includes('python3 --version'))
  const n = python.test({ venv: false, python: 'python3' })['py:test']
  assert.is(n.run, 'python3 -m pytest')
  assert.equal(n.deps, [])
  const w = python.wheel({ outDir: 'wheelhouse' })['py:wheel']
  assert.equal(w.outputs, ['wheelhouse/*.whl'])
  assert.ok(w.inputs.includes('!wheelhouse/**'))
  assert.match(w.version, /-m build --wheel --no-isolation --outdir wheelhouse \./)
  assert.match(
    w.version,
    /-m pip wheel --disable-pip-version-check --no-deps --no-build-isolation --no-index --wheel-dir wheelhouse \./,
  )
  assert.equal(python.lint({ venvTask: 'deps' })['py:lint'].deps, ['deps'])
})

test('python recipes reject bad options with the recipe and option named', () => {
  assert.throws(
    () => python.venv({ requirement: ['r.txt'] }),
    /python\.venv: unknown option `requirement`; did you mean `requirements`\?/,
  )
  assert.throws(
    () => python.lint({ linter: 'pylint' }),
    /python\.lint: option `linter` must be 'auto', 'ruff' or 'flake8'/,
  )
  assert.throws(() => python.venv({ uv: 'yes' }), /option `uv` must be true, false or 'auto'/)
  assert.throws(() => python.venv({ lock: true, uv: false }), /python\.venv: option `lock` needs uv/)
  assert.throws(() => python.venv({ groups: [1] }), /option `groups` must be an array of non-empty strings/)
  assert.throws(() => python.test({ args: [1] }), /option `args` must be an array of non-empty strings/)
  assert.throws(() => python.wheel({ outDir: '/tmp/x' }), /option `outDir` must be a relative path inside the project/)
})

// ---- a real interpreter ----

// The interpreter needs venv, pytest, setuptools and wheel: the machine's python3 (PYTHON to pick
// another), with .ci/run's `pip install --user -r .ci/python-tools.txt` (pinned versions).
const NEEDS = ['-c', 'import venv, ensurepip, pytest, setuptools, wheel']
const PY = process.env.PYTHON ?? 'python3'
const noPython = missingTool(PY, NEEDS, 'python3 with venv, ensurepip, pytest, setuptools and wheel')

const GREETER = 'def greet(name):\n    return f"hello {name}"\n'
let fx
{
  const test = skipUnless(!noPython, noPython)
  test.before(() => {
    fx = fixture({
      'pyproject.toml':
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "greeter"\nversion = "0.1.0"\n\n[tool.setuptools.packages.find]\nwhere = ["src"]\n',
      'requirements.txt': 'tinydep==1.0\n',
      'src/greeter/__init__.py': GREETER,
      'tests/test_greeter.py':
        'import tinydep\nfrom greeter import greet\n\n\ndef test_greet():\n    assert greet("py") == "hello py"\n\n\ndef test_dep():\n    assert tinydep.VALUE == 42\n',
      // A dependency that only exists as a local wheel: the venv must install it with --no-index.
      'third_party/tinydep/pyproject.toml':
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "tinydep"\nversion = "1.0"\n\n[tool.setuptools]\npy-modules = ["tinydep"]\n',
      'third_party/tinydep/tinydep.py': 'VALUE = 42\n',
      // A stand-in uv that logs its arguments and does the work with venv and pip.
      'fakebin/uv':
        '#!/bin/sh\necho "stand-in uv: $*"\ncase "$1 $2" in\n  "--version "*) echo "uv 0.0.0 (stand-in)" ;;\n  "venv "*) shift; ssp=; while [ "$1" != "${1#-}" ]; do case "$1" in --python) py="$2"; shift 2 ;; *) ssp="$ssp $1"; shift ;; esac; done; exec "$py" -m venv $ssp "$1" ;;\n  "pip install") shift 2; [ "$1" = --python ] && vpy="$2" && shift 2; exec "$vpy" -m pip install "$@" ;;\n  *) exit 2 ;;\nesac\n',
      'fakebin/ruff':
        '#!/bin/sh\nif [ "$1" = --version ]; then echo "ruff 0.0.0 (stand-in)"; exit 0; fi\necho "stand-in ruff: $*: E999 found 1 error"\nexit 1\n',
      'tasks.config.mjs': config(
        `
  ...python.venv({ python: ${JSON.stringify(PY)}, systemSitePackages: true, wheels: 'wheels', uv: false }),
  ...python.venv({ python: ${JSON.stringify(PY)}, systemSitePackages: true, wheels: 'wheels', venv: '.venv-uv', taskName: 'py:venv-uv' }),
  ...python.test({ python: ${JSON.stringify(PY)}, args: ['-q', 'tests'] }),
  ...python.lint({ python: ${JSON.stringify(PY)}, paths: ['src', 'tests'] }),
  ...python.wheel({ python: ${JSON.stringify(PY)} }),`,
        ['python'],
      ),
    })
    chmodSync(fx.path('fakebin/ruff'), 0o755)
    chmodSync(fx.path('fakebin/uv'), 0o755)
    const w = spawnSync(
      PY,
      [
        '-m',
        'pip',
        'wheel',
        '--no-deps',
        '--no-build-isolation',
        '--no-index',
        '-q',
        '-w',
        'wheels',
        'third_party/tinydep',
      ],
      { cwd: fx.dir, encoding: 'utf8' },
    )
    if (w.status !== 0) throw new Error(`could not build the tinydep wheel:\n${w.stdout}${w.stderr}`)
    rmSync(fx.path('third_party/tinydep/build'), { recursive: true, force: true })
  })
  test.after(() => fx?.cleanup())

  test('py:test creates the venv offline from the wheel dir, then runs pytest; a second run is up to date', async () => {
    let r = await runJson(fx.dir, ['py:test'])
    assert.is(r.code, 0, why(r))
    assert.is(r.status['py:venv'], 'ran')
    assert.is(r.status['py:test'], 'ran')
    assert.match(r.out, /Looking in links: (.*, )?wheels/, why(r))
    assert.match(r.out, /2 passed/)
    assert.ok(fx.exists('.venv/bin/python'))
    r = await runJson(fx.dir, ['py:test'])
    assert.equal(r.status, { 'py:venv': 'up-to-date', 'py:test': 'up-to-date' }, why(r))
  })

  test('a deleted venv is created again; the tests stay up to date', async () => {
    rmSync(fx.path('.venv'), { recursive: true })
    const r = await runJson(fx.dir, ['py:test'])
    assert.is(r.status['py:venv'], 'ran', why(r))
    assert.is(r.status['py:test'], 'up-to-date', why(r))
    assert.ok(fx.exists('.venv/bin/python'))
  })

  test('a source change reruns the tests only; reverting it is a cache hit that replays the log', async () => {
    fx.write('src/greeter/__init__.py', GREETER + '\n# changed\n')
    let r = await runJson(fx.dir, ['py:test'])
    assert.equal(r.status, { 'py:venv': 'up-to-date', 'py:test': 'ran' }, why(r))
    assert.match(r.byName['py:test'].reason, /src\/greeter\/__init__\.py/)
    fx.write('src/greeter/__init__.py', GREETER)
    r = await runJson(fx.dir, ['py:test'])
    assert.is(r.status['py:test'], 'cache-hit', why(r))
    assert.match(r.out, /2 passed/)
  })

  test('a requirements change rebuilds the venv; reverting it rebuilds again (the venv on disk is not the cached one)', async () => {
    fx.write('requirements.txt', 'tinydep==1.0\n# pinned\n')
    let r = await runJson(fx.dir, ['py:venv'])
    assert.is(r.status['py:venv'], 'ran', why(r))
    fx.write('requirements.txt', 'tinydep==1.0\n')
    r = await runJson(fx.dir, ['py:venv'])
    assert.is(r.status['py:venv'], 'ran', why(r))
    r = await runJson(fx.dir, ['py:venv'])
    assert.is(r.status['py:venv'], 'up-to-date', why(r))
  })

  test('a failing test fails py:test with pytest output', async () => {
    fx.write('tests/test_fail.py', 'def test_broken():\n    assert 1 + 1 == 3\n')
    const r = await runJson(fx.dir, ['py:test'])
    assert.is(r.code, 1, why(r))
    assert.is(r.status['py:test'], 'failed')
    assert.match(r.out, /assert \(1 \+ 1\) == 3|assert 2 == 3/)
    rmSync(fx.path('tests/test_fail.py'))
  })

  test('py:lint without ruff or flake8 succeeds with a visible skip message; a ruff on PATH is used', async () => {
    const PATH = process.env.PATH.split(delimiter)
      .filter((d) => !existsSync(join(d, 'ruff')))
      .join(delimiter)
    let r = await runJson(fx.dir, ['py:lint'], { env: { PATH } })
    assert.is(r.code, 0, why(r))
    assert.is(r.status['py:lint'], 'ran')
    assert.match(r.out, /python\.lint: skipped: neither ruff nor flake8 is installed/)
    r = await runJson(fx.dir, ['py:lint'], { env: { PATH } })
    assert.is(r.status['py:lint'], 'up-to-date', why(r))
    r = await runJson(fx.dir, ['py:lint'], { env: { PATH: fx.path('fakebin') + delimiter + PATH } })
    assert.is(r.code, 1, why(r))
    assert.is(r.status['py:lint'], 'failed')
    assert.match(r.stderr, /\[py:lint\] run: tool version changed: ruff --version/, why(r))
    assert.match(r.out, /stand-in ruff: check src tests: E999/)
  })

  test('with uv on PATH, the venv is made by `uv venv` and `uv pip install`; its presence enters the fingerprint', async () => {
    const PATH = fx.path('fakebin') + delimiter + process.env.PATH
    let r = await runJson(fx.dir, ['py:venv-uv'], { env: { PATH } })
    assert.is(r.code, 0, why(r))
    assert.match(
      r.out,
      new RegExp(`stand-in uv: venv --system-site-packages --python ${PY.replace(/\//g, '\\/')} \\.venv-uv`),
    )
    assert.match(
      r.out,
      /stand-in uv: pip install --python \.venv-uv\/bin\/python --no-index --find-links wheels --no-build-isolation -r requirements\.txt -e \./,
    )
    assert.match(
      spawnSync(fx.path('.venv-uv/bin/python'), ['-c', 'import tinydep, greeter; print(tinydep.VALUE)'], {
        encoding: 'utf8',
      }).stdout,
      /42/,
    )
    r = await runJson(fx.dir, ['py:venv-uv'])
    assert.is(r.status['py:venv-uv'], 'ran', why(r))
    assert.match(r.stderr, /\[py:venv-uv\] run: tool version changed: uv --version/)
    assert.not.match(r.out, /stand-in uv/)
  })

  test('py:wheel builds a wheel into dist/; deleted, it is restored from the cache', async () => {
    let r = await runJson(fx.dir, ['py:wheel'])
    assert.is(r.code, 0, why(r))
    assert.is(r.status['py:wheel'], 'ran')
    const wheel = 'dist/greeter-0.1.0-py3-none-any.whl'
    assert.ok(fx.exists(wheel), readdirSync(fx.path('.')).join(' '))
    assert.is(readFileSync(fx.path(wheel)).toString('latin1', 0, 2), 'PK')
    r = await runJson(fx.dir, ['py:wheel'])
    assert.is(r.status['py:wheel'], 'up-to-date', why(r))
    rmSync(fx.path('dist'), { recursive: true })
    r = await runJson(fx.dir, ['py:wheel'])
    assert.is(r.status['py:wheel'], 'cache-hit', why(r))
    assert.ok(fx.exists(wheel))
  })
}

// ---- uv with a lock file: real uv, packages from PyPI ----

const noUv = noPython ?? missingTool('uv', ['--version'], 'uv (pip install uv)')
{
  const test = skipUnless(!noUv, noUv)
  const PYPROJECT =
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "folder"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = ["text-unidecode==1.3"]\n\n[tool.setuptools.packages.find]\nwhere = ["src"]\n'
  let ux
  test.before(() => {
    ux = fixture({
      'pyproject.toml': PYPROJECT,
      'src/folder/__init__.py': 'from text_unidecode import unidecode\n\n\ndef fold(s):\n    return unidecode(s)\n',
      'tasks.config.mjs': config(`  ...python.venv({ python: ${JSON.stringify(PY)} }),`, ['python']),
    })
    const r = spawnSync('uv', ['lock', '--python', PY], { cwd: ux.dir, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`uv lock failed:\n${r.stdout}${r.stderr}`)
  })
  test.after(() => ux?.cleanup())

  test('with uv and a uv.lock, py:venv is `uv sync --locked`; the lock file is an input; an out-of-date lock fails', async () => {
    const env = {}
    let r = await runJson(ux.dir, ['py:venv'], { env })
    assert.is(r.code, 0, why(r))
    assert.match(r.out, /\+ text-unidecode==1\.3/, why(r))
    assert.match(
      spawnSync(ux.path('.venv/bin/python'), ['-c', 'import folder; print(folder.fold("Crème"))'], { encoding: 'utf8' })
        .stdout,
      /Creme/,
    )
    r = await runJson(ux.dir, ['py:venv'], { env })
    assert.is(r.status['py:venv'], 'up-to-date', why(r))
    ux.write('uv.lock', ux.read('uv.lock') + '\n')
    r = await runJson(ux.dir, ['py:venv'], { env })
    assert.is(r.status['py:venv'], 'ran', why(r))
    assert.match(r.stderr, /input changed: uv\.lock/, why(r))
    // A dependency added to pyproject.toml without `uv lock`: --locked refuses to install.
    ux.write('pyproject.toml', PYPROJECT.replace('"text-unidecode==1.3"', '"text-unidecode==1.3", "six==1.16.0"'))
    r = await runJson(ux.dir, ['py:venv'], { env })
    assert.is(r.code, 1, why(r))
    assert.is(r.status['py:venv'], 'failed')
    assert.match(r.out, /uv sync --locked/)
    assert.match(r.out, /lock ?file .*needs to be updated/i, why(r))
  })
}

test.run()
