/**
 * Rust recipes: `build` (one binary, optionally a `--target` matrix), `test`, `clippy` and
 * `fmtCheck`. Every cargo command gets `--target-dir <targetDir>` so outputs land where the task
 * declares them (CARGO_TARGET_DIR is overridden); tasks key on the crate's sources, manifests, the
 * lock file `Cargo.lock` (which pins every crate downloaded from crates.io), `rust-toolchain(.toml)`,
 * RUSTFLAGS and the `rustc -V` / `cargo -V` output (the toolchain). The crates cargo downloads live
 * in CARGO_HOME (passed through, never an output, excluded from the inputs when it lies inside `dir`).
 *
 * @example
 * import { rust } from 'typed-tasks/recipes'
 * tasks: {
 *   ...rust.build({ bin: 'grep-lite', features: ['color'] }),
 *   ...rust.test(),
 *   ...rust.clippy(),
 *   ...rust.fmtCheck(),
 * }
 */
import type { TaskContext, TaskDefinition } from '../lib/doors/recipe-kit.js'
import {
  HOST_EXE,
  RecipeError,
  cacheExclusions,
  capture,
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

/** Hashed: variables that change what cargo produces. */
const RUST_ENV = [
  'RUSTFLAGS',
  'CARGO_ENCODED_RUSTFLAGS',
  'CARGO_BUILD_RUSTFLAGS',
  'CARGO_BUILD_TARGET',
  'RUSTDOCFLAGS',
  'CARGO_PROFILE_RELEASE_LTO',
  'CARGO_PROFILE_RELEASE_OPT_LEVEL',
]
/** Passed through, not hashed: toolchain homes and compiler caches. */
const RUST_PASS = ['CARGO_HOME', 'RUSTUP_HOME', 'RUSTUP_TOOLCHAIN', 'RUSTC_WRAPPER', 'SCCACHE_DIR']
const TOOLS = ['rustc -V', 'cargo -V']
/** Where cargo keeps downloaded crates (CARGO_HOME/registry) and rustup its toolchains: never inputs nor outputs. */
const RUST_CACHES = ['CARGO_HOME', 'RUSTUP_HOME', 'CARGO_TARGET_DIR']
const TRIPLE = /^[a-z0-9_.]+(-[a-z0-9_.]+){1,3}$/

/** Options every Rust recipe shares. */
export interface RustCommonOptions {
  /** Folder of the crate or workspace (holding `Cargo.toml`), relative to the project root; the tasks' `cwd`. @default '.' */
  dir?: string
  /** A workspace package to work on: `-p <package>`. @default the package in `dir` */
  package?: string
  /** Folders of workspace members (relative to `dir`) whose sources and manifests are inputs too. @default [] */
  members?: readonly string[]
  /** Features to enable: `--features a,b`. @default [] */
  features?: readonly string[]
  /** `--all-features`. @default false */
  allFeatures?: boolean
  /** `--no-default-features`. @default false */
  noDefaultFeatures?: boolean
  /** `--locked`: fail when Cargo.lock is missing or out of date (what CI wants). @default false */
  locked?: boolean
  /** `--target-dir <targetDir>`, relative to `dir`. @default 'target' */
  targetDir?: string
  /** Extra cargo arguments placed before `--`, e.g. `['--offline']`. @default [] */
  flags?: readonly string[]
  /** Extra input globs (relative to `dir`), added to the defaults. @default [] */
  inputs?: readonly string[]
  /** Overrides the task name. */
  taskName?: string
  /** Overrides the task description shown by `tasks --list`. */
  description?: string
}

const COMMON_KEYS = [
  'dir',
  'package',
  'members',
  'features',
  'allFeatures',
  'noDefaultFeatures',
  'locked',
  'targetDir',
  'flags',
  'inputs',
  'taskName',
  'description',
]

/** Options of {@link build}. */
export interface RustBuildOptions extends RustCommonOptions {
  /** The binary target to build: `--bin <bin>`; the task is `rust:<bin>`. Required. */
  bin: string
  /**
   * Cargo profile. `'release'`: `--release`; `'debug'` (or `'dev'`): no flag; any other name:
   * `--profile <name>`. The output folder is `release`, `debug` or the profile's name.
   * @default 'release'
   */
  profile?: string
  /**
   * A `--target` matrix: one task `rust:<bin>:<triple>` per triple, run in parallel, and `rust:<bin>`
   * as their aggregate; outputs `<targetDir>/<triple>/<profile>/<bin>` (`.exe` for windows triples).
   * Each triple must be installed (`rustup target add <triple>`): the task fails with that hint
   * otherwise. Omitted: one task for the host, output `<targetDir>/<profile>/<bin>`.
   * @example ['x86_64-unknown-linux-gnu', 'aarch64-unknown-linux-gnu']
   */
  targets?: readonly string[]
}

/**
 * Build one binary with `cargo build [--release | --profile p] --bin <bin> [-p pkg] [features]
 * [--locked] --target-dir <targetDir> [--target <triple>] [flags]` as the task `rust:<bin>` (or
 * `taskName`). Inputs: `src/**\/*.rs`, build.rs, Cargo.toml, Cargo.lock, rust-toolchain(.toml),
 * .cargo/config(.toml), and the same of each of `members`; output: the binary.
 * @throws {RecipeError} on a missing `bin`, a malformed or duplicate target triple, an unknown option or
 *   an option of the wrong type.
 */
export function build(options: RustBuildOptions): Record<string, TaskDefinition> {
  const R = 'rust.build'
  checkKeys(R, options, [...COMMON_KEYS, 'bin', 'profile', 'targets'])
  const c = commonOptions(R, options)
  const bin = optString(R, 'bin', options.bin)
  if (bin === undefined) throw optionError(R, 'bin', 'is required: the name of the binary target, e.g. `my-cli`')
  if (!/^[\w-]+$/.test(bin))
    throw optionError(R, 'bin', `must be a binary target name (letters, digits, '_', '-'), got ${JSON.stringify(bin)}`)
  const profile = optString(R, 'profile', options.profile) ?? 'release'
  if (!/^[\w-]+$/.test(profile))
    throw optionError(R, 'profile', `must be a profile name, got ${JSON.stringify(profile)}`)
  const profileDir = profile === 'dev' ? 'debug' : profile
  const profileFlags = profile === 'release' ? ['--release'] : profileDir === 'debug' ? [] : ['--profile', profile]
  const targets = optStrings(R, 'targets', options.targets)
  if (targets?.length === 0)
    throw optionError(R, 'targets', 'must list at least one target triple (omit it to build for the host)')
  for (const [i, t] of (targets ?? []).entries()) {
    if (!TRIPLE.test(t))
      throw optionError(
        R,
        'targets',
        `has \`${t}\`, which is not a target triple like \`x86_64-unknown-linux-gnu\` or \`aarch64-apple-darwin\` (see \`rustc --print target-list\`)`,
      )
    if (targets!.indexOf(t) !== i) throw optionError(R, 'targets', `lists \`${t}\` twice`)
  }
  const taskName = c.taskName ?? `rust:${bin}`
  const cargo = (triple?: string) =>
    command([
      'cargo',
      'build',
      ...profileFlags,
      '--bin',
      bin,
      ...c.pkg,
      ...c.featureFlags,
      ...c.targetFlags,
      ...(triple ? ['--target', triple] : []),
      ...c.flags,
    ])
  const base = {
    inputs: c.inputs([]),
    env: RUST_ENV,
    passEnv: RUST_PASS,
    toolVersions: TOOLS,
  }
  if (!targets) {
    const out = `${c.targetDir}/${profileDir}/${bin}${HOST_EXE}`
    return {
      [taskName]: inDir(c.dir, {
        description: c.description ?? `cargo build ${bin} (${profile}) -> ${out}`,
        run: cargo(),
        shell: 'portable',
        outputs: [out],
        platform: true,
        ...base,
      }),
    }
  }
  const tasks: Record<string, TaskDefinition> = {}
  for (const triple of targets) {
    const out = `${c.targetDir}/${triple}/${profileDir}/${bin}${triple.includes('windows') ? '.exe' : triple.startsWith('wasm') ? '.wasm' : ''}`
    const cmd = cargo(triple)
    tasks[`${taskName}:${triple}`] = inDir(c.dir, {
      description: c.description ?? `cargo build ${bin} (${profile}) for ${triple} -> ${out}`,
      run: async (ctx: TaskContext) => {
        requireInstalledTarget(ctx, triple)
        await ctx.exec(cmd)
      },
      shell: 'portable',
      version: `rust.build@1 ${cmd}`,
      outputs: [out],
      // Linking may use the host's C toolchain, so the result is keyed on the host platform too.
      platform: true,
      ...base,
    })
  }
  tasks[taskName] = {
    description: c.description ?? `build ${bin} for ${targets.join(', ')}`,
    deps: targets.map((t) => `${taskName}:${t}`),
  }
  return tasks
}

/** Options of {@link test}. */
export interface RustTestOptions extends RustCommonOptions {
  /** `--workspace`: test every member of the workspace. @default false */
  workspace?: boolean
  /** `--release`: test the optimised build. @default false */
  release?: boolean
  /** Arguments for the test binaries, after `--`, e.g. `['--test-threads', '2']`. @default [] */
  args?: readonly string[]
}

/**
 * Run `cargo test [--release] [--workspace | -p pkg] [features] [--locked] --target-dir <targetDir>
 * [flags] [-- args]` as the task `rust:test` (or `taskName`). Inputs: the build inputs plus
 * `tests/`, `benches/`, `examples/`; a cache hit replays the test log.
 * @throws {RecipeError} on an unknown option or an option of the wrong type.
 */
export function test(options: RustTestOptions = {}): Record<string, TaskDefinition> {
  const R = 'rust.test'
  checkKeys(R, options, [...COMMON_KEYS, 'workspace', 'release', 'args'])
  const c = commonOptions(R, options)
  const workspace = optBoolean(R, 'workspace', options.workspace) ?? false
  const release = optBoolean(R, 'release', options.release) ?? false
  const args = optStrings(R, 'args', options.args) ?? []
  return {
    [c.taskName ?? 'rust:test']: inDir(c.dir, {
      description: c.description ?? 'cargo test',
      run: command([
        'cargo',
        'test',
        release && '--release',
        workspace && '--workspace',
        ...c.pkg,
        ...c.featureFlags,
        ...c.targetFlags,
        ...c.flags,
        ...(args.length ? ['--', ...args] : []),
      ]),
      shell: 'portable',
      inputs: c.inputs(['tests/**', 'benches/**', 'examples/**']),
      env: RUST_ENV,
      passEnv: RUST_PASS,
      toolVersions: TOOLS,
      platform: true,
    }),
  }
}

/** Options of {@link clippy}. */
export interface RustClippyOptions extends RustCommonOptions {
  /** `--workspace`. @default false */
  workspace?: boolean
  /** `--all-targets`: lint tests, benches and examples too. @default true */
  allTargets?: boolean
  /** Adds `-D warnings` after `--`, so any warning fails the task. @default true */
  denyWarnings?: boolean
  /** More lint arguments after `--`, e.g. `['-W', 'clippy::pedantic']`. @default [] */
  lints?: readonly string[]
}

/**
 * Run `cargo clippy [--workspace | -p pkg] [--all-targets] [features] [--locked] --target-dir
 * <targetDir> [flags] -- [-D warnings] [lints]` as the task `rust:clippy` (or `taskName`), on the
 * same inputs as {@link test}.
 * @throws {RecipeError} on an unknown option or an option of the wrong type.
 */
export function clippy(options: RustClippyOptions = {}): Record<string, TaskDefinition> {
  const R = 'rust.clippy'
  checkKeys(R, options, [...COMMON_KEYS, 'workspace', 'allTargets', 'denyWarnings', 'lints'])
  const c = commonOptions(R, options)
  const workspace = optBoolean(R, 'workspace', options.workspace) ?? false
  const allTargets = optBoolean(R, 'allTargets', options.allTargets) ?? true
  const deny = optBoolean(R, 'denyWarnings', options.denyWarnings) ?? true
  const lints = [...(deny ? ['-D', 'warnings'] : []), ...(optStrings(R, 'lints', options.lints) ?? [])]
  return {
    [c.taskName ?? 'rust:clippy']: inDir(c.dir, {
      description: c.description ?? `cargo clippy${deny ? ' (warnings are errors)' : ''}`,
      run: command([
        'cargo',
        'clippy',
        workspace && '--workspace',
        ...c.pkg,
        allTargets && '--all-targets',
        ...c.featureFlags,
        ...c.targetFlags,
        ...c.flags,
        ...(lints.length ? ['--', ...lints] : []),
      ]),
      shell: 'portable',
      inputs: c.inputs(['tests/**', 'benches/**', 'examples/**', '{clippy.toml,.clippy.toml}']),
      env: RUST_ENV,
      passEnv: RUST_PASS,
      toolVersions: TOOLS,
    }),
  }
}

/** Options of {@link fmtCheck}. */
export interface RustFmtOptions {
  /** Folder of the crate or workspace, relative to the project root; the task's `cwd`. @default '.' */
  dir?: string
  /** A workspace package to check: `-p <package>` instead of `--all`. */
  package?: string
  /** Extra input globs (relative to `dir`). @default [] */
  inputs?: readonly string[]
  /** Overrides the task name. @default 'rust:fmt' */
  taskName?: string
  /** Overrides the task description. */
  description?: string
}

/**
 * Check formatting with `cargo fmt --all -- --check` (or `-p <package>`) as the task `rust:fmt` (or
 * `taskName`); fails and shows the diff when a file is not formatted. Inputs: every `.rs` file
 * outside `target/`, Cargo.toml, rustfmt.toml, .rustfmt.toml.
 * @throws {RecipeError} on an unknown option or an option of the wrong type.
 */
export function fmtCheck(options: RustFmtOptions = {}): Record<string, TaskDefinition> {
  const R = 'rust.fmtCheck'
  checkKeys(R, options, ['dir', 'package', 'inputs', 'taskName', 'description'])
  const dir = relDir(R, 'dir', options.dir)
  const pkg = optString(R, 'package', options.package)
  return {
    [optString(R, 'taskName', options.taskName) ?? 'rust:fmt']: inDir(dir, {
      description: optString(R, 'description', options.description) ?? 'cargo fmt --check',
      run: command(['cargo', 'fmt', ...(pkg ? ['-p', pkg] : ['--all']), '--', '--check']),
      shell: 'portable',
      inputs: [
        '**/*.rs',
        '{Cargo.toml,rustfmt.toml,.rustfmt.toml}',
        '!target/**',
        ...cacheExclusions(dir, RUST_CACHES),
        ...(optStrings(R, 'inputs', options.inputs) ?? []),
      ],
      passEnv: RUST_PASS,
      toolVersions: ['cargo fmt --version'],
    }),
  }
}

/** With rustup, fail early with the fix when `triple` is not installed (no download is attempted). */
function requireInstalledTarget(ctx: TaskContext, triple: string): void {
  if (!probe(ctx, 'rustup --version')) return
  const installed = capture(ctx, 'rustup target list --installed')?.split(/\s+/) ?? []
  if (!installed.includes(triple)) {
    throw new RecipeError(
      'tool-missing',
      `target \`${triple}\` is not installed (installed: ${installed.join(', ') || 'none'})`,
      { recipe: 'rust.build', hint: `run \`rustup target add ${triple}\`` },
    )
  }
}

/** Validated common options, plus the command pieces and inputs they produce. */
function commonOptions(R: string, o: RustCommonOptions) {
  const dir = relDir(R, 'dir', o.dir)
  const pkg = optString(R, 'package', o.package)
  const members = (optStrings(R, 'members', o.members) ?? []).map((m, i) => relDir(R, `members[${i}]`, m))
  const features = optStrings(R, 'features', o.features) ?? []
  const all = optBoolean(R, 'allFeatures', o.allFeatures) ?? false
  const noDefault = optBoolean(R, 'noDefaultFeatures', o.noDefaultFeatures) ?? false
  const locked = optBoolean(R, 'locked', o.locked) ?? false
  const targetDir = relDir(R, 'targetDir', o.targetDir, 'target')
  if (targetDir === '.') throw optionError(R, 'targetDir', 'must be a folder below `dir`')
  const extra = optStrings(R, 'inputs', o.inputs) ?? []
  const crate = (prefix: string, more: readonly string[]) => [
    `${prefix}src/**/*.rs`,
    `${prefix}{build.rs,Cargo.toml}`,
    ...more.map((m) => prefix + m),
  ]
  return {
    dir,
    targetDir,
    flags: optStrings(R, 'flags', o.flags) ?? [],
    taskName: optString(R, 'taskName', o.taskName),
    description: optString(R, 'description', o.description),
    pkg: pkg ? ['-p', pkg] : [],
    featureFlags: [
      all && '--all-features',
      noDefault && '--no-default-features',
      ...(features.length ? ['--features', features.join(',')] : []),
    ].filter((f): f is string => typeof f === 'string'),
    targetFlags: [...(locked ? ['--locked'] : []), '--target-dir', targetDir],
    /** Sources and manifests of the crate and its members, with `more` (e.g. tests/**) for each. */
    inputs: (more: readonly string[]) => [
      ...crate('', more),
      '{Cargo.lock,rust-toolchain,rust-toolchain.toml}',
      '.cargo/config{,.toml}',
      ...members.flatMap((m) => crate(`${m}/`, more)),
      ...cacheExclusions(dir, RUST_CACHES),
      ...extra,
    ],
  }
}
