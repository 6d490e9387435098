/**
 * Go recipes: `build` (one binary, optionally a cross-compile matrix), `test` and `vet`.
 * Every task keys on the Go sources, `go.mod` and the lock file `go.sum` (which pins every module
 * the build downloads from the proxy), the Go environment that changes results (GOOS, GOARCH,
 * CGO_ENABLED, GOFLAGS, ...) and the `go version` output (the toolchain, also when GOTOOLCHAIN
 * picks one). The build cache (GOCACHE) and module cache (GOMODCACHE) are shared with the user's
 * other Go builds: passed through, not hashed, never outputs, and excluded from the inputs when
 * they live inside the module's folder.
 *
 * @example
 * import { go } from 'typed-tasks/recipes'
 * tasks: {
 *   ...go.build({ name: 'api', main: './cmd/api', targets: ['linux/amd64', 'linux/arm64'] }),
 *   ...go.test({ race: true }),
 *   ...go.vet(),
 * }
 */
import type { TaskDefinition } from '../lib/doors/recipe-kit.js'
import {
  HOST_EXE,
  cacheExclusions,
  checkKeys,
  command,
  inDir,
  optBoolean,
  optPositiveInt,
  optString,
  optStrings,
  optionError,
  relDir,
} from './util.js'

/** Every GOOS/GOARCH pair `go tool dist list` knows (Go 1.19 to 1.23). */
export const GO_TARGETS = [
  'aix/ppc64',
  'android/386',
  'android/amd64',
  'android/arm',
  'android/arm64',
  'darwin/amd64',
  'darwin/arm64',
  'dragonfly/amd64',
  'freebsd/386',
  'freebsd/amd64',
  'freebsd/arm',
  'freebsd/arm64',
  'freebsd/riscv64',
  'illumos/amd64',
  'ios/amd64',
  'ios/arm64',
  'js/wasm',
  'linux/386',
  'linux/amd64',
  'linux/arm',
  'linux/arm64',
  'linux/loong64',
  'linux/mips',
  'linux/mips64',
  'linux/mips64le',
  'linux/mipsle',
  'linux/ppc64',
  'linux/ppc64le',
  'linux/riscv64',
  'linux/s390x',
  'netbsd/386',
  'netbsd/amd64',
  'netbsd/arm',
  'netbsd/arm64',
  'openbsd/386',
  'openbsd/amd64',
  'openbsd/arm',
  'openbsd/arm64',
  'openbsd/mips64',
  'openbsd/ppc64',
  'openbsd/riscv64',
  'plan9/386',
  'plan9/amd64',
  'plan9/arm',
  'solaris/amd64',
  'wasip1/wasm',
  'windows/386',
  'windows/amd64',
  'windows/arm',
  'windows/arm64',
] as const

/** A `GOOS/GOARCH` pair, e.g. `'linux/arm64'`. */
export type GoTarget = (typeof GO_TARGETS)[number]

/** Environment variables that change what `go` produces: hashed into every Go task's fingerprint. */
const GO_ENV = [
  'GOOS',
  'GOARCH',
  'CGO_ENABLED',
  'GOFLAGS',
  'GOEXPERIMENT',
  'GOAMD64',
  'GOARM',
  'GOARM64',
  'GO386',
  'CC',
  'CGO_CFLAGS',
  'CGO_LDFLAGS',
]
/** Passed through, not hashed: caches and module download settings (they do not change results). */
const GO_PASS = ['GOCACHE', 'GOMODCACHE', 'GOPATH', 'GOPROXY', 'GOPRIVATE', 'GONOSUMDB', 'GOTOOLCHAIN']
const TOOLS = ['go version']
/** Variables that may point at the module and build caches (and GOPATH, which holds pkg/mod). */
const GO_CACHES = ['GOMODCACHE', 'GOCACHE', 'GOPATH']

/** Options every Go recipe shares. */
export interface GoCommonOptions {
  /** Folder of the Go module (holding `go.mod`), relative to the project root; the tasks' `cwd`. @default '.' */
  dir?: string
  /** Build tags, passed as `-tags a,b`. @default [] */
  tags?: readonly string[]
  /**
   * How `vendor/` is used. `true`: `-mod=vendor`, vendor/ is an input; `false`: `-mod=mod`, vendor/ is
   * excluded from the inputs; `'auto'`: no `-mod` flag (go uses vendor/ when `vendor/modules.txt`
   * exists), vendor/ is an input when present.
   * @default 'auto'
   */
  vendor?: boolean | 'auto'
  /** Extra arguments placed after the recipe's flags, before the packages, e.g. `['-v']`. @default [] */
  flags?: readonly string[]
  /** Extra input globs (relative to `dir`), added to the defaults, e.g. files read by `//go:embed`. @default [] */
  inputs?: readonly string[]
  /** Overrides the task name. */
  taskName?: string
  /** Overrides the task description shown by `tasks --list`. */
  description?: string
}

const COMMON_KEYS = ['dir', 'tags', 'vendor', 'flags', 'inputs', 'taskName', 'description']

/** Options of {@link build}. */
export interface GoBuildOptions extends GoCommonOptions {
  /** Binary name; the task is `go:<name>`. Required. */
  name: string
  /** The main package to build (last argument of `go build`). @default '.' */
  main?: string
  /**
   * Output path relative to `dir`. Without `targets` the binary is written there (plus `.exe` on a
   * Windows host); with `targets`, each target writes `<out>-<os>-<arch>` (plus `.exe` for windows).
   * @default `bin/<name>`
   */
  out?: string
  /**
   * A cross-compile matrix: one task `go:<name>:<os>/<arch>` per target, run in parallel, with GOOS,
   * GOARCH and CGO_ENABLED set; `go:<name>` becomes an aggregate over them. Omitted: one task that
   * builds for the host (or for the GOOS/GOARCH of the environment, which are hashed).
   * @example ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64']
   */
  targets?: readonly GoTarget[]
  /** Passes `-trimpath` (no local paths in the binary, reproducible builds). @default true */
  trimpath?: boolean
  /** The `-ldflags` value; `''` omits the flag. @default '-s -w' (strip symbols and DWARF) */
  ldflags?: string
  /**
   * Version stamping: each entry becomes `-X <importpath.name>=<value>` in `-ldflags`.
   * @example { 'main.version': '1.4.2', 'main.commit': process.env.GIT_SHA ?? 'dev' }
   */
  stamp?: Readonly<Record<string, string>>
  /** Sets `CGO_ENABLED=1` (true) or `CGO_ENABLED=0` (false). Cross-compiling with cgo needs a C cross compiler (`CC`). @default false */
  cgo?: boolean
}

/**
 * Build a main package into a binary, for the host or for a matrix of GOOS/GOARCH targets.
 *
 * Returns `go:<name>` (or `taskName`): without `targets` the build task itself, with `targets` an
 * aggregate over `go:<name>:<os>/<arch>` tasks. Each build runs
 * `go build [-trimpath] [-mod=...] [-ldflags '<ldflags> -X k=v'] [-tags t] [flags] -o <out> <main>`.
 * Inputs: `**\/*.go` without `_test.go` and `testdata/`, `go.mod`, `go.sum` (+ vendor/, see
 * `vendor`); outputs: the binary.
 *
 * @throws {RecipeError} on a missing `name`, an unknown target (the message lists the known GOOS/GOARCH),
 *   a duplicate target, an unknown option or an option of the wrong type.
 * @example go.build({ name: 'api', main: './cmd/api', stamp: { 'main.version': '1.2.0' }, targets: ['linux/amd64', 'windows/amd64'] })
 */
export function build(options: GoBuildOptions): Record<string, TaskDefinition> {
  const R = 'go.build'
  checkKeys(R, options, [...COMMON_KEYS, 'name', 'main', 'out', 'targets', 'trimpath', 'ldflags', 'stamp', 'cgo'])
  const common = commonOptions(R, options)
  const name = optString(R, 'name', options.name)
  if (name === undefined) throw optionError(R, 'name', 'is required: the binary name, e.g. `api`')
  if (!/^[\w.-]+$/.test(name))
    throw optionError(R, 'name', `must be a file name (letters, digits, '.', '_', '-'), got ${JSON.stringify(name)}`)
  const main = optString(R, 'main', options.main) ?? '.'
  const out = relDir(R, 'out', options.out, `bin/${name}`)
  const targets = checkTargets(R, options.targets)
  const trimpath = optBoolean(R, 'trimpath', options.trimpath) ?? true
  const cgo = optBoolean(R, 'cgo', options.cgo) ?? false
  const ldflags = [optString(R, 'ldflags', options.ldflags, true) ?? '-s -w', ...stampFlags(R, options.stamp)]
    .filter(Boolean)
    .join(' ')
  const taskName = common.taskName ?? `go:${name}`

  const buildTask = (output: string, target?: string): TaskDefinition => {
    const [goos, goarch] = target?.split('/') ?? [] // a target is `os/arch` (checkTargets)
    return inDir(common.dir, {
      description: common.description ?? `go build ${main} for ${target ?? 'the host'} -> ${output}`,
      run: command([
        'go',
        'build',
        trimpath && '-trimpath',
        common.mod,
        ldflags && '-ldflags',
        ldflags,
        ...common.tagFlags,
        ...common.flags,
        '-o',
        output,
        main,
      ]),
      shell: 'portable',
      inputs: [...common.inputs(['!**/*_test.go', '!**/testdata/**'])],
      outputs: [output],
      env: GO_ENV.filter((v) => !(target && (v === 'GOOS' || v === 'GOARCH')) && v !== 'CGO_ENABLED'),
      passEnv: GO_PASS,
      setEnv: target
        ? { GOOS: goos!, GOARCH: goarch!, CGO_ENABLED: cgo ? '1' : '0' }
        : { CGO_ENABLED: cgo ? '1' : '0' },
      toolVersions: TOOLS,
      // A host build's binary depends on the machine; a cross build's does not (unless cgo links host C code).
      platform: !target || cgo,
    })
  }

  if (!targets) return { [taskName]: buildTask(out + HOST_EXE) }
  const tasks: Record<string, TaskDefinition> = {}
  for (const t of targets) {
    const [goos, goarch] = t.split('/')
    tasks[`${taskName}:${t}`] = buildTask(`${out}-${goos}-${goarch}${goos === 'windows' ? '.exe' : ''}`, t)
  }
  tasks[taskName] = {
    description: common.description ?? `build ${name} for ${targets.join(', ')}`,
    deps: targets.map((t) => `${taskName}:${t}`),
  }
  return tasks
}

/** Options of {@link test}. */
export interface GoTestOptions extends GoCommonOptions {
  /** Packages to test. @default ['./...'] */
  packages?: readonly string[]
  /** Passes `-race` (needs cgo: sets `CGO_ENABLED=1`). @default false */
  race?: boolean
  /** Passes `-short`. @default false */
  short?: boolean
  /** Passes `-p <n>`: how many packages are built and tested in parallel. @default go's default (GOMAXPROCS) */
  p?: number
  /** Passes `-run <regexp>`: only tests whose name matches. */
  run?: string
  /** Sets `CGO_ENABLED` to 1 or 0; omitted: inherited from the environment (and hashed). `race` forces 1. */
  cgo?: boolean
}

/**
 * Run `go test [-race] [-short] [-p n] [-run re] [-tags t] [flags] <packages>` as the task
 * `go:test` (or `taskName`). Inputs: every `.go` file, `testdata/`, `go.mod`, `go.sum`; a cache hit
 * replays the test log.
 * @throws {RecipeError} on an unknown option or an option of the wrong type.
 * @example go.test({ race: true, short: true, packages: ['./internal/...'] })
 */
export function test(options: GoTestOptions = {}): Record<string, TaskDefinition> {
  const R = 'go.test'
  checkKeys(R, options, [...COMMON_KEYS, 'packages', 'race', 'short', 'p', 'run', 'cgo'])
  const common = commonOptions(R, options)
  const packages = optStrings(R, 'packages', options.packages) ?? ['./...']
  const race = optBoolean(R, 'race', options.race) ?? false
  const short = optBoolean(R, 'short', options.short) ?? false
  const p = optPositiveInt(R, 'p', options.p)
  const runRe = optString(R, 'run', options.run)
  const cgo = race ? true : optBoolean(R, 'cgo', options.cgo)
  const words = [
    'go',
    'test',
    race && '-race',
    short && '-short',
    p !== undefined && '-p',
    p !== undefined && String(p),
    runRe !== undefined && '-run',
    runRe,
    common.mod,
    ...common.tagFlags,
    ...common.flags,
    ...packages,
  ]
  return {
    [common.taskName ?? 'go:test']: inDir(common.dir, {
      description: common.description ?? `go test ${packages.join(' ')}`,
      run: command(words),
      shell: 'portable',
      inputs: common.inputs(['**/testdata/**']),
      env: cgo === undefined ? GO_ENV : GO_ENV.filter((v) => v !== 'CGO_ENABLED'),
      passEnv: GO_PASS,
      ...(cgo === undefined ? {} : { setEnv: { CGO_ENABLED: cgo ? '1' : '0' } }),
      toolVersions: TOOLS,
      platform: true,
    }),
  }
}

/** Options of {@link vet}. */
export interface GoVetOptions extends GoCommonOptions {
  /** Packages to vet. @default ['./...'] */
  packages?: readonly string[]
}

/**
 * Run `go vet [-tags t] [flags] <packages>` as the task `go:vet` (or `taskName`), cached on the Go
 * sources like {@link test}.
 * @throws {RecipeError} on an unknown option or an option of the wrong type.
 */
export function vet(options: GoVetOptions = {}): Record<string, TaskDefinition> {
  const R = 'go.vet'
  checkKeys(R, options, [...COMMON_KEYS, 'packages'])
  const common = commonOptions(R, options)
  const packages = optStrings(R, 'packages', options.packages) ?? ['./...']
  return {
    [common.taskName ?? 'go:vet']: inDir(common.dir, {
      description: common.description ?? `go vet ${packages.join(' ')}`,
      run: command(['go', 'vet', common.mod, ...common.tagFlags, ...common.flags, ...packages]),
      shell: 'portable',
      inputs: common.inputs([]),
      env: GO_ENV,
      passEnv: GO_PASS,
      toolVersions: TOOLS,
    }),
  }
}

/** Validated common options, plus the pieces of command and inputs they produce. */
function commonOptions(R: string, o: GoCommonOptions) {
  const dir = relDir(R, 'dir', o.dir)
  const tags = optStrings(R, 'tags', o.tags) ?? []
  const flags = optStrings(R, 'flags', o.flags) ?? []
  const extra = optStrings(R, 'inputs', o.inputs) ?? []
  const vendor = o.vendor ?? 'auto'
  if (vendor !== true && vendor !== false && vendor !== 'auto')
    throw optionError(R, 'vendor', `must be true, false or 'auto', got ${JSON.stringify(vendor)}`)
  const vendorInputs = vendor === false ? ['!vendor/**'] : ['vendor/*.txt']
  // A module or build cache inside the module's folder (GOMODCACHE=$PWD/.modcache in CI) holds
  // .go files of every dependency: never inputs (go.sum already pins what they are).
  const caches = cacheExclusions(dir, GO_CACHES)
  return {
    dir,
    flags,
    taskName: optString(R, 'taskName', o.taskName),
    description: optString(R, 'description', o.description),
    tagFlags: tags.length ? ['-tags', tags.join(',')] : [],
    mod: vendor === true ? '-mod=vendor' : vendor === false ? '-mod=mod' : undefined,
    /** Default Go inputs (negations after the positives they refine), then the user's extras. */
    inputs: (specific: readonly string[]) => [
      '**/*.go',
      'go.{mod,sum}',
      ...specific,
      ...vendorInputs,
      ...caches,
      ...extra,
    ],
  }
}

function checkTargets(R: string, value: unknown): GoTarget[] | undefined {
  const targets = optStrings(R, 'targets', value)
  if (!targets) return undefined
  if (targets.length === 0)
    throw optionError(R, 'targets', 'must list at least one GOOS/GOARCH pair (omit it to build for the host)')
  const known = new Set<string>(GO_TARGETS)
  const seen = new Set<string>()
  for (const t of targets) {
    if (seen.has(t)) throw optionError(R, 'targets', `lists \`${t}\` twice`)
    seen.add(t)
    if (known.has(t)) continue
    const [os, arch] = t.split('/')
    const oses = [...new Set(GO_TARGETS.map((k) => k.split('/')[0]))]
    const arches = [...new Set(GO_TARGETS.map((k) => k.split('/')[1]))]
    if (oses.includes(os) && arches.includes(arch)) {
      const forOs = GO_TARGETS.filter((k) => k.startsWith(os + '/')).map((k) => k.split('/')[1])
      throw optionError(
        R,
        'targets',
        `has \`${t}\`, which go cannot build: GOARCH for ${os} is one of ${forOs.join(', ')}`,
      )
    }
    throw optionError(
      R,
      'targets',
      `has unknown target \`${t}\`: expected GOOS/GOARCH with GOOS one of ${oses.join(', ')} and GOARCH one of ${arches.join(', ')}`,
    )
  }
  return targets as GoTarget[]
}

function stampFlags(R: string, stamp: unknown): string[] {
  if (stamp === undefined) return []
  if (typeof stamp !== 'object' || stamp === null || Array.isArray(stamp))
    throw optionError(R, 'stamp', `must be an object of { 'importpath.name': 'value' }, got ${JSON.stringify(stamp)}`)
  return Object.entries(stamp).map(([k, v]) => {
    if (typeof v !== 'string') throw optionError(R, 'stamp', `value of \`${k}\` must be a string, got ${typeof v}`)
    if (!/^[\w./-]+\.\w+$/.test(k))
      throw optionError(R, 'stamp', `key \`${k}\` must be \`importpath.name\`, e.g. \`main.version\``)
    // go splits -ldflags on spaces and honours quotes: a value with spaces gets its own quotes.
    if (!/[\s'"]/.test(v)) return `-X ${k}=${v}`
    if (!v.includes("'")) return `-X '${k}=${v}'`
    if (!v.includes('"')) return `-X "${k}=${v}"`
    throw optionError(R, 'stamp', `value of \`${k}\` cannot hold both ' and " quotes`)
  })
}
