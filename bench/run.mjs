#!/usr/bin/env node
/**
 * Side-by-side benchmark of typed-tasks against make, ninja, turbo, nx and wireit.
 *
 *   node bench/run.mjs [--size small|default|large] [--runs 5] [--only tasks,make,...]
 *                      [--scenarios startup,noop,change,restore,cold,trivial,raw,remote] [--out FILE]
 *                      [--concurrency N] [--reuse] [--no-build] [--base-cli PATH]
 *
 * `--base-cli PATH`: also run another build of typed-tasks (`PATH` = its `dist/bin/tasks.js`, e.g. of
 * a worktree at an older commit) as the tool `tasks-base`, on its own workspace copy, paired with
 * `tasks` in the same rounds: how a change compares with the code before it.
 *
 * Every tool gets its own copy of the same generated workspace (bench/work/<size>/<tool family>/),
 * so no tool ever sees another's outputs or caches. Each scenario runs one warm-up round and then
 * `--runs` measured rounds; in every round each tool runs once, in an order rotated per round.
 * Each run is spawned through `/usr/bin/time -f %M` for its peak RSS (largest process of the tree);
 * wall time is measured here around the spawn. Results: bench/RESULTS.md (or --out) and the raw
 * numbers in bench/work/results-<size>.json.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createServer as createNetServer } from 'node:net'
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  writeFileSync,
  renameSync,
  rmSync,
  statSync,
  readdirSync,
  mkdtempSync,
  utimesSync,
} from 'node:fs'
import { dirname, join, resolve, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import os from 'node:os'
import { generate, generateTrivial, GENERATOR_VERSION } from './gen.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const REPO = resolve(BENCH, '..')
const CLI = join(REPO, 'dist', 'bin', 'tasks.js')
const BIN = join(BENCH, 'node_modules', '.bin')
const WORK = join(BENCH, 'work')

const SIZES = {
  small: { packages: 10, files: 10, trivial: 100 },
  default: { packages: 100, files: 100, trivial: 1000 },
  large: { packages: 200, files: 250, trivial: 1000 },
}
const ALL_SCENARIOS = ['startup', 'noop', 'stale', 'change', 'comment', 'restore', 'cold', 'trivial', 'raw', 'remote']
// Run order: cold first (a fresh workspace's first build is the cold warm-up anyway), then restore
// and no-op (whose warm-ups are then cheap), then one-file change.
const RUN_ORDER = ['startup', 'cold', 'restore', 'noop', 'stale', 'change', 'comment', 'trivial', 'raw', 'remote']
// `remote` last: it empties the local caches of tasks and turbo before every round.

const { values: opt } = parseArgs({
  options: {
    size: { type: 'string', default: 'default' },
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    scenarios: { type: 'string' },
    out: { type: 'string' },
    concurrency: { type: 'string' },
    reuse: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'base-cli': { type: 'string' },
    'report-only': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '120' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (opt.help) {
  process.stdout.write(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('*/')[0]
      .replace(/^#!.*\n\/\*\*\n/, '')
      .replace(/^ \* ?/gm, '') + '\n',
  )
  process.exit(0)
}
if (!SIZES[opt.size]) fail(`unknown --size ${opt.size} (small, default, large)`)
const SIZE = SIZES[opt.size]
let RUNS = Math.max(1, Number(opt.runs))
let N = Number(opt.concurrency ?? os.availableParallelism())
const SCEN = opt.scenarios ? opt.scenarios.split(',') : ALL_SCENARIOS
for (const s of SCEN) if (!ALL_SCENARIOS.includes(s)) fail(`unknown scenario ${s} (${ALL_SCENARIOS.join(', ')})`)
const TIMEOUT = Number(opt.timeout)
const ONLY = opt.only ? opt.only.split(',') : undefined
const OUT = resolve(opt.out ?? join(BENCH, opt.size === 'default' ? 'RESULTS.md' : `RESULTS-${opt.size}.md`))
const SIZE_DIR = join(WORK, `${opt.size}-${SIZE.packages}x${SIZE.files}`)
const LOGS = join(SIZE_DIR, 'logs')

function fail(msg) {
  process.stderr.write(`bench: ${msg}\n`)
  process.exit(2)
}
const say = (msg) => process.stderr.write(`${msg}\n`)
const benchStart = Date.now()

// ---------------------------------------------------------------------------------------------
// Environment: tools, versions, machine.

function sh(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...o })
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim(), status: r.status, error: r.error }
}
const which = (name) => sh('sh', ['-c', `command -v ${name}`]).ok

const missing = [] // { tool, why }
let TIME = '/usr/bin/time'
const REPORT_ONLY = opt['report-only']
if (!REPORT_ONLY && !existsSync(TIME)) {
  if (process.getuid?.() === 0 && which('apt-get')) {
    say('bench: /usr/bin/time missing, installing Debian `time`...')
    sh('apt-get', ['install', '-y', '-qq', 'time'])
  }
  if (!existsSync(TIME)) {
    TIME = undefined
    missing.push({ tool: '/usr/bin/time', why: 'not installed (apt-get install time): peak RSS not measured' })
  }
}

if (
  !REPORT_ONLY &&
  !existsSync(join(BENCH, 'node_modules')) &&
  (!ONLY || ONLY.some((t) => /^(turbo|nx|wireit)/.test(t)))
) {
  say('bench: installing bench dependencies (npm ci --prefix bench)...')
  const r = spawnSync('npm', ['ci', '--prefix', BENCH, '--no-audit', '--no-fund'], { stdio: 'inherit' })
  if (r.status !== 0) say('bench: npm ci failed; turbo, nx and wireit will be reported missing')
}

let tasksOk = existsSync(CLI)
if (!REPORT_ONLY && !tasksOk && !opt['no-build']) {
  say('bench: dist/bin/tasks.js missing, running `npm run build`...')
  spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' })
}
tasksOk = sh(process.execPath, [CLI, '--help']).ok
if (!tasksOk && !REPORT_ONLY)
  missing.push({ tool: 'tasks', why: '`node dist/bin/tasks.js --help` failed (not built yet?): not run yet' })

const versions = {}
function version(name, cmd, args, pick = (s) => s.split('\n')[0]) {
  const r = sh(cmd, args, { cwd: BENCH, env: toolEnv({ NX_DAEMON: 'false' }) })
  if (r.ok) versions[name] = pick(r.out)
  return r.ok
}
version('node', process.execPath, ['--version'])
version('npm', 'npm', ['--version'])
version('git', 'git', ['--version'])
const have = {}
have.tasks = tasksOk && version('tasks (typed-tasks)', process.execPath, [CLI, '--version'])
if (have.tasks) {
  // The engine's last commit (lib/, bin/), and whether the built tree had uncommitted changes.
  const rev = sh('git', ['-C', REPO, 'log', '-1', '--format=%h %cd', '--date=iso', '--', 'lib', 'bin', 'package.json'])
  const dirty = sh('git', ['-C', REPO, 'status', '--porcelain', '--', 'lib', 'bin']).out
  if (rev.ok)
    versions['tasks (typed-tasks)'] += ` (lib/bin at commit ${rev.out}${dirty ? ', with uncommitted changes' : ''})`
}
have.make = version('make', 'make', ['--version'])
have.ninja = version('ninja', 'ninja', ['--version'])
have.turbo = existsSync(join(BIN, 'turbo')) && version('turbo', join(BIN, 'turbo'), ['--version'])
have.nx =
  existsSync(join(BIN, 'nx')) &&
  version('nx', join(BIN, 'nx'), ['--version'], (s) => (s.match(/Local: (v\S+)/) ?? [, s.split('\n')[0]])[1])
try {
  versions.wireit = JSON.parse(readFileSync(join(BENCH, 'node_modules', 'wireit', 'package.json'), 'utf8')).version
  have.wireit = true
} catch {
  have.wireit = false
}
for (const [t, ok] of Object.entries(have)) {
  if (!ok && t !== 'tasks') {
    const hint = {
      make: 'apt-get install make',
      ninja: 'apt-get install ninja-build',
      turbo: 'npm ci --prefix bench',
      nx: 'npm ci --prefix bench',
      wireit: 'npm ci --prefix bench',
    }[t]
    missing.push({ tool: t, why: `not found (${hint})` })
  }
}

function machine() {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [, os.cpus()[0]?.model])[1]
  const osr = existsSync('/etc/os-release')
    ? (readFileSync('/etc/os-release', 'utf8').match(/PRETTY_NAME="(.*)"/) ?? [])[1]
    : undefined
  return {
    cpu,
    nproc: os.availableParallelism(),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${osr ?? os.type()} (kernel ${os.release()})`,
    fs: sh('stat', ['-f', '-c', '%T', BENCH]).out,
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring one run.

/** Environment for the tools: no CI variable (each tool's normal local mode) unless asked. */
function toolEnv(extra = {}) {
  const env = { ...process.env }
  for (const k of ['CI', 'GITHUB_ACTIONS', 'FORCE_COLOR', 'TASKS_MODE', 'NX_DAEMON', 'INIT_CWD']) delete env[k]
  // Under `npm run bench`, npm's own variables (npm_lifecycle_event, npm_config_*, ...) would leak into the tools.
  for (const k of Object.keys(env)) if (/^npm_/i.test(k)) delete env[k]
  Object.assign(
    env,
    {
      NO_COLOR: '1',
      TURBO_TELEMETRY_DISABLED: '1',
      TURBO_NO_UPDATE_NOTIFIER: '1',
      DO_NOT_TRACK: '1',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      NX_SKIP_NX_CACHE: undefined,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    },
    extra,
  )
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  return env
}

let runCounter = 0
/**
 * Run `argv` in `cwd` once; returns { wall (s), rss (MB) }. Throws with the log's tail on failure.
 * @param {{ argv: string[], cwd: string, env: object }} spec
 */
function measure(spec, logName) {
  mkdirSync(LOGS, { recursive: true })
  const log = join(LOGS, `${logName}.log`)
  const rssFile = join(LOGS, `.rss`)
  const fd = openSync(log, 'w')
  // coreutils `timeout` signals its whole process group, so a hung run cannot outlive the bench.
  const limit = spec.timeout ?? TIMEOUT
  const limited = ['timeout', '-k', '5', String(limit), ...spec.argv]
  const argv = TIME ? [TIME, '-f', '%M', '-o', rssFile, ...limited] : limited
  const t0 = process.hrtime.bigint()
  const r = spawnSync(argv[0], argv.slice(1), { cwd: spec.cwd, env: spec.env, stdio: ['ignore', fd, fd] })
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  closeSync(fd)
  runCounter++
  let rss
  if (TIME) {
    const lines = readFileSync(rssFile, 'utf8').trim().split('\n')
    rss = Number(lines[lines.length - 1]) / 1024
  }
  if (r.error || r.status !== 0) {
    const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-15).join('\n')
    const why =
      r.status === 124 || r.status === 137 ? `timed out after ${limit} s` : `exited ${r.status ?? r.error?.message}`
    throw new Error(`\`${spec.argv.join(' ')}\` in ${relative(BENCH, spec.cwd) || '.'} ${why}\n${tail}`)
  }
  return { wall, rss }
}

// ---------------------------------------------------------------------------------------------
// Workspaces: one copy per tool family.

const FAMILIES = [
  'tasks-base',
  'tasks',
  'tasks-mtime',
  'tasks-ws',
  'tasks-stale',
  'make',
  'ninja',
  'turbo',
  'nx',
  'wireit',
]
const wsDir = (family) => join(SIZE_DIR, family)
const TRIVIAL_DIR = join(WORK, `trivial-${SIZE.trivial}`)
let info

function prepareWorkspaces() {
  const wanted = { generator: GENERATOR_VERSION, packages: SIZE.packages, files: SIZE.files, seed: 1 }
  // tasks-ws: the same work in the workspace form (one config per package).
  const layoutOf = (f) => (f === 'tasks-ws' ? 'workspaces' : 'single')
  const matches = (dir, f) => {
    try {
      const i = JSON.parse(readFileSync(join(dir, '.bench.json'), 'utf8'))
      return Object.entries({ ...wanted, layout: layoutOf(f) }).every(([k, v]) => i[k] === v) ? i : undefined
    } catch {
      return undefined
    }
  }
  const needed = new Set([
    'tasks',
    ...tools().map((t) => t.family),
    ...(SCEN.includes('stale') && have.tasks && (!ONLY || ONLY.includes('tasks')) ? ['tasks-stale'] : []),
  ])
  for (const f of FAMILIES.filter((x) => needed.has(x))) {
    const dir = wsDir(f)
    const old = opt.reuse && matches(dir, f)
    if (old) {
      info = old
      sh('git', ['-C', dir, 'checkout', '-q', '--', 'packages'])
      continue
    }
    const t0 = Date.now()
    info = generate({ dir, ...wanted, layout: layoutOf(f) })
    say(
      `bench: generated ${relative(BENCH, dir)} (${SIZE.packages} × ${SIZE.files} files) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    )
  }
  if (SCEN.includes('trivial')) {
    let ok = false
    try {
      ok =
        opt.reuse && JSON.parse(readFileSync(join(TRIVIAL_DIR, '.bench.json'), 'utf8')).generator === GENERATOR_VERSION
    } catch {}
    if (!ok) generateTrivial({ dir: TRIVIAL_DIR, count: SIZE.trivial })
  }
}

const outPath = (ws, name) => join(ws, 'packages', name, 'dist', 'out.txt')
const pkgNames = () => Array.from({ length: SIZE.packages }, (_, i) => `p${String(i).padStart(3, '0')}`)

/** How many dist/out.txt were written at or after `sinceMs`, and how many are missing. */
function outputsWritten(ws, sinceMs) {
  let written = 0,
    missingOut = 0
  for (const n of pkgNames()) {
    try {
      if (statSync(outPath(ws, n)).mtimeMs >= sinceMs) written++
    } catch {
      missingOut++
    }
  }
  return { written, missing: missingOut }
}

function rmDist(ws) {
  for (const n of pkgNames()) rmSync(join(ws, 'packages', n, 'dist'), { recursive: true, force: true })
}

let editCounter = 0
function editChangedFile(ws) {
  const file = join(ws, info.changedFile)
  const base = readFileSync(file, 'utf8').replace(/\n# bench edit \d+\n$/, '\n')
  writeFileSync(file, `${base}# bench edit ${++editCounter}\n`)
}

// ---------------------------------------------------------------------------------------------
// The tools on the package workspace.

const tasksArgv = (...args) => [process.execPath, CLI, ...args]
const BASE_CLI = opt['base-cli'] ? resolve(opt['base-cli']) : undefined
const shq = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/** A typed-tasks variant; the content and mtime modes each have their own workspace copy. */
function tasksTool(id, label, mode, { tty = false, workspaces = false, cli = CLI } = {}) {
  const family = cli !== CLI ? 'tasks-base' : workspaces ? 'tasks-ws' : mode === 'mtime' ? 'tasks-mtime' : 'tasks'
  const tasksArgv = (...args) => [process.execPath, cli, ...args]
  const ws = wsDir(family)
  return {
    id,
    label,
    family,
    available: have.tasks,
    isTasks: true,
    mode,
    spec: () => {
      const args = ['all', '--concurrency', String(N)]
      if (tty) {
        // A pseudo-terminal starts at 0×0: give it a size before the CLI draws its UI.
        const cmd = `stty cols 120 rows 40 2>/dev/null; exec ${tasksArgv(...args)
          .map(shq)
          .join(' ')}`
        // A no-op takes about a second: a hung terminal view is cut off early.
        return {
          argv: ['script', '-q', '-e', '-c', cmd, '/dev/null'],
          cwd: ws,
          env: toolEnv({ TASKS_MODE: mode, TERM: 'xterm-256color' }),
          timeout: Math.min(TIMEOUT, 30),
        }
      }
      return { argv: tasksArgv(...args), cwd: ws, env: toolEnv({ CI: 'true', TASKS_MODE: mode }) }
    },
    clearCache() {
      rmSync(join(ws, '.tasks'), { recursive: true, force: true })
    },
  }
}

function tools() {
  const list = [
    tasksTool('tasks', 'tasks (content)', 'content'),
    tasksTool('tasks-mtime', 'tasks (mtime)', 'mtime'),
    tasksTool('tasks-tty', 'tasks (content, TTY)', 'content', { tty: true }),
    tasksTool('tasks-ws', 'tasks (content, 100 workspace configs)', 'content', { workspaces: true }),
    ...(BASE_CLI && existsSync(BASE_CLI)
      ? [tasksTool('tasks-base', `tasks (content, base build ${BASE_CLI})`, 'content', { cli: BASE_CLI })]
      : []),
    {
      id: 'make',
      label: 'make',
      family: 'make',
      available: have.make,
      anchor: true,
      noCache: true,
      spec: () => ({ argv: ['make', `-j${N}`, 'all'], cwd: wsDir('make'), env: toolEnv() }),
      clearCache() {},
    },
    {
      id: 'ninja',
      label: 'ninja',
      family: 'ninja',
      available: have.ninja,
      anchor: true,
      noCache: true,
      spec: () => ({ argv: ['ninja', `-j${N}`], cwd: wsDir('ninja'), env: toolEnv() }),
      clearCache() {
        for (const f of ['.ninja_log', '.ninja_deps']) rmSync(join(wsDir('ninja'), f), { force: true })
      },
    },
    {
      id: 'turbo',
      label: 'turbo',
      family: 'turbo',
      available: have.turbo,
      anchor: true,
      jsAnchor: true,
      spec: () => ({
        argv: [join(BIN, 'turbo'), 'run', 'build', `--concurrency=${N}`],
        cwd: wsDir('turbo'),
        env: toolEnv(),
      }),
      clearCache() {
        rmSync(join(wsDir('turbo'), '.turbo'), { recursive: true, force: true })
      },
    },
    {
      id: 'nx',
      label: 'nx (daemon off)',
      family: 'nx',
      available: have.nx,
      anchor: true,
      jsAnchor: true,
      spec: () => ({
        argv: [join(BIN, 'nx'), 'run-many', '-t', 'build', `--parallel=${N}`],
        cwd: wsDir('nx'),
        env: toolEnv({ NX_DAEMON: 'false' }),
      }),
      clearCache() {
        rmSync(join(wsDir('nx'), '.nx', 'cache'), { recursive: true, force: true })
      },
    },
    {
      id: 'nx-daemon',
      label: 'nx (daemon on)',
      family: 'nx',
      available: have.nx,
      anchor: true,
      jsAnchor: true,
      spec: () => ({
        argv: [join(BIN, 'nx'), 'run-many', '-t', 'build', `--parallel=${N}`],
        cwd: wsDir('nx'),
        env: toolEnv({ NX_DAEMON: 'true' }),
      }),
      clearCache() {
        rmSync(join(wsDir('nx'), '.nx', 'cache'), { recursive: true, force: true })
      },
    },
    {
      id: 'wireit',
      label: 'wireit (npm run)',
      family: 'wireit',
      available: have.wireit,
      anchor: true,
      spec: () => ({
        argv: ['npm', 'run', '--silent', 'wbuild'],
        cwd: wsDir('wireit'),
        env: toolEnv({ WIREIT_CACHE: 'local', WIREIT_PARALLEL: String(N), WIREIT_LOGGER: 'simple' }),
      }),
      clearCache() {
        for (const n of pkgNames())
          rmSync(join(wsDir('wireit'), 'packages', n, '.wireit'), { recursive: true, force: true })
      },
    },
  ]
  return list.filter((t) => !ONLY || ONLY.some((o) => t.id === o || t.id.startsWith(`${o}-`)))
}

// ---------------------------------------------------------------------------------------------
// Running a scenario: warm-up round, then RUNS rounds, tools rotated per round.

const results = {} // scenario -> id -> { label, walls, rss, notes, error, extra }

/**
 * @param {string} scenario
 * @param {Array<{ id, label, spec(): object, prepare?(): void, before?(): void, after?(): void, check?(t0: number): object }>} entries
 */
function runScenario(scenario, entries, { runs = RUNS, warmup = 1 } = {}) {
  const res = (results[scenario] ??= {})
  const live = entries.filter((e) => {
    res[e.id] = {
      label: e.label,
      walls: [],
      rss: [],
      checks: [],
      ...(e.available === false ? { error: 'not run (tool missing)' } : {}),
    }
    return e.available !== false
  })
  const t0 = Date.now()
  for (let round = 0; round < warmup + runs; round++) {
    const order = live.map((_, i) => live[(i + round) % live.length])
    for (const e of order) {
      const r = res[e.id]
      if (r.error) continue
      try {
        e.prepare?.()
        e.before?.()
        const since = Date.now() - 1
        let m
        try {
          m = measure(e.spec(), `${scenario}-${e.id}`)
        } finally {
          e.after?.()
        }
        const check = e.check?.(since)
        if (round >= warmup) {
          r.walls.push(m.wall)
          if (m.rss !== undefined) r.rss.push(m.rss)
          if (check) r.checks.push(check)
        }
      } catch (err) {
        r.error = String(err.message ?? err)
        say(`bench: ${scenario}/${e.id} failed: ${r.error}`)
      }
    }
  }
  const line = live.map((e) => `${e.id} ${res[e.id].error ? 'FAILED' : fmtS(median(res[e.id].walls))}`).join(', ')
  say(`bench: ${scenario} (${((Date.now() - t0) / 1000).toFixed(0)} s): ${line}`)
}

const median = (xs) => {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const fmtS = (s) => (Number.isFinite(s) ? (s < 1 ? s.toFixed(3) : s.toFixed(2)) : '—')
const fmtX = (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)}×` : '—')
const fmtMB = (x) => (Number.isFinite(x) ? x.toFixed(0) : '—')

function packageEntries(scenario) {
  const list = tools().filter((t) => {
    if (t.id === 'tasks-tty') return scenario === 'noop'
    if (scenario === 'restore') return !t.noCache
    return true
  })
  return list.map((t) => {
    const ws = wsDir(t.family)
    return {
      ...t,
      prepare() {
        if (scenario === 'change' || scenario === 'comment') editChangedFile(ws)
        if (scenario === 'restore') rmDist(ws)
        if (scenario === 'cold') {
          rmDist(ws)
          t.clearCache()
        }
      },
      check: (since) => {
        const c = outputsWritten(ws, since)
        // Early cutoff: the edit never reaches the package's output (`echo pNNN`), so tasks reruns
        // that one package and none of its dependents; a tool without it reruns them all.
        if (scenario === 'comment' && t.isTasks && c.written !== 1)
          throw new Error(`comment-only edit: ${c.written} tasks wrote their output, expected exactly 1 (early cutoff)`)
        return c
      },
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

function scenarioStartup() {
  const ws = wsDir('tasks')
  const e = (id, label, argv, available = true, env = toolEnv()) => ({
    id,
    label,
    available,
    spec: () => ({ argv, cwd: ws, env }),
  })
  const list = [
    e('node', '`node -e 0` (floor)', [process.execPath, '-e', '0']),
    e('tasks', '`tasks --version`', tasksArgv('--version'), have.tasks, toolEnv({ CI: 'true' })),
    e('make', '`make --version`', ['make', '--version'], have.make),
    e('ninja', '`ninja --version`', ['ninja', '--version'], have.ninja),
    e('turbo', '`turbo --version`', [join(BIN, 'turbo'), '--version'], have.turbo),
    e('nx', '`nx --version`', [join(BIN, 'nx'), '--version'], have.nx, toolEnv({ NX_DAEMON: 'false' })),
    e('npm', '`npm --version` (wireit runs through npm)', ['npm', '--version'], have.wireit),
  ]
  const want = (x) =>
    !ONLY || x.id === 'node' || ONLY.some((o) => (x.id === 'npm' ? o === 'wireit' : o.startsWith(x.id)))
  runScenario('startup', list.filter(want))
}

function scenarioTrivial() {
  const ws = TRIVIAL_DIR
  const names = join(ws, 'names.txt')
  const e = (id, label, argv, available = true, env = toolEnv()) => ({
    id,
    label,
    available,
    spec: () => ({ argv, cwd: ws, env }),
  })
  const want = (id) => !ONLY || ONLY.some((o) => id.startsWith(o)) || id.startsWith('spawn')
  const list = [
    e('spawn-seq', `spawn ${SIZE.trivial} × \`sh -c true\`, one at a time (xargs -P1)`, [
      'xargs',
      '-a',
      names,
      '-P',
      '1',
      '-n',
      '1',
      'sh',
      '-c',
      'true',
    ]),
    e('spawn-par', `spawn ${SIZE.trivial} × \`sh -c true\`, ${N} at a time (xargs -P${N})`, [
      'xargs',
      '-a',
      names,
      '-P',
      String(N),
      '-n',
      '1',
      'sh',
      '-c',
      'true',
    ]),
    e('tasks', 'tasks (CI=true)', tasksArgv('all', '--concurrency', String(N)), have.tasks, toolEnv({ CI: 'true' })),
    e('make', 'make', ['make', `-j${N}`, 'all'], have.make),
    e('ninja', 'ninja', ['ninja', `-j${N}`], have.ninja),
  ].filter((x) => want(x.id))
  runScenario('trivial', list)
}

/**
 * A stale git index: every source file of a copy of the workspace touched (stat data stale,
 * contents not, as after `cp -r` or a checkout by another tool), then `tasks all` twice. The first
 * run finds the index stale (its `git status` hashes every file again) and refreshes it; the
 * second run on must cost what a fresh-index no-op costs. Each round: the fresh no-op in the
 * `tasks` copy, then touch + first + second run in the `tasks-stale` copy (the fresh one first in
 * even rounds, last in odd ones).
 */
function scenarioStale() {
  const res = (results.stale ??= {})
  const ws = wsDir('tasks-stale')
  const spec = (cwd) => ({
    argv: tasksArgv('all', '--concurrency', String(N)),
    cwd,
    env: toolEnv({ CI: 'true', TASKS_MODE: 'content' }),
  })
  const rows = {
    fresh: "tasks (content), fresh git index (the no-op scenario's copy)",
    first: 'tasks (content), stale index: first run after touching every source file (finds it stale, refreshes it)',
    second: 'tasks (content), stale index: the next run (the refreshed index)',
  }
  for (const [id, label] of Object.entries(rows))
    res[id] = { label, walls: [], rss: [], checks: [], ...(have.tasks ? {} : { error: 'not run yet' }) }
  if (!have.tasks) return
  const srcFiles = pkgNames().flatMap((n) =>
    readdirSync(join(ws, 'packages', n, 'src')).map((f) => join(ws, 'packages', n, 'src', f)),
  )
  const t0 = Date.now()
  try {
    for (let round = 0; round < 1 + RUNS; round++) {
      const keep = (id, m) => {
        if (round >= 1) {
          res[id].walls.push(m.wall)
          if (m.rss !== undefined) res[id].rss.push(m.rss)
        }
      }
      const fresh = () => keep('fresh', measure(spec(wsDir('tasks')), 'stale-fresh'))
      if (round % 2 === 0) fresh()
      const now = new Date()
      for (const f of srcFiles) utimesSync(f, now, now)
      keep('first', measure(spec(ws), 'stale-first'))
      keep('second', measure(spec(ws), 'stale-second'))
      if (round % 2 === 1) fresh()
    }
  } catch (err) {
    for (const r of Object.values(res)) r.error ??= String(err.message ?? err)
    say(`bench: stale failed: ${err.message ?? err}`)
  }
  say(
    `bench: stale (${((Date.now() - t0) / 1000).toFixed(0)} s): ${Object.keys(rows)
      .map((id) => `${id} ${fmtS(median(res[id].walls))}`)
      .join(', ')}`,
  )
}

function scenarioRaw() {
  const ws = wsDir('tasks')
  const raw = join(BENCH, 'raw.mjs')
  const e = (id, label, argv, available = true, env = toolEnv()) => ({
    id,
    label,
    available,
    spec: () => ({ argv, cwd: ws, env }),
  })
  const memo = join(ws, '.tasks', 'state', 'hashes.json')
  if (have.tasks) {
    // The dry runs need a previous run's state, and the walking ones a full hash memo, which only a
    // run without git writes (with git, the memo holds just the files git does not vouch for).
    // Not measured.
    spawnSync(process.execPath, [CLI, 'all', '--no-git'], { cwd: ws, env: toolEnv({ CI: 'true' }), stdio: 'ignore' })
  }
  const saved = existsSync(memo) && readFileSync(memo)
  const tasksDry = (id, label, cold, git) => ({
    ...e(
      id,
      label,
      tasksArgv('all', '--dry-run', '--concurrency', String(N), ...(git ? [] : ['--no-git'])),
      have.tasks && !!saved,
      toolEnv({ CI: 'true', TASKS_MODE: 'content' }),
    ),
    before() {
      if (cold) rmSync(memo, { force: true })
      else writeFileSync(memo, saved)
    },
  })
  const list = [
    e('node', '`node -e 0` (floor)', [process.execPath, '-e', '0']),
    e('walk', 'walk all files (readdir, node)', [process.execPath, raw, 'walk', ws]),
    e('stat', 'walk + lstat all files (node)', [process.execPath, raw, 'stat', ws]),
    e('hash', 'walk + read + SHA-256 all files (node:crypto)', [process.execPath, raw, 'hash', ws]),
    e('blob', 'walk + read + git blob id (SHA-1) all files (node:crypto)', [process.execPath, raw, 'blob', ws]),
    e('git', '`git ls-files -s`', ['git', 'ls-files', '-s']),
    e('git-status', '`git status --porcelain -uall --ignored=matching`', [
      'git',
      '--no-optional-locks',
      'status',
      '--porcelain',
      '-z',
      '--untracked-files=all',
      '--ignored=matching',
      '--no-renames',
      '--ignore-submodules=all',
    ]),
    tasksDry(
      'tasks-dry-cold',
      '`tasks all --dry-run`, cold hash memo (git vouches for committed files: none read)',
      true,
      true,
    ),
    tasksDry(
      'tasks-dry-cold-walk',
      '`tasks all --dry-run --no-git`, cold hash memo (walks, reads and hashes every file)',
      true,
      false,
    ),
    tasksDry(
      'tasks-dry-warm-walk',
      '`tasks all --dry-run --no-git`, warm hash memo (walks and stats every file)',
      false,
      false,
    ),
  ].filter((x) => !ONLY || !x.id.startsWith('tasks') || ONLY.some((o) => o.startsWith('tasks')))
  try {
    runScenario('raw', list)
  } finally {
    if (saved) writeFileSync(memo, saved)
  }
}

/**
 * Restore from the remote cache: one local turborepo-remote-cache (the repo's devDependency) on a
 * free 127.0.0.1 port, shared by tasks (`turbo+http://`) and turbo (`TURBO_API`). The warm-up
 * round runs everything and uploads; every measured round starts with no `dist/` and an empty
 * local cache, so every output comes from the server.
 */
async function scenarioRemote() {
  const cli = join(REPO, 'node_modules', 'turborepo-remote-cache', 'dist', 'cli.js')
  if (!existsSync(cli)) {
    missing.push({
      tool: 'turborepo-remote-cache',
      why: 'not installed (npm ci in the repository): the remote scenario was not run',
    })
    return
  }
  const port = await new Promise((res, rej) => {
    const srv = createNetServer()
    srv.on('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const p = srv.address().port
      srv.close(() => res(p))
    })
  })
  const store = mkdtempSync(join(os.tmpdir(), 'bench-turbo-cache-'))
  const server = spawn(process.execPath, [cli], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      STORAGE_PROVIDER: 'local',
      STORAGE_PATH: store,
      STORAGE_PATH_USE_TMP_FOLDER: 'false',
      TURBO_TOKEN: 'bench',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: 'ignore',
  })
  try {
    const end = Date.now() + 30_000
    for (;;) {
      try {
        if (
          (await fetch(`http://127.0.0.1:${port}/v8/artifacts/status`, { headers: { authorization: 'Bearer bench' } }))
            .status === 200
        )
          break
      } catch {}
      if (Date.now() > end) throw new Error('turborepo-remote-cache did not start within 30 s')
      await new Promise((r) => setTimeout(r, 200))
    }
    versions['turborepo-remote-cache'] = JSON.parse(
      readFileSync(join(REPO, 'node_modules', 'turborepo-remote-cache', 'package.json'), 'utf8'),
    ).version
    const remoteEnv = {
      tasks: { TASKS_REMOTE_CACHE: `turbo+http://127.0.0.1:${port}?team=bench`, TASKS_REMOTE_CACHE_TOKEN: 'bench' },
      turbo: { TURBO_API: `http://127.0.0.1:${port}`, TURBO_TOKEN: 'bench', TURBO_TEAM: 'bench' },
    }
    const entries = tools()
      .filter((t) => t.id === 'tasks' || t.id === 'turbo')
      .map((t) => {
        const ws = wsDir(t.family)
        return {
          ...t,
          spec: () => {
            const sp = t.spec()
            return { ...sp, env: { ...sp.env, ...remoteEnv[t.id] } }
          },
          prepare() {
            rmDist(ws)
            t.clearCache()
          },
          check: (since) => outputsWritten(ws, since),
        }
      })
    runScenario('remote', entries)
  } finally {
    server.kill('SIGTERM')
    rmSync(store, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

const SCENARIO_TITLES = {
  startup: '1. Start-up',
  noop: '2. No-op (everything up to date, nothing changed)',
  stale: '2b. No-op with a stale git index (every source file touched: stat data stale, contents not)',
  change: '3. One source file modified',
  comment:
    '3b. Comment-only edit (the edited package reruns, its output bytes stay the same: with early cutoff no dependent reruns; tasks is checked to rerun exactly 1)',
  restore: '4. Restore (all `dist/` deleted, outputs restored from the local cache)',
  cold: '5. Cold (caches and outputs cleared, everything runs)',
  trivial: `6. ${SIZE.trivial} trivial tasks (\`true\`, no inputs): scheduler overhead`,
  raw: '7. Raw limits on the same files',
  remote:
    '8. Restore from the remote cache (all `dist/` and the local cache deleted; every output from a local turborepo-remote-cache, tasks and turbo on the same server)',
}

const med = (scenario, id) => median(results[scenario]?.[id]?.walls ?? [])
const fastest = (scenario, pred) => {
  let best
  for (const t of tools()) {
    if (!pred(t)) continue
    const m = med(scenario, t.id)
    if (Number.isFinite(m) && (!best || m < best.m)) best = { id: t.id, label: t.label, m }
  }
  return best
}

function scenarioTable(scenario) {
  const res = results[scenario]
  if (!res) return ''
  const anchorIds = new Set(
    tools()
      .filter((t) => t.anchor)
      .map((t) => t.id),
  )
  const isPkg = ['noop', 'change', 'comment', 'restore', 'cold', 'remote'].includes(scenario)
  const best = isPkg ? fastest(scenario, (t) => t.anchor) : undefined
  const tasksMed = isPkg ? med(scenario, 'tasks') : NaN
  const rows = []
  const head = ['tool', 'median s', 'min–max s', 'peak RSS MB']
  if (isPkg) head.push('÷ fastest other tool', 'tasks (content) ÷ this', 'outputs written', 'missing outputs')
  rows.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`)
  for (const [id, r] of Object.entries(res)) {
    if (r.error) {
      rows.push(
        `| ${r.label} | ${r.error.startsWith('not run') ? r.error : 'failed (see Failures)'} |${' |'.repeat(head.length - 2)}`,
      )
      continue
    }
    const m = median(r.walls)
    const cells = [
      r.label,
      fmtS(m),
      `${fmtS(Math.min(...r.walls))}–${fmtS(Math.max(...r.walls))}`,
      fmtMB(median(r.rss)),
    ]
    if (isPkg) {
      cells.push(
        best ? fmtX(m / best.m) : '—',
        id.startsWith('tasks') || !Number.isFinite(tasksMed) ? '' : fmtX(tasksMed / m),
      )
      const w = r.checks.map((c) => c.written),
        miss = r.checks.map((c) => c.missing)
      cells.push(w.length ? String(median(w)) : '—', miss.length ? String(Math.max(...miss)) : '—')
    }
    rows.push(`| ${cells.join(' | ')} |`)
  }
  let text = `${rows.join('\n')}\n`
  if (isPkg && best) text += `\nFastest other tool: ${best.label} (${fmtS(best.m)} s).\n`
  if (scenario === 'trivial') {
    const base = med('trivial', 'spawn-par'),
      seq = med('trivial', 'spawn-seq')
    const lines = []
    for (const id of ['tasks', 'make', 'ninja']) {
      const m = med('trivial', id)
      if (!Number.isFinite(m)) continue
      lines.push(
        `| ${res[id].label} | ${(((m - base) / SIZE.trivial) * 1000).toFixed(2)} | ${(((m - seq) / SIZE.trivial) * 1000).toFixed(2)} |`,
      )
    }
    if (lines.length) {
      text += `\nOverhead per task, ms = (tool − spawn baseline) / ${SIZE.trivial}:\n\n| tool | vs ${N}-parallel spawns | vs sequential spawns |\n|---|---:|---:|\n${lines.join('\n')}\n`
    }
  }
  if (scenario === 'raw') {
    const hash = med('raw', 'blob'),
      stat = med('raw', 'stat'),
      cold = med('raw', 'tasks-dry-cold-walk'),
      warm = med('raw', 'tasks-dry-warm-walk')
    if ([hash, stat, cold, warm].every(Number.isFinite)) {
      text +=
        `\nThe reading and hashing alone, without git: bare loop (walk + read + git blob id) − (walk + lstat) = ${fmtS(hash - stat)} s; ` +
        `\`tasks --no-git\` cold memo − warm memo = ${fmtS(cold - warm)} s; ratio ${(((hash - stat) / (cold - warm)) * 100).toFixed(0)}% ` +
        `(differences of medians of noisy runs: indicative only). What the dry run spends beyond the bare loop is the rest of a run: ` +
        `start-up, config, globbing, per-task state.\n`
    }
  }
  void anchorIds
  return text
}

function targets() {
  const rows = []
  const jsBest = (s) => fastest(s, (t) => t.jsAnchor)
  const add = (target, id, measured, limit, detail) => {
    const ok = Number.isFinite(measured) ? measured <= limit : undefined
    rows.push(
      `| ${target} | ${id} | ${detail} | ${ok === undefined ? 'not measured' : ok ? '**met**' : '**missed**'} |`,
    )
  }
  for (const id of ['tasks', 'tasks-mtime']) {
    const label = id === 'tasks' ? 'content' : 'mtime'
    for (const [s, limit, name] of [
      ['noop', 0.5, 'no-op'],
      ['change', 0.5, 'one file changed'],
      ['restore', 0.7, 'restore'],
    ]) {
      const b = jsBest(s),
        m = med(s, id)
      add(
        `${name}: ≤ ${limit}× the faster of turbo and nx`,
        label,
        b ? m / b.m : NaN,
        limit,
        b ? `${fmtS(m)} s vs ${b.label} ${fmtS(b.m)} s = ${fmtX(m / b.m)}` : '—',
      )
    }
    if (id === 'tasks') {
      const t = med('remote', 'tasks'),
        tb = med('remote', 'turbo')
      add(
        'restore from the remote cache: ≤ 0.7× turbo on the same server',
        label,
        t / tb,
        0.7,
        `${fmtS(t)} s vs turbo ${fmtS(tb)} s = ${fmtX(t / tb)}`,
      )
    }
    const nj = med('noop', 'ninja'),
      m = med('noop', id)
    add('no-op: ≤ 3× ninja', label, m / nj, 3, `${fmtS(m)} s vs ninja ${fmtS(nj)} s = ${fmtX(m / nj)}`)
  }
  // Issue 8's targets: no-op and restore against turbo, cold and one change against make.
  for (const [s, anchor, limit, name] of [
    ['noop', 'turbo', 0.5, 'no-op'],
    ['restore', 'turbo', 0.7, 'restore'],
    ['cold', 'make', 2, 'cold'],
    ['change', 'make', 3, 'one file changed'],
  ]) {
    const m = med(s, 'tasks'),
      a = med(s, anchor)
    add(
      `${name}: ≤ ${limit}× ${anchor} (issue 8)`,
      'content',
      m / a,
      limit,
      `${fmtS(m)} s vs ${anchor} ${fmtS(a)} s = ${fmtX(m / a)}`,
    )
  }
  {
    const second = med('stale', 'second'),
      fresh = med('stale', 'fresh'),
      first = med('stale', 'first')
    add(
      'stale git index: no-op from the second run ≤ 1.2× the fresh-index no-op (issue 8)',
      'content',
      second / fresh,
      1.2,
      `${fmtS(second)} s vs ${fmtS(fresh)} s = ${fmtX(second / fresh)} (first run after the touch: ${fmtS(first)} s)`,
    )
  }
  {
    const t = med('startup', 'tasks'),
      n = med('startup', 'node')
    add(
      'start-up: `--version` ≤ 1.5× `node -e 0`',
      'tasks',
      t / n,
      1.5,
      `${fmtS(t)} s vs ${fmtS(n)} s = ${fmtX(t / n)}`,
    )
  }
  {
    const t = med('trivial', 'tasks'),
      b = med('trivial', 'spawn-par')
    const per = ((t - b) / SIZE.trivial) * 1000
    add(
      `scheduling: ≤ 2 ms per trivial task beyond the spawn (${SIZE.trivial} tasks, ${N} at a time)`,
      'tasks',
      per,
      2,
      `(${fmtS(t)} − ${fmtS(b)} s) / ${SIZE.trivial} = ${Number.isFinite(per) ? per.toFixed(2) : '—'} ms`,
    )
  }
  {
    const h = med('raw', 'hash')
    for (const [id, how] of [
      ['tasks-dry-cold', 'in git (default): committed files are digested from the index, none is read'],
      ['tasks-dry-cold-walk', '`--no-git`: every file walked, read and hashed'],
    ]) {
      const t = med('raw', id)
      const eff = h / t
      rows.push(
        `| content hashing, cold memo: ≥ 80% of a bare node:crypto read+hash loop | content, ${how} | bare loop ${fmtS(h)} s / \`tasks --dry-run\` cold memo ${fmtS(t)} s = ${Number.isFinite(eff) ? (eff * 100).toFixed(0) + '%' : '—'} (whole runs: the dry run also starts Node, loads the config and checks ${SIZE.packages} tasks) | ${Number.isFinite(eff) ? (eff >= 0.8 ? '**met**' : '**missed**') : 'not measured'} |`,
      )
    }
  }
  return `| target | tasks mode | measured (medians) | result |\n|---|---|---|---|\n${rows.join('\n')}\n`
}

function summaryTable() {
  const anchors = tools().filter((t) => t.anchor)
  const head = ['scenario', ...anchors.map((a) => a.label)]
  const rows = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`]
  for (const s of ['noop', 'change', 'restore', 'cold', 'remote']) {
    if (!results[s]) continue
    for (const id of ['tasks', 'tasks-mtime']) {
      const t = med(s, id)
      if (!Number.isFinite(t)) continue
      rows.push(
        `| ${s} (${id === 'tasks' ? 'content' : 'mtime'}: ${fmtS(t)} s) | ${anchors.map((a) => (Number.isFinite(med(s, a.id)) ? fmtX(t / med(s, a.id)) : '—')).join(' | ')} |`,
      )
    }
  }
  return rows.join('\n') + '\n'
}

function writeReport({ date, elapsedS, loadStart, loadEnd, runs, machine: m }) {
  const lines = []
  lines.push(`# Benchmark results (${opt.size} size: ${SIZE.packages} packages × ${SIZE.files} files)`, '')
  lines.push(
    `Generated by \`node bench/run.mjs --size ${opt.size} --runs ${RUNS}\` on ${date.slice(0, 16).replace('T', ' ')} UTC; the whole run took ${(elapsedS / 60).toFixed(1)} min (${runs} tool runs, workspace generation included). How to read this file: bench/README.md.`,
    '',
  )
  lines.push(
    '**The machine (2 cores) was shared with other developers, who were compiling and testing at the same time: absolute times are noisy.** ' +
      `Load average at start ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadEnd.map((x) => x.toFixed(2)).join(' ')}. ` +
      'Every tool ran in alternation with the others (one warm-up round, then each round runs each tool once), so the noise spreads over all of them; compare ratios within this file, not with other machines.',
    '',
  )
  lines.push('## Machine and versions', '')
  lines.push(
    `- CPU: ${m.cpu}, ${m.nproc} logical CPUs (\`os.availableParallelism()\`); memory ${m.memory}; ${m.os}; bench filesystem ${m.fs}`,
  )
  for (const [k, v] of Object.entries(versions)) lines.push(`- ${k}: ${v}`)
  lines.push(
    `- concurrency given to every tool: ${N} (make -j, ninja -j, turbo --concurrency, nx --parallel, WIREIT_PARALLEL, tasks --concurrency)`,
  )
  lines.push(
    `- workspace: ${SIZE.packages} packages × ${SIZE.files} files (1–2 KB), ${info?.edges ?? '?'} dependency edges (seed 1); the edited file is \`${info?.changedFile}\`, whose change reruns ${info?.rerunOnChange?.length ?? '?'} packages (${(info?.rerunOnChange ?? []).join(', ')})`,
  )
  lines.push(
    `- runs: 1 warm-up round + ${RUNS} measured rounds per scenario; times are wall seconds (median, min–max); peak RSS is the median of the largest resident set of any single process of the run (\`/usr/bin/time -f %M\`; daemons not included)`,
  )
  if (missing.length) {
    lines.push('', '**Missing tools** (their rows say "not run"):', '')
    for (const x of missing) lines.push(`- ${x.tool}: ${x.why}`)
  }
  lines.push('', `## Targets (the issue's, set for the default size; medians of this run)`, '', targets())
  lines.push('## tasks ÷ each tool (below 1× = tasks is faster)', '', summaryTable())
  for (const s of ALL_SCENARIOS) {
    if (!results[s]) continue
    lines.push(`## ${SCENARIO_TITLES[s]}`, '', scenarioTable(s))
  }
  // eslint-disable-next-line no-control-regex
  const clean = (t) =>
    t
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
      .split(/\r?\n|\r/)
      .map((l) => l.trimEnd())
      .filter(Boolean)
  const errors = Object.entries(results).flatMap(([s, r]) =>
    Object.entries(r)
      .filter(([, x]) => x.error && !x.error.startsWith('not run'))
      .map(([id, x]) => {
        const [first, ...rest] = clean(x.error)
        const hint =
          id === 'tasks-tty' && /timed out/.test(first)
            ? ` (the same no-op takes ${fmtS(med('noop', 'tasks'))} s with plain output: the terminal view never exited, a hang rather than a slow run)`
            : ''
        return `- ${s}/${id}: ${first}${hint}\n\n  \`\`\`\n${rest
          .slice(-6)
          .map((l) => `  ${l}`)
          .join('\n')}\n  \`\`\``
      }),
  )
  if (errors.length) lines.push('## Failures', '', ...errors, '')
  // The hand-kept record of what each optimisation bought (before/after medians, profiles) goes
  // with every generated report.
  const history = join(BENCH, 'HISTORY.md')
  if (existsSync(history)) lines.push('', readFileSync(history, 'utf8').replace(/^# /, '## '))
  writeFileSync(OUT, lines.join('\n').replace(/\n{3,}/g, '\n\n'))
  say(`bench: wrote ${relative(process.cwd(), OUT)}`)
}

// ---------------------------------------------------------------------------------------------
// Main.

const JSON_OUT = join(WORK, `results-${opt.size}.json`)
if (REPORT_ONLY) {
  // Rewrite the report from the numbers of the last run (e.g. after changing the report's layout).
  const saved = JSON.parse(readFileSync(JSON_OUT, 'utf8'))
  Object.assign(results, saved.results)
  Object.assign(versions, saved.versions)
  info = saved.info
  RUNS = saved.RUNS
  N = saved.N
  missing.splice(0, missing.length, ...(saved.missing ?? []))
  writeReport({ ...saved.meta, machine: saved.machine })
  process.exit(0)
}
const loadStart = os.loadavg()
for (const x of missing) say(`bench: ${x.tool}: ${x.why}`)
prepareWorkspaces()
say(`bench: size ${opt.size}, ${RUNS} runs, concurrency ${N}, scenarios ${SCEN.join(',')}`)
try {
  for (const s of RUN_ORDER.filter((x) => SCEN.includes(x))) {
    if (s === 'startup') scenarioStartup()
    else if (s === 'trivial') scenarioTrivial()
    else if (s === 'raw') scenarioRaw()
    else if (s === 'remote') await scenarioRemote()
    else if (s === 'stale') scenarioStale()
    else runScenario(s, packageEntries(s))
  }
} finally {
  if (have.nx && tools().some((t) => t.id === 'nx-daemon'))
    sh(join(BIN, 'nx'), ['daemon', '--stop'], { cwd: wsDir('nx'), env: toolEnv({ NX_DAEMON: 'true' }) })
  const elapsed = (Date.now() - benchStart) / 1000
  const meta = { date: new Date().toISOString(), elapsedS: elapsed, loadStart, loadEnd: os.loadavg(), runs: runCounter }
  writeFileSync(
    JSON_OUT,
    JSON.stringify(
      { size: opt.size, SIZE, RUNS, N, versions, missing, machine: machine(), meta, info, results },
      null,
      2,
    ),
  )
  writeReport({ ...meta, machine: machine() })
  say(`bench: done in ${(elapsed / 60).toFixed(1)} min`)
}
