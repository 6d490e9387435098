/**
 * The CLI's signal handling. Every signal that ends `tasks` (SIGINT, SIGTERM, SIGHUP, SIGQUIT)
 * aborts the run: each running process tree gets SIGTERM, then SIGKILL after the grace period
 * (`exec.ts`), the run ends with its summary ("interrupted"), and the exit code is 128 + the
 * signal's number (130, 143, 129, 131), as a shell reports a process killed by it. A second signal
 * SIGKILLs every tree at once; `tasks` then still waits for the trees to be gone (and the summary)
 * before it exits, and exits on its own only if the run does not end within {@link FORCE_EXIT_MS}.
 */
import { constants } from 'node:os'

/** The signals that end `tasks`. */
export const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const
export type EndingSignal = (typeof ENDING_SIGNALS)[number]

/** After a second signal, exit this long (ms) later even if the run has not ended (a function task ignoring its signal). */
export const FORCE_EXIT_MS = 3000

/** The exit code for a run ended by `sig`: 128 + its number. */
export function exitCodeForSignal(sig: EndingSignal): number {
  return 128 + (constants.signals[sig] ?? 0)
}

/**
 * Install the handlers: the first signal aborts `ac`; a later one SIGKILLs every tree and forces
 * the exit if the run does not end soon. A closed terminal (SIGHUP) makes writes to it fail with
 * EIO: those errors are swallowed, so the handlers still run to the end.
 * @returns the first signal received so far (undefined: none)
 */
export function installSignalHandlers(ac: AbortController): () => EndingSignal | undefined {
  let first: EndingSignal | undefined
  let escalated = false
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  const onSignal = (sig: EndingSignal) => {
    if (!first) {
      first = sig
      ac.abort()
      return
    }
    if (escalated) return
    escalated = true
    void escalate(first)
  }
  for (const sig of ENDING_SIGNALS) process.on(sig, () => onSignal(sig))
  return () => first
}

async function escalate(first: EndingSignal): Promise<void> {
  const procs = await import('../lib/process/procs.js')
  procs.killAllTrees('SIGKILL')
  // The run normally ends by itself now that its trees are dead, and main() exits with the summary.
  const t = setTimeout(() => {
    procs.killAllTrees('SIGKILL')
    void procs.waitForTrees(5000).finally(() => process.exit(exitCodeForSignal(first)))
  }, FORCE_EXIT_MS)
  t.unref()
}
