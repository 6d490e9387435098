/**
 * The runner: walk the task graph, decide for each task whether it is up to date, a cache hit or
 * must run, run what must run (each task as soon as its dependencies succeeded, up to
 * `concurrency` at once, with p-queue), store results, and emit typed events. Never prints, never
 * calls `process.exit`.
 */
import { availableParallelism } from 'node:os'
import { delimiter, join } from 'node:path'
import { buildGraph, type TaskGraph } from '../graph/graph.js'
import { createChecker, type FileChecker } from '../fingerprint/checker.js'
import { HashMemo } from '../fingerprint/memo.js'
import { computeFingerprint, describeChanges, diffRecords, withInputs, type Change, type Fingerprint } from '../fingerprint/fingerprint.js'
import { expandGlobs } from '../fingerprint/glob.js'
import { takeGitSnapshot } from '../fingerprint/git.js'
import { GitInputIndex } from '../fingerprint/inputs.js'
import { LocalCache } from '../cache/local.js'
import { StateStore, changedOutput, stampOutputs, type TaskState } from '../cache/state.js'
import { TaskCommandError } from '../errors.js'
import { sha256 } from '../util/hash.js'
import { checkCommands, execCommand } from './exec.js'
import { shellQuote } from '../util/quote.js'
import { createContext } from './context.js'
import type { LoadedConfig, ResolvedTask, RunEvent, RunResult, RunSummary, TaskResult } from '../types.js'

/** Options of {@link run}. */
export interface RunOptions {
  /** A config from `loadConfig`. */
  config: LoadedConfig
  /** Names of the tasks to run; their dependencies run first. */
  tasks: readonly string[]
  /** Arguments after `--`: appended to every string command of the requested tasks and part of their fingerprints. */
  args?: readonly string[]
  /** Run every task, ignoring "up to date" and cache hits (results are still stored). @default false */
  force?: boolean
  /** Read and write the cache (`.tasks/cas`, `.tasks/ac`). False: up-to-date checks still apply, nothing is restored or stored. @default true */
  cache?: boolean
  /** Decide and report what would happen without running anything or writing any state. @default false */
  dryRun?: boolean
  /** After a failure, keep starting tasks that do not depend on the failed one. @default false */
  continue?: boolean
  /** Tasks running at once. @default config.concurrency ?? os.availableParallelism() */
  concurrency?: number
  /** Abort the run: running process trees are killed, nothing partial is stored. */
  signal?: AbortSignal
  /** Receives every {@link RunEvent}, in order. Exceptions it throws are ignored. */
  onEvent?: (event: RunEvent) => void
  /** Environment the tasks see and declared `env` values are read from. @default process.env */
  env?: NodeJS.ProcessEnv
  /**
   * In a git work tree, list and digest input files from one git snapshot taken at the start of the
   * run (`git ls-files` + `git status`) instead of walking and stat-ing the tree; tasks downstream
   * of a task that ran in this run walk again. False: always walk. @default true
   */
  git?: boolean
}

/** Why a task would run, or that it is up to date: what `--explain` reports. */
export interface Explanation {
  task: string
  /** Whether the task is cached at all (it declares `inputs`). */
  cacheable: boolean
  fingerprint?: string
  previousFingerprint?: string
  /** True when the fingerprint equals the last successful run's and its outputs are on disk unchanged. */
  upToDate: boolean
  /** One-line summary, e.g. `input changed: src/a.c (+1 more)`. */
  reason: string
  /** Every difference to the last successful run, inputs file by file. */
  changes: Change[]
  /** An output recorded by the last run that is now missing or changed. */
  changedOutput?: string
  /** Explanations of the dependencies whose fingerprints changed (recursively). */
  deps: Explanation[]
}

/**
 * Run `options.tasks` and their dependencies.
 * @returns a {@link RunResult}; `ok` is false when a task failed or the run was interrupted.
 * @throws {TasksError} `unknown-task` or `cycle` before anything runs.
 */
export async function run(options: RunOptions): Promise<RunResult> {
  const graph = buildGraph(options.config, options.tasks)
  const engine = new Engine(options, graph)
  return engine.run()
}

/**
 * Explain why `task` would run: its fingerprint now versus the last successful run, file by file.
 * Reads only; writes nothing.
 * @throws {TasksError} `unknown-task` or `cycle`.
 */
export async function explain(options: Omit<RunOptions, 'tasks'> & { task: string }): Promise<Explanation> {
  const graph = buildGraph(options.config, [options.task])
  const engine = new Engine({ ...options, tasks: [options.task], dryRun: true }, graph)
  await engine.prepare()
  for (const name of graph.order.slice(0, -1)) engine.fingerprintOf(graph.tasks.get(name)!)
  return engine.explainTask(graph.tasks.get(options.task)!)
}

class Engine {
  private readonly root: string
  private readonly dir: string
  private readonly memo: HashMemo
  private readonly state: StateStore
  private readonly cache: LocalCache
  private readonly checkers = new Map<string, FileChecker>()
  private readonly fps = new Map<string, string>()
  private readonly computed = new Map<string, { hash: string; fp?: Fingerprint }>()
  /** Dry run only: root-relative path -> git blob id of the outputs that cache hits would restore. */
  private readonly wouldRestore = new Map<string, string>()
  private readonly results = new Map<string, TaskResult>()
  /** The git snapshot's file index, when the root is in a git work tree (see {@link prepare}). */
  private index: GitInputIndex | undefined
  /** Tasks that ran a command (or restored something the index could not record) in this run. */
  private readonly executed = new Set<string>()
  private readonly taintedMemo = new Map<string, boolean>()
  private readonly env: NodeJS.ProcessEnv
  private readonly signal: AbortSignal
  private readonly concurrency: number
  private stopped = false

  constructor(private readonly o: RunOptions, private readonly graph: TaskGraph) {
    this.root = o.config.root
    this.dir = join(this.root, '.tasks')
    this.memo = new HashMemo(join(this.dir, 'state', 'hashes.json'))
    this.state = new StateStore(join(this.dir, 'state'))
    this.cache = new LocalCache(this.dir)
    // One copy for the run: reading process.env goes through an interceptor on every access.
    this.env = o.env ?? { ...process.env }
    this.signal = o.signal ?? new AbortController().signal
    this.concurrency = Math.max(1, o.concurrency ?? o.config.concurrency ?? availableParallelism())
  }

  private emit(e: RunEvent): void {
    try { this.o.onEvent?.(e) } catch {}
  }

  private argsFor(name: string): readonly string[] {
    return this.o.tasks.includes(name) ? this.o.args ?? [] : []
  }

  /**
   * Take the git snapshot that input listing uses for this run (skipped when no task in the graph
   * is cached, when `git: false`, or outside a git work tree).
   */
  async prepare(): Promise<void> {
    if (this.o.git === false) return
    const cached = [...this.graph.tasks.values()].filter((t) => t.inputs?.length && t.fingerprint !== false)
    if (cached.length === 0) return
    const nodeModules = cached.some((t) => t.inputs!.some((p) => p.includes('node_modules')))
    const snapshot = await takeGitSnapshot(this.root, { skipNodeModules: !nodeModules, env: this.o.env })
    if (snapshot) this.index = new GitInputIndex(this.root, snapshot)
  }

  /**
   * Whether a task this one depends on (directly or not) ran a command in this run: it may have
   * written files anywhere, so the snapshot no longer speaks for this task's inputs. Called once
   * the task's dependencies have finished, so the answer is final.
   */
  private tainted(task: ResolvedTask): boolean {
    let t = this.taintedMemo.get(task.name)
    if (t === undefined) {
      t = task.deps.some((d) => this.executed.has(d) || this.tainted(this.graph.tasks.get(d)!))
      this.taintedMemo.set(task.name, t)
    }
    return t
  }

  private checker(mode: 'content' | 'mtime'): FileChecker {
    let c = this.checkers.get(mode)
    if (!c) this.checkers.set(mode, (c = createChecker(mode, this.memo)))
    return c
  }

  /** The task's fingerprint (computed once per run), and the record behind it for cacheable tasks. */
  fingerprintOf(task: ResolvedTask): { hash: string; fp?: Fingerprint } {
    const known = this.computed.get(task.name)
    if (known) return known
    const c = this.computeFingerprintOf(task)
    this.computed.set(task.name, c)
    return c
  }

  private computeFingerprintOf(task: ResolvedTask): { hash: string; fp?: Fingerprint } {
    if (task.inputs === undefined || task.fingerprint === false) {
      const hash = sha256(`uncached\0${task.name}\0${task.command}\0${[...task.deps].map((d) => this.fps.get(d)).join(',')}`)
      this.fps.set(task.name, hash)
      return { hash }
    }
    let fp = computeFingerprint(task, {
      root: this.root,
      args: this.argsFor(task.name),
      env: Object.keys(task.setEnv).length ? { ...this.env, ...task.setEnv } : this.env,
      depFingerprints: this.fps,
      checker: this.checker(task.fingerprint),
      ...(this.index && !this.tainted(task) ? { list: (cwd: string, patterns: readonly string[]) => this.index!.list(cwd, patterns) } : { hints: this.index?.asOfHints() }),
    })
    if (this.wouldRestore.size && task.fingerprint === 'content') {
      // Dry run: files a dependency would restore are not on disk yet; count them as restored.
      const prev = this.state.record(task.name)?.inputs ?? {}
      const overrides = new Map([...this.wouldRestore].filter(([path]) => path in prev))
      if (overrides.size) fp = withInputs(fp, overrides)
    }
    this.fps.set(task.name, fp.hash)
    return { hash: fp.hash, fp }
  }

  explainTask(task: ResolvedTask): Explanation {
    const { hash, fp } = this.fingerprintOf(task)
    if (!fp) return { task: task.name, cacheable: false, upToDate: false, reason: 'no `inputs` declared: the task always runs', changes: [], deps: [] }
    const prev = this.state.get(task.name)
    if (!prev) return { task: task.name, cacheable: true, fingerprint: hash, upToDate: false, reason: 'no previous successful run', changes: [], deps: [] }
    const prevRecord = this.state.record(task.name, prev.fingerprint)
    const changes = prevRecord ? diffRecords(prevRecord, fp.record) : []
    const deps = changes.filter((c) => c.kind === 'dep' && this.graph.tasks.has(c.what)).map((c) => this.explainTask(this.graph.tasks.get(c.what)!))
    const out = prev.fingerprint === hash ? changedOutput(this.root, prev.outputs) : undefined
    const upToDate = prev.fingerprint === hash && !out
    return {
      task: task.name, cacheable: true, fingerprint: hash, previousFingerprint: prev.fingerprint, upToDate, changes, changedOutput: out, deps,
      reason: upToDate ? 'up to date' : out ? `output missing or changed: ${out}` : describeChanges(changes),
    }
  }

  async run(): Promise<RunResult> {
    const start = Date.now()
    this.emit({ type: 'run:start', time: start, tasks: this.graph.order, concurrency: this.concurrency, dryRun: !!this.o.dryRun })
    const [{ default: PQueue }] = await Promise.all([import('p-queue'), this.prepare()])
    const queue = new PQueue({ concurrency: this.concurrency })
    const waiting = new Map(this.graph.order.map((n) => [n, this.graph.tasks.get(n)!.deps.length]))
    await new Promise<void>((resolveAll) => {
      let left = this.graph.order.length
      if (left === 0) return resolveAll()
      const finish = (name: string, result: TaskResult) => {
        this.results.set(name, result)
        if (--left === 0) resolveAll()
        for (const d of this.graph.dependents.get(name)!) {
          const n = waiting.get(d)! - 1
          waiting.set(d, n)
          if (n === 0) schedule(d)
        }
      }
      const schedule = (name: string) => {
        const blocked = this.graph.tasks.get(name)!.deps.find((d) => {
          const s = this.results.get(d)?.status
          return s === 'failed' || s === 'skipped'
        })
        if (blocked) {
          const why = this.results.get(blocked)!.status === 'failed' ? `dependency \`${blocked}\` failed` : `dependency \`${blocked}\` was skipped`
          return finish(name, this.end(name, 'skipped', Date.now(), { reason: why }))
        }
        queue.add(async () => {
          let result: TaskResult
          try {
            result = await this.process(name)
          } catch (err) {
            result = this.end(name, 'failed', Date.now(), { reason: 'internal error', error: (err as Error)?.stack ?? String(err) })
          }
          if (result.status === 'failed' && !this.o.continue) this.stopped = true
          finish(name, result)
        })
      }
      for (const n of this.graph.order) if (waiting.get(n) === 0) schedule(n)
    })
    if (!this.o.dryRun) {
      const index = this.index
      if (index) this.memo.prune((path) => index.vouches(path))
      try { this.memo.save() } catch {}
    }
    const tasks = this.graph.order.map((n) => this.results.get(n)!)
    const count = (s: string) => tasks.filter((t) => t.status === s).length
    const summary: RunSummary = {
      tasks: tasks.length, ran: count('ran'), cacheHits: count('cache-hit'), upToDate: count('up-to-date'), failed: count('failed'), skipped: count('skipped'),
      wallMs: Date.now() - start, savedMs: tasks.reduce((a, t) => a + t.savedMs, 0), interrupted: this.signal.aborted, dryRun: !!this.o.dryRun,
    }
    this.emit({ type: 'run:end', time: Date.now(), summary })
    return { ok: summary.failed === 0 && summary.skipped === 0 && !summary.interrupted, interrupted: summary.interrupted, tasks, summary }
  }

  private end(name: string, status: TaskResult['status'], started: number, extra: Partial<TaskResult> & { reason: string; log?: string }): TaskResult {
    const { log, ...rest } = extra
    const result: TaskResult = { name, status, durationMs: status === 'skipped' ? 0 : Date.now() - started, savedMs: 0, ...rest }
    this.emit({
      type: 'task:end', time: Date.now(), task: name, status, durationMs: result.durationMs, savedMs: result.savedMs, reason: result.reason,
      log, exitCode: result.exitCode, error: result.error,
    })
    return result
  }

  private warn(task: string, message: string): void {
    this.emit({ type: 'warning', time: Date.now(), task, message })
  }

  private async process(name: string): Promise<TaskResult> {
    const task = this.graph.tasks.get(name)!
    const started = Date.now()
    if (this.signal.aborted) return this.end(name, 'skipped', started, { reason: 'run interrupted' })
    if (this.stopped) return this.end(name, 'skipped', started, { reason: 'run stopped after a failure (use --continue to keep going)' })

    if (task.run === undefined) {
      this.fingerprintOf(task)
      const ran = task.deps.some((d) => this.results.get(d)?.status === 'ran')
      const reason = !ran ? 'all dependencies up to date' : this.o.dryRun ? 'would run: dependencies would run' : 'dependencies ran'
      return this.end(name, ran ? 'ran' : 'up-to-date', started, { reason })
    }

    let computed: { hash: string; fp?: Fingerprint }
    try {
      computed = this.fingerprintOf(task)
    } catch (err) {
      return this.end(name, 'failed', started, { reason: 'could not fingerprint inputs', error: (err as Error).message })
    }
    const { hash, fp } = computed
    for (const w of fp?.warnings ?? []) this.warn(name, w)

    let reason = 'no `inputs` declared: always runs'
    if (fp) {
      const prev = this.state.get(name)
      const changed = () => {
        const prevRecord = this.state.record(name, prev!.fingerprint)
        return prevRecord ? describeChanges(diffRecords(prevRecord, fp.record)) : 'fingerprint changed'
      }
      reason = this.o.force ? 'forced (--force)' : !prev ? 'no previous run' : prev.fingerprint === hash ? 'fingerprint unchanged' : changed()
      if (!this.o.force) {
        if (prev && prev.fingerprint === hash) {
          const out = changedOutput(this.root, prev.outputs)
          if (!out && (await this.checkValid(task, prev.value))) {
            return this.end(name, 'up-to-date', started, { reason: 'fingerprint unchanged', fingerprint: hash, savedMs: prev.durationMs, value: prev.value })
          }
          reason = out ? `output missing or changed: ${out}` : 'check reported the stored result invalid'
        }
        const hit = this.o.cache === false ? undefined : this.cache.get(hash)
        if (hit && (await this.checkValid(task, hit.value))) {
          if (this.o.dryRun) {
            for (const o of hit.outputs) if (o.type === 'file') this.wouldRestore.set(o.path, o.blob)
            return this.end(name, 'cache-hit', started, { reason: 'would restore from the cache', fingerprint: hash, savedMs: hit.durationMs })
          }
          const r = this.cache.restore(this.root, hit)
          if (r.ok) {
            // The index learns the restored files; a restored symlink taints dependents instead.
            for (const o of hit.outputs) {
              if (o.type === 'file') this.index?.restored(o.path, o.blob)
              else this.executed.add(name)
            }
            if (r.log) this.emit({ type: 'task:output', time: Date.now(), task: name, stream: 'stdout', text: r.log, replay: true })
            const sameRecord = prev?.fingerprint === hash
            this.state.set({ task: name, fingerprint: hash, outputs: stampOutputs(this.root, hit.outputs.map((o) => o.path)), durationMs: hit.durationMs, value: hit.value }, sameRecord ? undefined : fp.record)
            return this.end(name, 'cache-hit', started, {
              reason: `restored ${r.restored} output${r.restored === 1 ? '' : 's'}${r.log ? ', replayed log' : ''}`,
              fingerprint: hash, savedMs: hit.durationMs, value: hit.value,
            })
          }
          this.warn(name, `cache miss: ${r.reason}`)
          reason = `cache entry unusable: ${r.reason}`
        }
      }
    }
    if (this.o.dryRun) return this.end(name, 'ran', started, { reason: `would run: ${reason}`, fingerprint: fp ? hash : undefined, durationMs: 0 })
    return this.execute(task, reason, hash, fp, started)
  }

  private async checkValid(task: ResolvedTask, value: unknown): Promise<boolean> {
    if (!task.check) return true
    try {
      return (await task.check({ name: task.name, root: this.root, cwd: join(this.root, task.cwd), value, signal: this.signal })) !== false
    } catch (err) {
      this.warn(task.name, `check threw, treating the stored result as invalid: ${(err as Error).message}`)
      return false
    }
  }

  private async execute(task: ResolvedTask, reason: string, hash: string, fp: Fingerprint | undefined, started: number): Promise<TaskResult> {
    const name = task.name
    this.executed.add(name)
    this.emit({ type: 'task:start', time: started, task: name, reason })
    let log = ''
    const onOutput = (stream: 'stdout' | 'stderr', text: string) => {
      log += text
      this.emit({ type: 'task:output', time: Date.now(), task: name, stream, text, replay: false })
    }
    const cwd = join(this.root, task.cwd)
    const bin = [join(cwd, 'node_modules', '.bin'), join(this.root, 'node_modules', '.bin')]
    const pathKey = Object.keys(this.env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH'
    const env = { ...this.env, ...task.setEnv, [pathKey]: [...bin, this.env[pathKey] ?? ''].join(delimiter) }
    const args = this.argsFor(name)
    let value: unknown
    try {
      if (typeof task.run === 'function') {
        const deps = Object.fromEntries(task.deps.map((d) => [d, { status: this.results.get(d)!.status, value: this.results.get(d)!.value }]))
        const ctx = await createContext({ name, root: this.root, cwd, args, env, signal: this.signal, deps, onOutput, shell: task.shell })
        value = await task.run(ctx)
        value = value === undefined ? undefined : JSON.parse(JSON.stringify(value))
      } else {
        const commands = typeof task.run === 'string' ? [task.run] : [...(task.run as readonly string[])]
        if (args.length) commands.push(`${commands.pop()} ${args.map((a) => shellQuote(a, task.shell)).join(' ')}`)
        await checkCommands(name, commands, task.shell)
        for (const cmd of commands) await execCommand(cmd, { cwd, env, signal: this.signal, onOutput, shell: task.shell })
      }
    } catch (err) {
      this.state.delete(name)
      const interrupted = this.signal.aborted
      const exitCode = err instanceof TaskCommandError ? err.exitCode : 1
      // Errors that carry a `code` (TaskCommandError, recipe errors, fs errors) are expected failures:
      // their message says it all. Anything else is shown with its stack, to find the bug.
      const expected = err instanceof TaskCommandError || (err instanceof Error && 'code' in err)
      const message = interrupted ? 'interrupted' : expected ? (err as Error).message : (err as Error)?.stack ?? String(err)
      if (!(err instanceof TaskCommandError) && !interrupted) onOutput('stderr', `${message}\n`)
      return this.end(name, 'failed', started, { reason: interrupted ? 'interrupted' : `failed (exit code ${exitCode})`, exitCode, error: message, log, fingerprint: fp ? hash : undefined })
    }
    if (this.signal.aborted) {
      this.state.delete(name)
      return this.end(name, 'failed', started, { reason: 'interrupted', error: 'interrupted', log })
    }
    const durationMs = Date.now() - started
    if (fp) {
      try {
        const outputs = expandGlobs(this.root, task.cwd, task.outputs).files
        if (task.outputs.length && outputs.length === 0) this.warn(name, `outputs ${JSON.stringify(task.outputs)} match no files after the run`)
        if (this.o.cache !== false) {
          this.cache.put(this.root, { fingerprint: hash, task: name, exitCode: 0, durationMs, value, record: fp.record }, outputs, log)
        }
        const st: TaskState = { task: name, fingerprint: hash, outputs: stampOutputs(this.root, outputs), durationMs, value }
        this.state.set(st, fp.record)
      } catch (err) {
        this.warn(name, `could not store the result in the cache: ${(err as Error).message}`)
      }
    }
    return this.end(name, 'ran', started, { reason, fingerprint: fp ? hash : undefined, value, durationMs })
  }
}
