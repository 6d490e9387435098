/**
 * The one reporter interface: the CLI's plain, listr2, JSON and trace reporters implement it, and
 * so can an embedder (pass `onEvent: (e) => reporter.onEvent(e)` to `run`, then `await reporter.close()`).
 * Reporters switch on `status` and `reason.code` and format with `formatReason`; they never parse text.
 */
import type { RunEvent } from '../model/events.js'

/** Receives a run's events in order; `close()` resolves once its output is complete (after `run:end`). */
export interface Reporter {
  /** Called for every event, in order. Must not throw (the engine ignores what it throws). */
  onEvent(e: RunEvent): void
  /** Flush and finish the output. Called once, after `run` resolved. */
  close(): Promise<void>
}

/** One reporter that forwards every event to each of `reporters`, in order, and closes them all. */
export function combineReporters(...reporters: readonly Reporter[]): Reporter {
  return {
    onEvent(e) {
      for (const r of reporters) r.onEvent(e)
    },
    async close() {
      for (const r of reporters) await r.close()
    },
  }
}
