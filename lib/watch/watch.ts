/**
 * Watch mode: run the requested tasks, then run them again whenever a file they depend on
 * changes. File events (chokidar 4) are only triggers: after a debounce the engine's one decision
 * re-fingerprints, so only tasks whose fingerprint changed (and their dependents) run, and an edit
 * reverted within the debounce runs nothing. A change while a run is in progress queues exactly one
 * follow-up run; running `interruptible` tasks are killed at once and run again in it. Services
 * live across runs in one {@link ServicePool} and restart only when their own fingerprint changes.
 * A change to the config (or a file it imports) reloads it. Never prints: everything is an event.
 */
import type { FSWatcher } from 'chokidar'
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
  const debounceMs = options.debounceMs ?? DEBOUNCE_MS
  const reload = options.reload ?? ((prev) => loadConfig({ config: prev.file, fresh: true }))
  let config = options.config as LoadedConfig // as loadConfig made it (and `reload`)
  let graph: TaskGraph<ResolvedTask> = buildGraph(config, options.tasks)
  const pool = new ServicePool(true, (e) => emit(e))
  const runs: RunResult[] = []
  // Loaded on use: importing the library stays as cheap as before watch mode existed.
  const [{ watch: chokidarWatch }, { configFiles, rootRelative, watchSet }] = await Promise.all([
    import('chokidar'),
    import('./paths.js'),
  ])

  let set: WatchSet
  let watcher: FSWatcher | undefined
  let polling = !!options.poll
  const changed = new Set<string>()
  let configChanged = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let queued: { files: string[]; config: boolean } | undefined
  const runningTasks = new Map<string, AbortController>()

  const onFs = (event: string, abs: string) => {
    if (signal.aborted) return
    // A base folder deleted (chokidar does not see it come back) or recreated (watched from its
    // parent meanwhile): watch again, narrowly. The run after it re-fingerprints everything anyway.
    if ((event === 'unlinkDir' || event === 'addDir') && set.bases.includes(abs)) void restartWatcher()
    if (set.configFiles.has(abs)) configChanged = true
    else if (event === 'unlinkDir' || event === 'addDir') {
      const rel = rootRelative(config.root, abs)
      if ((event === 'addDir' && !set.bases.includes(abs)) || rel.startsWith('..') || set.isOutputDir(rel)) return
      changed.add(`${rel}/`)
    } else {
      const rel = rootRelative(config.root, abs)
      if (!set.isTrigger(rel)) return
      changed.add(rel)
    }
    clearTimeout(timer)
    timer = setTimeout(fire, debounceMs)
  }

  let restarting: Promise<void> | undefined
  const restartWatcher = () =>
    (restarting ??= startWatcher().finally(() => {
      restarting = undefined
    }))

  const startWatcher = async () => {
    await watcher?.close()
    set = watchSet(config, graph, await configFiles(config))
    const w = chokidarWatch(set.paths, {
      ignoreInitial: true,
      ignored: (p: string) => set.ignored(p),
      usePolling: polling || undefined,
      interval: 200,
      binaryInterval: 500,
    })
    watcher = w
    w.on('all', (event, path) => onFs(event, path))
    w.on('error', (err: unknown) => {
      const code = (err as NodeJS.ErrnoException)?.code
      if ((code === 'ENOSPC' || code === 'EMFILE') && !polling && watcher === w) {
        polling = true
        emit({
          type: 'warning',
          time: Date.now(),
          code: 'watch-limit',
          message: `the system's file watch limit is reached (${code}); polling instead (slower). Raise the limit: \`sudo sysctl fs.inotify.max_user_watches=524288\` (and add \`fs.inotify.max_user_watches=524288\` to /etc/sysctl.conf to keep it)`,
        })
        void startWatcher()
      } else
        emit({
          type: 'warning',
          time: Date.now(),
          code: 'watch-error',
          message: `file watcher: ${(err as Error)?.message ?? err}`,
        })
    })
    await new Promise<void>((r) => w.once('ready', () => r()))
    emit({
      type: 'watch:ready',
      time: Date.now(),
      paths: set.paths.map((p) => rootRelative(config.root, p) || '.'),
      polling,
    })
  }

  const fire = () => {
    timer = undefined
    const files = [...changed].sort()
    changed.clear()
    const cfg = configChanged
    configChanged = false
    if (!files.length && !cfg) return
    emit({ type: 'watch:change', time: Date.now(), files, config: cfg, queued: !!running })
    if (running) {
      queued = { files: [...new Set([...(queued?.files ?? []), ...files])], config: cfg || !!queued?.config }
      for (const ac of runningTasks.values()) ac.abort()
      return
    }
    iterate(cfg)
  }

  const iterate = (reloadConfig: boolean) => {
    running = (async () => {
      if (reloadConfig) {
        try {
          const next = (await reload(config)) as LoadedConfig
          const nextGraph = buildGraph(next, options.tasks)
          ;[config, graph] = [next, nextGraph]
          await startWatcher()
        } catch (error) {
          emit({
            type: 'watch:error',
            time: Date.now(),
            message: `the config could not be reloaded, keeping the previous one: ${(error as Error)?.message ?? error}`,
            error,
          })
          return
        }
      }
      await runOnce()
    })().finally(() => {
      running = undefined
      if (queued && !signal.aborted) {
        const q = queued
        queued = undefined
        iterate(q.config)
      }
    })
  }

  const runOnce = async () => {
    if (signal.aborted) return
    try {
      const { reload: _r, debounceMs: _d, poll: _p, onEvent: _o, ...runOptions } = options
      const result = await run({
        ...runOptions,
        config,
        services: pool,
        onEvent: (e) => {
          if (e.type === 'task:end') runningTasks.delete(e.task)
          emit(e)
        },
        taskSignal: (task) => {
          if (!graph.tasks.get(task)?.interruptible) return undefined
          const ac = new AbortController()
          runningTasks.set(task, ac)
          return ac.signal
        },
      } as RunOptions & RunSession)
      runs.push(result)
    } catch (error) {
      emit({ type: 'watch:error', time: Date.now(), message: (error as Error)?.message ?? String(error), error })
    }
  }

  await startWatcher()
  iterate(false)
  await new Promise<void>((resolve) =>
    signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
  )
  clearTimeout(timer)
  queued = undefined
  while (running) await running
  await Promise.all([watcher?.close(), pool.stopAll()])
  return { runs }
}
