/**
 * Watch mode: run the requested tasks, then run them again whenever a file they depend on
 * changes. File events (chokidar 4) are only triggers: after a debounce the engine's one decision
 * re-fingerprints, so only tasks whose fingerprint changed (and their dependents) run, and an edit
 * reverted within the debounce runs nothing. A change while a run is in progress queues exactly one
 * follow-up run; running `interruptible` tasks are killed at once and run again in it. Services
 * live across runs in one {@link ServicePool} and restart only when their own fingerprint changes.
 * A change to the config (or a file it imports) reloads it. Never prints: everything is an event.
 */
import type { FSWatcher, watch as chokidarWatchFn } from 'chokidar'
import { buildGraph, type TaskGraph } from '../graph/graph.js'
import { loadConfig } from '../config/load.js'
import { run, type RunOptions } from '../run/run.js'
import { ServicePool } from '../run/service.js'
import type { WatchSet } from './paths.js'
import type { RunResult, WatchEvent } from '../model/events.js'
import type { LoadedConfig, ResolvedTask } from '../model/internal.js'
import type { Project } from '../model/project.js'
import type { RunSession } from '../run/session.js'

/** Default debounce between the last file event and the run, ms. */
export const DEBOUNCE_MS = 80

/** Options of {@link watch}: those of `run()` (except `dryRun`), plus the watcher's. */
export interface WatchOptions extends Omit<RunOptions, 'onEvent' | 'dryRun'> {
  /** Ends watch mode: the running run is aborted, services stopped, the watcher closed. */
  signal: AbortSignal
  /** Every run's events plus `watch:ready`, `watch:change` and `watch:error`. Exceptions it throws are ignored. */
  onEvent?: (event: WatchEvent) => void
  /** Quiet time after the last file event before a run starts, ms. @default 80 */
  debounceMs?: number
  /** Poll instead of using the OS's file events (also `CHOKIDAR_USEPOLLING=1`). @default false */
  poll?: boolean
  /** How the config is reloaded after an edit. @default `loadConfig({ config: <its file>, fresh: true })` */
  reload?: (previous: Project) => Promise<Project>
}

/** What {@link watch} resolves to once its signal aborted: the result of each run, in order. */
export interface WatchResult {
  runs: RunResult[]
}

/** The mutable state of one {@link watch} session, shared by the helpers below. */
interface Session {
  readonly options: WatchOptions
  /** `options.onEvent`, its exceptions ignored. */
  readonly emit: (e: WatchEvent) => void
  readonly debounceMs: number
  readonly reload: (previous: Project) => Promise<Project>
  /** The services, kept across runs. */
  readonly pool: ServicePool
  /** The result of each run, in order. */
  readonly runs: RunResult[]
  readonly chokidarWatch: typeof chokidarWatchFn
  readonly paths: typeof import('./paths.js')
  config: LoadedConfig
  graph: TaskGraph<ResolvedTask>
  /** What is watched (set by {@link startWatcher}, before any file event). */
  set?: WatchSet
  watcher?: FSWatcher
  polling: boolean
  /** Paths changed since the last run (root-relative; a folder ends with `/`). */
  readonly changed: Set<string>
  configChanged: boolean
  /** The debounce timer. */
  timer?: NodeJS.Timeout
  /** The run in progress (with its config reload). */
  running?: Promise<void>
  /** The one follow-up run queued while a run is in progress. */
  queued?: { files: string[]; config: boolean }
  /** Running `interruptible` tasks, aborted by a change. */
  readonly runningTasks: Map<string, AbortController>
  restarting?: Promise<void>
}

/** A file event of chokidar (`event` on the absolute path `abs`): note the change and (re)arm the debounce. */
function onFs(s: Session, event: string, abs: string): void {
  if (s.options.signal.aborted) return
  const set = s.set! // the watcher that calls this was started after `set`
  const { rootRelative } = s.paths
  // A base folder deleted (chokidar does not see it come back) or recreated (watched from its
  // parent meanwhile): watch again, narrowly. The run after it re-fingerprints everything anyway.
  if ((event === 'unlinkDir' || event === 'addDir') && set.bases.includes(abs)) void restartWatcher(s)
  if (set.configFiles.has(abs)) s.configChanged = true
  else if (event === 'unlinkDir' || event === 'addDir') {
    const rel = rootRelative(s.config.root, abs)
    if ((event === 'addDir' && !set.bases.includes(abs)) || rel.startsWith('..') || set.isOutputDir(rel)) return
    s.changed.add(`${rel}/`)
  } else {
    const rel = rootRelative(s.config.root, abs)
    if (!set.isTrigger(rel)) return
    s.changed.add(rel)
  }
  clearTimeout(s.timer)
  s.timer = setTimeout(() => fire(s), s.debounceMs)
}

/** {@link startWatcher}, once at a time: concurrent calls share the restart in progress. */
function restartWatcher(s: Session): Promise<void> {
  return (s.restarting ??= startWatcher(s).finally(() => {
    s.restarting = undefined
  }))
}

/** (Re)start the file watcher on the current config and graph; resolves once it is ready (`watch:ready`). */
async function startWatcher(s: Session): Promise<void> {
  await s.watcher?.close()
  const set = (s.set = s.paths.watchSet(s.config, s.graph, await s.paths.configFiles(s.config)))
  const w = s.chokidarWatch(set.paths, {
    ignoreInitial: true,
    ignored: (p: string) => s.set!.ignored(p),
    usePolling: s.polling || undefined,
    interval: 200,
    binaryInterval: 500,
  })
  s.watcher = w
  w.on('all', (event, path) => onFs(s, event, path))
  w.on('error', (err: unknown) => onWatcherError(s, w, err))
  await new Promise<void>((r) => w.once('ready', () => r()))
  s.emit({
    type: 'watch:ready',
    time: Date.now(),
    paths: set.paths.map((p) => s.paths.rootRelative(s.config.root, p) || '.'),
    polling: s.polling,
  })
}

/** An error of the watcher `w`: at the watch limit, fall back to polling (once); else a `watch-error` warning. */
function onWatcherError(s: Session, w: FSWatcher, err: unknown): void {
  const code = (err as NodeJS.ErrnoException)?.code
  if ((code === 'ENOSPC' || code === 'EMFILE') && !s.polling && s.watcher === w) {
    s.polling = true
    s.emit({
      type: 'warning',
      time: Date.now(),
      code: 'watch-limit',
      message: `the system's file watch limit is reached (${code}); polling instead (slower). Raise the limit: \`sudo sysctl fs.inotify.max_user_watches=524288\` (and add \`fs.inotify.max_user_watches=524288\` to /etc/sysctl.conf to keep it)`,
    })
    void startWatcher(s)
  } else
    s.emit({
      type: 'warning',
      time: Date.now(),
      code: 'watch-error',
      message: `file watcher: ${(err as Error)?.message ?? err}`,
    })
}

/** The debounce ended: run now, or (a run is in progress) queue one follow-up run and interrupt what may be. */
function fire(s: Session): void {
  s.timer = undefined
  const files = [...s.changed].sort()
  s.changed.clear()
  const cfg = s.configChanged
  s.configChanged = false
  if (!files.length && !cfg) return
  s.emit({ type: 'watch:change', time: Date.now(), files, config: cfg, queued: !!s.running })
  if (s.running) {
    s.queued = { files: [...new Set([...(s.queued?.files ?? []), ...files])], config: cfg || !!s.queued?.config }
    for (const ac of s.runningTasks.values()) ac.abort()
    return
  }
  iterate(s, cfg)
}

/** Start a run (reloading the config first when `reloadConfig`); when it ends, start the queued one, if any. */
function iterate(s: Session, reloadConfig: boolean): void {
  s.running = (async () => {
    if (reloadConfig) {
      try {
        const next = (await s.reload(s.config)) as LoadedConfig
        const nextGraph = buildGraph(next, s.options.tasks)
        ;[s.config, s.graph] = [next, nextGraph]
        await startWatcher(s)
      } catch (error) {
        s.emit({
          type: 'watch:error',
          time: Date.now(),
          message: `the config could not be reloaded, keeping the previous one: ${(error as Error)?.message ?? error}`,
          error,
        })
        return
      }
    }
    await runOnce(s)
  })().finally(() => {
    s.running = undefined
    if (s.queued && !s.options.signal.aborted) {
      const q = s.queued
      s.queued = undefined
      iterate(s, q.config)
    }
  })
}

/** One run of the requested tasks; its result joins `s.runs`, an error is a `watch:error` event. */
async function runOnce(s: Session): Promise<void> {
  if (s.options.signal.aborted) return
  try {
    const { reload: _r, debounceMs: _d, poll: _p, onEvent: _o, ...runOptions } = s.options
    const result = await run({
      ...runOptions,
      config: s.config,
      services: s.pool,
      onEvent: (e) => {
        if (e.type === 'task:end') s.runningTasks.delete(e.task)
        s.emit(e)
      },
      taskSignal: (task) => {
        if (!s.graph.tasks.get(task)?.interruptible) return undefined
        const ac = new AbortController()
        s.runningTasks.set(task, ac)
        return ac.signal
      },
    } as RunOptions & RunSession)
    s.runs.push(result)
  } catch (error) {
    s.emit({ type: 'watch:error', time: Date.now(), message: (error as Error)?.message ?? String(error), error })
  }
}

/**
 * Run `options.tasks`, then again on every relevant change, until `options.signal` aborts.
 * A run that throws (an unknown task after a config edit, a cycle) is a `watch:error` event; the
 * watcher keeps going. On `ENOSPC` (the inotify watch limit) a `warning` names the fix
 * (`sysctl fs.inotify.max_user_watches=524288`) and the watcher falls back to polling.
 * @throws {TasksError} `unknown-task` or `cycle` for the first config, before anything runs.
 */
export async function watch(options: WatchOptions): Promise<WatchResult> {
  const emit = (e: WatchEvent) => {
    try {
      options.onEvent?.(e)
    } catch {}
  }
  const { signal } = options
  const config = options.config as LoadedConfig // as loadConfig made it (and `reload`)
  const graph: TaskGraph<ResolvedTask> = buildGraph(config, options.tasks)
  // Loaded on use: importing the library stays as cheap as before watch mode existed.
  const [{ watch: chokidarWatch }, paths] = await Promise.all([import('chokidar'), import('./paths.js')])
  const s: Session = {
    options,
    emit,
    debounceMs: options.debounceMs ?? DEBOUNCE_MS,
    reload: options.reload ?? ((prev) => loadConfig({ config: prev.file, fresh: true })),
    pool: new ServicePool(true, (e) => emit(e)),
    runs: [],
    chokidarWatch,
    paths,
    config,
    graph,
    polling: !!options.poll,
    changed: new Set(),
    configChanged: false,
    runningTasks: new Map(),
  }
  await startWatcher(s)
  iterate(s, false)
  await new Promise<void>((resolve) =>
    signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
  )
  clearTimeout(s.timer)
  s.queued = undefined
  while (s.running) await s.running
  await Promise.all([s.watcher?.close(), s.pool.stopAll()])
  return { runs: s.runs }
}
