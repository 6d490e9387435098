/**
 * `--profile FILE`: a Chrome trace (chrome://tracing, Perfetto) of the run, one complete event per
 * task on the lane of the slot it ran in, built from the run's events only.
 */
import { formatReason } from './format.js'
import type { Reporter } from './reporter.js'

/**
 * Collects events; `toJSON()` gives the trace (`{ traceEvents: [...] }`, times in µs). As a
 * {@link Reporter}, `close()` writes it through `write` when one is given.
 */
export function createTraceCollector(write?: (json: string) => void): Reporter & { toJSON(): unknown } {
  const starts = new Map<string, number>()
  const lanes: (string | undefined)[] = []
  const laneOf = new Map<string, number>()
  const events: unknown[] = []
  let t0 = 0
  return {
    onEvent(e) {
      if (e.type === 'run:start') t0 = e.time
      if (e.type === 'task:start') {
        starts.set(e.task, e.time)
        let lane = lanes.findIndex((l) => l === undefined)
        if (lane < 0) lane = lanes.push(undefined) - 1
        lanes[lane] = e.task
        laneOf.set(e.task, lane)
      }
      if (e.type === 'task:end') {
        const start = starts.get(e.task) ?? e.time
        const lane = laneOf.get(e.task)
        if (lane !== undefined) lanes[lane] = undefined
        events.push({
          name: e.task,
          cat: e.status,
          ph: 'X',
          ts: (start - t0) * 1000,
          dur: Math.max(1, (e.time - start) * 1000),
          pid: 1,
          tid: (lane ?? -1) + 1,
          args: { status: e.status, reason: e.reason.code, detail: formatReason(e.reason) },
        })
      }
    },
    toJSON: () => ({ traceEvents: events, displayTimeUnit: 'ms' }),
    async close() {
      write?.(JSON.stringify({ traceEvents: events, displayTimeUnit: 'ms' }))
    },
  }
}
