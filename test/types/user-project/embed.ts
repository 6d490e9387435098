// A user embedding the engine: run({ cache }) with an own Cache and a Reporter, reading the outcomes.
import {
  loadConfig,
  run,
  formatReason,
  MemoryCache,
  type ActionResult,
  type Cache,
  type CacheGetOptions,
  type CacheHit,
  type Reporter,
  type RestoreResult,
  type RunEvent,
  type RunResult,
  type StoreInput,
  type TaskReason,
  type TaskReasonCode,
  type TaskResult,
  type TaskStatus,
} from 'typed-tasks'

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
