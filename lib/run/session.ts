/**
 * What watch mode adds to a run's options: not part of the public `RunOptions` (it would publish
 * the engine's service pool and, through it, its internal task form). `watch` passes these in the
 * options object it gives `run`, which reads them back (`run.ts`).
 */
import type { ServicePool } from './service.js'

/** The session a run belongs to (watch mode); every field optional, none of them public. */
export interface RunSession {
  /**
   * The services to reuse across runs (watch mode keeps one {@link ServicePool} for its session: a
   * service restarts only when its fingerprint changes). @default a pool for this run only: every
   * service is stopped after the last task that needs it, a requested one runs until `signal` aborts
   */
  services?: ServicePool
  /** An extra abort signal for one task's execution (watch mode's `interruptible` restarts). */
  taskSignal?: (task: string) => AbortSignal | undefined
}
