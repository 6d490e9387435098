// A user embedding the engine: run({ cache }) with an own Cache and a Reporter, reading the outcomes.
import {
  loadConfig,
  run,
  MemoryCache,
  type ActionResult,
  type Cache,
  type CacheGetOptions,
  type CacheHit,
  type RestoreResult,
  type RunEvent,
  type RunResult,
  type StoreInput,
  type TaskReason,
  type TaskReasonCode,
  type TaskResult,
  type TaskStatus,
} from 'typed-tasks'
import { formatReason, type Reporter } from 'typed-tasks/report'

/** A cache that counts calls and keeps entries in a MemoryCache. */
class CountingCache implements Cache {
  readonly inner = new MemoryCache()
  calls = 0
  async get(fingerprint: string, options?: CacheGetOptions): Promise<CacheHit | undefined> {
    this.calls++
    return this.inner.get(fingerprint, options)
  }
  async has(fingerprints: readonly string[]): Promise<Set<string>> {
    return this.inner.has(fingerprints)
  }
  async put(root: string, input: StoreInput, outputFiles: readonly string[], log: Buffer): Promise<ActionResult> {
    this.calls++
    return this.inner.put(root, input, outputFiles, log)
  }
  async restore(root: string, hit: CacheHit): Promise<RestoreResult> {
    const r = await this.inner.restore(root, hit)
    return r.ok ? { ok: true, restored: r.restored, log: r.log } : { ok: false, reason: r.reason }
  }
}

/** A reporter that keeps one line per finished task. */
class LineReporter implements Reporter {
  readonly lines: string[] = []
  onEvent(e: RunEvent): void {
    if (e.type === 'task:end') this.lines.push(`${e.task}: ${e.status} (${formatReason(e.reason)})`)
  }
  async close(): Promise<void> {}
}

function mark(status: TaskStatus): string {
  switch (status) {
    case 'ran':
      return '+'
    case 'cache-hit':
      return '~'
    case 'up-to-date':
      return '='
    case 'failed':
      return '!'
    case 'skipped':
      return '-'
    case 'interrupted':
      return '^'
    default: {
      const never: never = status
      return never
    }
  }
}

const describe = (t: TaskResult): string => {
  const reason: TaskReason = t.reason
  const code: TaskReasonCode = reason.code
  return `${mark(t.status)} ${t.name} ${code} ${t.durationMs} ms`
}

export async function main(): Promise<number> {
  const config = await loadConfig({ cwd: process.cwd(), onWarning: (m) => console.warn(m) })
  const reporter = new LineReporter()
  const cache = new CountingCache()
  const controller = new AbortController()
  const result: RunResult = await run({
    config,
    tasks: ['build'],
    cache,
    signal: controller.signal,
    onEvent: (e) => reporter.onEvent(e),
  })
  await reporter.close()
  for (const t of result.tasks) console.log(describe(t))
  return result.ok ? 0 : 1
}

// The other doors: a third-party recipe through the recipe kit, the remote tier through the cache door.
import { RecipeError, shellQuote, suggest, type TaskDefinition } from 'typed-tasks/recipe-kit'
import {
  openRemoteStore,
  parseActionResult,
  resolveRemoteSettings,
  TieredCache,
  LocalCache,
  type RemoteStats,
} from 'typed-tasks/cache'
import type { Project, TaskInfo, WarningCode } from 'typed-tasks'

/** A recipe: one task that lints the given files. */
export function lint(options: { files: readonly string[]; fix?: boolean }): Record<string, TaskDefinition> {
  for (const key of Object.keys(options))
    if (key !== 'files' && key !== 'fix')
      throw new RecipeError('unknown-option', `unknown option \`${key}\``, {
        recipe: 'lint',
        hint: `did you mean \`${suggest(key, ['files', 'fix']) ?? 'files'}\`?`,
      })
  return {
    lint: {
      run: `eslint ${options.fix ? '--fix ' : ''}${options.files.map((f) => shellQuote(f)).join(' ')}`,
      inputs: [],
    },
  }
}

/** A run with the remote tier when the environment configures one; the remote figures, if any. */
export async function remoteRun(config: Project): Promise<RemoteStats | undefined> {
  const settings = resolveRemoteSettings(config.remoteCache, process.env)
  const local = new LocalCache(`${config.root}/.tasks`)
  const cache = settings.on
    ? new TieredCache({ local, remote: await openRemoteStore(settings), validate: parseActionResult })
    : local
  const aggregates = [...config.tasks.values()].filter((t: TaskInfo) => t.run === undefined)
  const codes: WarningCode[] = []
  await run({
    config,
    tasks: aggregates.map((t) => t.name),
    cache,
    onEvent: (e) => void (e.type === 'warning' && e.code && codes.push(e.code)),
  })
  return cache instanceof TieredCache ? cache.stats() : undefined
}
