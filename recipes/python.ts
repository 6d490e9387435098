/**
 * Python recipes: `venv` (a virtual environment keyed on the requirements / project files), `test`
 * (pytest), `lint` (ruff or flake8 when installed, a clear skip otherwise) and `wheel`.
 * `test`, `lint` and `wheel` run with the venv's interpreter and depend on the venv task; every task
 * keys on the interpreter's `--version` (and the venv on `uv --version` when uv may be used).
 * With uv and a `uv.lock`, the venv is `uv sync --locked`: the lock file pins every package from
 * the index (pytest and ruff too, in a dev dependency group). Without a lock: `-r requirements*.txt`
 * and the project; offline with `wheels` (a folder of wheels, `--no-index --find-links`) or
 * `systemSitePackages`. uv's and pip's caches (UV_CACHE_DIR, PIP_CACHE_DIR) are passed through,
 * never outputs, and excluded from the inputs when they lie inside `dir`.
 *
 * @example
 * import { python } from 'typed-tasks/recipes'
 * tasks: {
 *   ...python.venv({ dir: 'py' }),         // uv sync --locked when py/uv.lock exists
 *   ...python.test({ dir: 'py', args: ['-q'] }),
 *   ...python.lint({ dir: 'py' }),
 *   ...python.wheel({ dir: 'py' }),
 * }
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { canonicalJson, type TaskContext, type TaskDefinition } from '../lib/doors/recipe-kit.js'
import {
  RecipeError,
  cacheDirsInside,
  cacheExclusions,
  checkKeys,
  command,
  inDir,
  optBoolean,
  optString,
  optStrings,
  optionError,
  probe,
  relDir,
} from './util.js'

const WINDOWS = process.platform === 'win32'
/** Written into the venv; must match the value the venv task returned (see `check`). */
const STAMP = '.typed-tasks-stamp'
const PROJECT_FILES = '{pyproject.toml,setup.cfg,setup.py}'
/** uv's lock file and interpreter pin: inputs of the venv whenever the project is installed. */
const LOCK_FILES = '{uv.lock,.python-version}'
/** Where uv and pip keep downloaded packages: never inputs nor outputs. */
const PY_CACHES = ['UV_CACHE_DIR', 'PIP_CACHE_DIR']
/** Hashed: variables that change what Python tools do. */
const PY_ENV = [
  'PYTHONPATH',
  'PYTHONHASHSEED',
  'PIP_INDEX_URL',
  'PIP_EXTRA_INDEX_URL',
  'PIP_FIND_LINKS',
  'PIP_NO_INDEX',
  'UV_INDEX_URL',
]
/** Passed through, not hashed. */
const PY_PASS = ['PIP_CACHE_DIR', 'UV_CACHE_DIR', 'UV_PYTHON_DOWNLOADS', 'HOME']

/** Options every Python recipe shares. */
export interface PythonCommonOptions {
  /** Folder of the Python project, relative to the project root; the tasks' `cwd`. @default '.' */
  dir?: string
  /**
   * Interpreter used to create the venv (or to run everything when `venv` is false). Its
   * `--version` enters every fingerprint.
   * @default 'python3'
   */
  python?: string
  /**
   * The virtual environment folder, relative to `dir`. `false`: no venv, tasks run `python` directly
   * and do not depend on a venv task.
   * @default '.venv'
   */
  venv?: string | false
  /** Extra input globs (relative to `dir`), added to the defaults. @default [] */
  inputs?: readonly string[]
  /** Overrides the task name. */
  taskName?: string
  /** Overrides the task description shown by `tasks --list`. */
  description?: string
}

const COMMON_KEYS = ['dir', 'python', 'venv', 'inputs', 'taskName', 'description']

/** Options of {@link venv}. */
export interface PythonVenvOptions extends Omit<PythonCommonOptions, 'venv'> {
  /** The venv folder, relative to `dir`. @default '.venv' */
  venv?: string
  /**
   * Requirements files installed with `-r <file>`. Default: `requirements.txt` when it exists (the
   * inputs then cover every `requirements*.txt`).
   */
  requirements?: readonly string[]
  /** Install the project itself (`pip install -e .`). Default: when `pyproject.toml` or `setup.py` exists. */
  project?: boolean
  /** Install the project editable (`-e .`) rather than as a copy (`.`, then every `.py` is an input). @default true */
  editable?: boolean
  /** Extras of the project, installed as `.[a,b]`. @default [] */
  extras?: readonly string[]
  /** More requirement specifiers installed after the files, e.g. `['pytest>=7']`. @default [] */
  packages?: readonly string[]
  /**
   * A folder of wheels (relative to `dir`): installs offline with `--no-index --find-links <wheels>`
   * (and, unless `buildIsolation` is true, builds the project with `--no-build-isolation`). The
   * wheels enter the fingerprint.
   */
  wheels?: string
  /**
   * Build the project in an isolated environment, which downloads its build backend from the index.
   * `false` passes `--no-build-isolation`: the backend (setuptools, wheel, ...) must already be in
   * the venv, e.g. with `systemSitePackages`; the way to install a project offline.
   * @default false when `wheels` is given, else true
   */
  buildIsolation?: boolean
  /** Creates the venv with `--system-site-packages`, so packages of the system interpreter are visible. @default false */
  systemSitePackages?: boolean
  /** `true`: use uv (`uv venv`, `uv pip install` / `uv sync`); `false`: `python -m venv` + pip; `'auto'`: uv when `uv --version` runs. @default 'auto' */
  uv?: boolean | 'auto'
  /**
   * Install from uv's lock file: `uv sync --locked` (the project, its dependencies and the default
   * dependency groups, e.g. `dev` with pytest and ruff, at the versions `uv.lock` pins; fails when the
   * lock is out of date with pyproject.toml). `'auto'`: when uv is used and `uv.lock` exists. `true`
   * needs uv. `uv.lock` and `.python-version` are inputs either way.
   * @default 'auto'
   */
  lock?: boolean | 'auto'
  /** Dependency groups to install besides the default ones, with `uv sync --locked` (`--group <g>`). @default [] */
  groups?: readonly string[]
}

/**
 * Create a virtual environment and install the project's requirements into it, as the task
 * `py:venv` (or `taskName`). The venv is deleted and created again whenever its inputs change (the
 * requirements files, pyproject.toml / setup.cfg / setup.py, the wheels folder, the interpreter
 * version), so removed requirements disappear too. The venv is not stored in the cache (it holds
 * absolute paths): the task returns a stamp it also writes into the venv, and its `check` reruns
 * the task when the venv is gone or is not the one this result made (e.g. a cache hit for an older
 * requirements file while the venv on disk was built from a newer one).
 *
 * Commands: `uv venv [--system-site-packages] --python <python> <venv>` and `uv pip install --python
 * <venv python> ...` when uv is used, else `<python> -m venv [--system-site-packages] <venv>` and
 * `<venv python> -m pip install --disable-pip-version-check [--no-index --find-links <wheels>]
 * [--no-build-isolation] [-r <file>]... [-e .[extras]] [packages]`.
 * @throws {RecipeError} on an unknown option or an option of the wrong type; at run time, `tool-missing`
 *   when `uv: true` and uv is missing (`TaskCommandError` when a command fails).
 */
export function venv(options: PythonVenvOptions = {}): Record<string, TaskDefinition> {
  const R = 'python.venv'
  checkKeys(R, options, [
    ...COMMON_KEYS,
    'requirements',
    'project',
    'editable',
    'extras',
    'packages',
    'wheels',
    'buildIsolation',
    'systemSitePackages',
    'uv',
    'lock',
    'groups',
  ])
  if (options.venv === (false as unknown)) throw optionError(R, 'venv', 'cannot be false for the venv recipe itself')
  const c = commonOptions(R, options)
  const requirements = optStrings(R, 'requirements', options.requirements)
  const project = optBoolean(R, 'project', options.project)
  const editable = optBoolean(R, 'editable', options.editable) ?? true
  const extras = optStrings(R, 'extras', options.extras) ?? []
  const packages = optStrings(R, 'packages', options.packages) ?? []
  const wheels = options.wheels === undefined ? undefined : relDir(R, 'wheels', options.wheels)
  const ssp = optBoolean(R, 'systemSitePackages', options.systemSitePackages) ?? false
  const isolation = optBoolean(R, 'buildIsolation', options.buildIsolation) ?? !wheels
  const uv = options.uv ?? 'auto'
  if (uv !== true && uv !== false && uv !== 'auto')
    throw optionError(R, 'uv', `must be true, false or 'auto', got ${JSON.stringify(uv)}`)
  const lock = options.lock ?? 'auto'
  if (lock !== true && lock !== false && lock !== 'auto')
    throw optionError(R, 'lock', `must be true, false or 'auto', got ${JSON.stringify(lock)}`)
  if (lock === true && uv === false) throw optionError(R, 'lock', 'needs uv (`uv sync --locked`): remove `uv: false`')
  const groups = optStrings(R, 'groups', options.groups) ?? []
  const dir = c.venv as string
  const venvPy = pythonIn(dir)

  const inputs = [
    ...(requirements ?? ['requirements*.txt']),
    ...(project !== false ? [PROJECT_FILES, LOCK_FILES] : []),
    ...(project !== false && !editable ? [...sourceInputs(dir), ...cacheExclusions(c.dir, PY_CACHES)] : []),
    ...(wheels ? [`${wheels}/*.whl`] : []),
    ...c.extra,
  ]
  const settings = {
    requirements,
    project,
    editable,
    extras,
    packages,
    wheels,
    isolation,
    ssp,
    uv,
    lock,
    groups,
    python: c.python,
    venv: dir,
  }
  return {
    [c.taskName ?? 'py:venv']: inDir(c.dir, {
      description: c.description ?? `create ${dir} and install ${requirements?.join(', ') ?? 'the requirements'}`,
      run: async (ctx: TaskContext) => {
        rmSync(resolve(ctx.cwd, dir), { recursive: true, force: true })
        const useUv = uv === 'auto' ? probe(ctx, 'uv --version') : uv
        if (useUv) {
          if (uv === true && !probe(ctx, 'uv --version'))
            throw new RecipeError('tool-missing', '`uv: true` but `uv --version` fails', {
              recipe: R,
              hint: 'install uv (`pip install uv`) or set `uv: false`',
            })
          await ctx.exec(command(['uv', 'venv', ssp && '--system-site-packages', '--python', c.python, dir]))
        } else {
          await ctx.exec(command([c.python, '-m', 'venv', ssp && '--system-site-packages', dir]))
        }
        const reqs = requirements ?? (existsSync(join(ctx.cwd, 'requirements.txt')) ? ['requirements.txt'] : [])
        const withProject =
          project ?? (existsSync(join(ctx.cwd, 'pyproject.toml')) || existsSync(join(ctx.cwd, 'setup.py')))
        const locked =
          lock === true || (lock === 'auto' && useUv && project !== false && existsSync(join(ctx.cwd, 'uv.lock')))
        if (locked && !useUv)
          throw new RecipeError('tool-missing', '`lock: true` needs uv, and `uv --version` fails', {
            recipe: R,
            hint: 'install uv (`pip install uv`), or set `lock: false` to install with pip',
          })
        if (locked) {
          // uv sync installs into UV_PROJECT_ENVIRONMENT: the venv just made, with its interpreter.
          await ctx.exec(
            command([
              'uv',
              'sync',
              '--locked',
              '--python',
              venvPy,
              ...extras.flatMap((e) => ['--extra', e]),
              ...groups.flatMap((g) => ['--group', g]),
              !editable && '--no-editable',
            ]),
            {
              env: { UV_PROJECT_ENVIRONMENT: dir },
            },
          )
          const more = [...(requirements ?? []).flatMap((r) => ['-r', r]), ...packages]
          if (more.length) await ctx.exec(command(['uv', 'pip', 'install', '--python', venvPy, ...more]))
          const stamp = `${Date.now()}-${randomUUID()}`
          writeFileSync(resolve(ctx.cwd, dir, STAMP), stamp)
          return { stamp }
        }
        const what = [
          ...reqs.flatMap((r) => ['-r', r]),
          ...(withProject ? [editable && '-e', extras.length ? `.[${extras.join(',')}]` : '.'] : []),
          ...packages,
        ]
        if (what.length === 0) {
          ctx.log(
            `python.venv: nothing to install (no requirements.txt, pyproject.toml or setup.py in ${ctx.cwd}); created an empty ${dir}`,
          )
        } else {
          const installer = useUv
            ? ['uv', 'pip', 'install', '--python', venvPy]
            : [venvPy, '-m', 'pip', 'install', '--disable-pip-version-check']
          const offline = wheels ? ['--no-index', '--find-links', wheels] : []
          await ctx.exec(
            command([...installer, ...offline, withProject && !isolation && '--no-build-isolation', ...what]),
          )
        }
        // The venv is not an output: a stamp ties the folder on disk to this run, so a cache entry of
        // an older run (same fingerprint, another venv on disk) is not taken for it.
        const stamp = `${Date.now()}-${randomUUID()}`
        writeFileSync(resolve(ctx.cwd, dir, STAMP), stamp)
        return { stamp }
      },
      shell: 'portable',
      version: `python.venv@2 ${canonicalJson(settings)}`,
      inputs,
      env: PY_ENV,
      passEnv: PY_PASS,
      toolVersions: [`${command([c.python])} --version`, ...(uv === false ? [] : ['uv --version'])],
      platform: true,
      check: (ctx) =>
        existsSync(resolve(ctx.cwd, venvPy)) &&
        readStamp(resolve(ctx.cwd, dir, STAMP)) === (ctx.value as { stamp?: string } | undefined)?.stamp,
    }),
  }
}

/** Options of {@link test}. */
export interface PythonTestOptions extends PythonCommonOptions {
  /** Arguments for pytest, e.g. `['-q', 'tests/', '-k', 'not slow']`. @default [] */
  args?: readonly string[]
  /** The venv task this depends on. @default 'py:venv' */
  venvTask?: string
}

/**
 * Run `<venv python> -m pytest [args]` as the task `py:test` (or `taskName`), after the venv task.
 * Inputs: every `.py` file (outside the venv, build/, dist/, caches), pyproject.toml, setup.cfg,
 * setup.py, tox.ini, pytest.ini, requirements*.txt. A cache hit replays the pytest log.
 * @throws {RecipeError} on an unknown option or an option of the wrong type.
 */
export function test(options: PythonTestOptions = {}): Record<string, TaskDefinition> {
  const R = 'python.test'
  checkKeys(R, options, [...COMMON_KEYS, 'args', 'venvTask'])
  const c = commonOptions(R, options)
  const args = optStrings(R, 'args', options.args) ?? []
  return {
    [c.taskName ?? 'py:test']: inDir(c.dir, {
      description: c.description ?? 'pytest',
      run: command([c.py, '-m', 'pytest', ...args]),
      shell: 'portable',
      ...c.shared(optString(R, 'venvTask', options.venvTask)),
    }),
  }
}

/** Options of {@link lint}. */
export interface PythonLintOptions extends PythonCommonOptions {
  /**
   * `'ruff'` (`ruff check`), `'flake8'` (`python -m flake8`), or `'auto'`: ruff when found in the
   * venv or on PATH, else flake8 when the interpreter has it, else the task succeeds with a log line
   * saying lint was skipped and how to enable it. An explicit linter that is missing fails the task.
   * @default 'auto'
   */
  linter?: 'auto' | 'ruff' | 'flake8'
  /** Files or folders to lint. @default ['.'] */
  paths?: readonly string[]
  /** Extra arguments for the linter, e.g. `['--select', 'E,F']`. @default [] */
  args?: readonly string[]
  /** The venv task this depends on. @default 'py:venv' */
  venvTask?: string
}

/**
 * Lint with ruff or flake8 as the task `py:lint` (or `taskName`); see `linter`. flake8 gets
 * `--extend-exclude <venv>,build,dist` (ruff already skips venvs); both get `--extend-exclude` for
 * UV_CACHE_DIR / PIP_CACHE_DIR when they lie inside `dir`. Which linter is installed enters
 * the fingerprint, so installing one reruns the task.
 * @throws {RecipeError} on an unknown option or an option of the wrong type.
 */
export function lint(options: PythonLintOptions = {}): Record<string, TaskDefinition> {
  const R = 'python.lint'
  checkKeys(R, options, [...COMMON_KEYS, 'linter', 'paths', 'args', 'venvTask'])
  const c = commonOptions(R, options)
  const linter = options.linter ?? 'auto'
  if (!['auto', 'ruff', 'flake8'].includes(linter))
    throw optionError(R, 'linter', `must be 'auto', 'ruff' or 'flake8', got ${JSON.stringify(linter)}`)
  const paths = optStrings(R, 'paths', options.paths) ?? ['.']
  const args = optStrings(R, 'args', options.args) ?? []
  const venvRuff = c.venv ? binIn(c.venv, 'ruff') : undefined
  const flake8 = command([c.py, '-m', 'flake8'])
  const shared = c.shared(optString(R, 'venvTask', options.venvTask))
  // uv's or pip's cache inside the folder holds other projects' sources: never linted.
  const caches = cacheDirsInside(c.dir, PY_CACHES)
  return {
    [c.taskName ?? 'py:lint']: inDir(c.dir, {
      description: c.description ?? `lint ${paths.join(' ')} (${linter === 'auto' ? 'ruff or flake8' : linter})`,
      run: async (ctx: TaskContext) => {
        if (linter !== 'flake8') {
          const ruff =
            venvRuff && existsSync(resolve(ctx.cwd, venvRuff))
              ? venvRuff
              : probe(ctx, 'ruff --version')
                ? 'ruff'
                : undefined
          if (ruff)
            return ctx.exec(
              command([
                ruff,
                'check',
                ...(caches.length ? ['--extend-exclude', caches.join(',')] : []),
                ...args,
                ...paths,
              ]),
            )
          if (linter === 'ruff')
            throw new RecipeError(
              'tool-missing',
              `ruff is not installed (looked for ${venvRuff ? venvRuff + ' and ' : ''}ruff on PATH)`,
              {
                recipe: R,
                hint: 'add ruff to the venv (a dev dependency group, or `packages`)',
              },
            )
        }
        if (probe(ctx, `${flake8} --version`)) {
          const exclude = [c.venv, 'build', 'dist', ...caches].filter(Boolean).join(',')
          return ctx.exec(`${flake8} ${command(['--extend-exclude', exclude, ...args, ...paths])}`)
        }
        if (linter === 'flake8')
          throw new RecipeError('tool-missing', `flake8 is not installed (\`${flake8} --version\` failed)`, {
            recipe: R,
            hint: 'add flake8 to the venv (a dev dependency group, or `packages`)',
          })
        ctx.log(
          `python.lint: skipped: neither ruff nor flake8 is installed (looked for ${venvRuff ? venvRuff + ', ' : ''}ruff on PATH and \`${flake8}\`); add ruff or flake8 to the venv's requirements to lint`,
        )
      },
      shell: 'portable',
      version: `python.lint@2 ${canonicalJson({ linter, paths, args, py: c.py, venv: c.venv, caches })}`,
      ...shared,
      toolVersions: [
        ...(shared.toolVersions ?? []),
        ...(linter !== 'flake8' ? ['ruff --version', ...(venvRuff ? [`${command([venvRuff])} --version`] : [])] : []),
        `${flake8} --version`,
      ],
    }),
  }
}

/** Options of {@link wheel}. */
export interface PythonWheelOptions extends PythonCommonOptions {
  /** Folder the wheel is written to, relative to `dir`. Existing `*.whl` files there are removed first. @default 'dist' */
  outDir?: string
  /**
   * Build in an isolated environment (downloads the build backend from the index). Off by default
   * so builds work offline: `--no-isolation` / `--no-build-isolation`, the backend (e.g. setuptools)
   * must be in the venv.
   * @default false
   */
  isolation?: boolean
  /** The venv task this depends on. @default 'py:venv' */
  venvTask?: string
}

/**
 * Build the project's wheel into `outDir` as the task `py:wheel` (or `taskName`):
 * `<python> -m build --wheel --no-isolation --outdir <outDir> .` when the `build` package is
 * installed, else `<python> -m pip wheel --no-deps --no-build-isolation --no-index --wheel-dir
 * <outDir> .` when the interpreter has pip, else (a venv made by uv has no pip) `uv build --wheel
 * --no-build-isolation --python <python> --out-dir <outDir> .`. Outputs: `<outDir>/*.whl`, restored
 * on a cache hit.
 * @throws {RecipeError} on an unknown option or an option of the wrong type.
 */
export function wheel(options: PythonWheelOptions = {}): Record<string, TaskDefinition> {
  const R = 'python.wheel'
  checkKeys(R, options, [...COMMON_KEYS, 'outDir', 'isolation', 'venvTask'])
  const c = commonOptions(R, options)
  const outDir = relDir(R, 'outDir', options.outDir, 'dist')
  const isolation = optBoolean(R, 'isolation', options.isolation) ?? false
  const shared = c.shared(optString(R, 'venvTask', options.venvTask))
  const viaBuild = command([c.py, '-m', 'build', '--wheel', !isolation && '--no-isolation', '--outdir', outDir, '.'])
  const viaPip = command([
    c.py,
    '-m',
    'pip',
    'wheel',
    '--disable-pip-version-check',
    '--no-deps',
    ...(isolation ? [] : ['--no-build-isolation', '--no-index']),
    '--wheel-dir',
    outDir,
    '.',
  ])
  const viaUv = command([
    'uv',
    'build',
    '--wheel',
    !isolation && '--no-build-isolation',
    '--python',
    c.py,
    '--out-dir',
    outDir,
    '.',
  ])
  return {
    [c.taskName ?? 'py:wheel']: inDir(c.dir, {
      description: c.description ?? `build the wheel into ${outDir}/`,
      run: async (ctx: TaskContext) => {
        const out = resolve(ctx.cwd, outDir)
        if (existsSync(out)) for (const f of readdirSync(out)) if (f.endsWith('.whl')) rmSync(join(out, f))
        // A venv made by uv has no pip: then uv builds the wheel.
        const how = probe(ctx, `${command([c.py, '-m', 'build'])} --version`)
          ? viaBuild
          : probe(ctx, `${command([c.py, '-m', 'pip'])} --version`) || !probe(ctx, 'uv --version')
            ? viaPip
            : viaUv
        await ctx.exec(how)
      },
      shell: 'portable',
      version: `python.wheel@2 ${viaBuild} || ${viaPip} || ${viaUv}`,
      ...shared,
      inputs: [...(shared.inputs ?? []), `!${outDir}/**`],
      outputs: [`${outDir}/*.whl`],
      toolVersions: [...(shared.toolVersions ?? []), `${command([c.py, '-m', 'build'])} --version`, 'uv --version'],
    }),
  }
}

function readStamp(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function pythonIn(venvDir: string): string {
  return WINDOWS ? `${venvDir}/Scripts/python.exe` : `${venvDir}/bin/python`
}

function binIn(venvDir: string, tool: string): string {
  return WINDOWS ? `${venvDir}/Scripts/${tool}.exe` : `${venvDir}/bin/${tool}`
}

/** Python sources and tool configs, without the venv, build outputs and caches. */
function sourceInputs(venvDir: string | false): string[] {
  return [
    '**/*.py',
    '{pyproject.toml,setup.cfg,setup.py,tox.ini,pytest.ini,.flake8,ruff.toml,.ruff.toml}',
    'requirements*.txt',
    ...(venvDir ? [`!${venvDir}/**`] : []),
    '!**/__pycache__/**',
    '!build/**',
    '!dist/**',
    '!**/*.egg-info/**',
    '!.tox/**',
    '!.nox/**',
    '!**/.pytest_cache/**',
    '!**/.ruff_cache/**',
  ]
}

/** Validated common options, plus the keys `test`, `lint` and `wheel` share. */
function commonOptions(R: string, o: PythonCommonOptions) {
  const dir = relDir(R, 'dir', o.dir)
  const python = optString(R, 'python', o.python) ?? 'python3'
  const venvDir: string | false = o.venv === false ? false : relDir(R, 'venv', o.venv, '.venv')
  if (venvDir === '.') throw optionError(R, 'venv', 'must be a folder below `dir`, not `dir` itself')
  const extra = optStrings(R, 'inputs', o.inputs) ?? []
  const py = venvDir ? pythonIn(venvDir) : python
  return {
    dir,
    python,
    venv: venvDir,
    py,
    extra,
    taskName: optString(R, 'taskName', o.taskName),
    description: optString(R, 'description', o.description),
    /** deps, inputs, env and tool versions of a task that runs in the venv. */
    shared: (venvTask?: string): TaskDefinition => ({
      deps: venvDir ? [venvTask ?? 'py:venv'] : [],
      inputs: [...sourceInputs(venvDir), ...cacheExclusions(dir, PY_CACHES), ...extra],
      env: PY_ENV,
      passEnv: PY_PASS,
      toolVersions: [`${command([python])} --version`],
      platform: true,
    }),
  }
}
