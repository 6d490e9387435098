// Synthetic event streams in engine v2's shape (docs/design/engine-v2.md): typed reasons, runReason,
// cacheSource, outputs. They drive the report modules without running anything, so the model,
// the HTML page, the history and the GitHub output are tested against the contract directly.

/** A deterministic PRNG (mulberry32) so every synthetic run is the same. */
export function rng(seed = 1) {
  return () => {
    seed |= 0
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A layered graph of `n` tasks (`pkg-<i>:build`), each depending on up to 3 tasks of earlier
 * layers, and a simulated schedule with `concurrency` slots.
 * @returns {{ deps: Map<string,string[]>, events: any[], t0: number }}
 */
export function syntheticRun({
  n = 100,
  concurrency = 4,
  seed = 7,
  failAt = [],
  remoteEvery = 0,
  hitEvery = 3,
  utdEvery = 5,
  t0 = 1_790_000_000_000,
  slow = {},
} = {}) {
  const r = rng(seed)
  const names = Array.from({ length: n }, (_, i) => `pkg-${String(i).padStart(3, '0')}:build`)
  const deps = new Map()
  names.forEach((name, i) => {
    const d = new Set()
    if (i > 0)
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) d.add(names[Math.floor(r() * Math.min(i, Math.max(1, i)))])
    deps.set(
      name,
      [...d].filter((x) => x !== name),
    )
  })
  const events = [{ type: 'run:start', time: t0, tasks: names, concurrency, dryRun: false }]
  const end = new Map()
  const status = new Map()
  const slots = Array(concurrency).fill(t0 + 5)
  const failed = new Set(failAt.map((i) => names[i]))
  names.forEach((name, i) => {
    const ds = deps.get(name)
    const bad = ds.find((d) => status.get(d) === 'failed' || status.get(d) === 'skipped')
    const ready = Math.max(t0 + 5, ...ds.map((d) => end.get(d) ?? t0))
    if (bad) {
      status.set(name, 'skipped')
      end.set(name, ready)
      events.push({
        type: 'task:end',
        time: ready,
        task: name,
        status: 'skipped',
        reason: { code: status.get(bad) === 'failed' ? 'dependency-failed' : 'dependency-skipped', dependency: bad },
        durationMs: 0,
        savedMs: 0,
      })
      return
    }
    const slot = slots.indexOf(Math.min(...slots))
    const start = Math.max(ready, slots[slot])
    let st,
      reason,
      runReason,
      dur,
      extra = {}
    if (failed.has(name)) {
      st = 'failed'
      dur = 200 + Math.floor(r() * 800)
      reason = { code: 'exit-code', exitCode: 2 }
      runReason = {
        code: 'input-changed',
        files: [
          { path: `packages/${i}/src/index.ts`, change: 'modified' },
          { path: `packages/${i}/src/util.ts`, change: 'added' },
        ],
      }
      extra = {
        exitCode: 2,
        error: `command \`tsc -p .\` exited with code 2`,
        log: `> tsc -p .\npackages/${i}/src/index.ts(12,7): error TS2322: Type 'string' is not assignable to type 'number'.\n`,
      }
    } else if (i % utdEvery === 1) {
      st = 'up-to-date'
      dur = 1
      reason = { code: 'fingerprint-unchanged' }
    } else if (i % hitEvery === 2) {
      st = 'cache-hit'
      dur = 5 + Math.floor(r() * 40)
      const source = remoteEvery && i % remoteEvery === 0 ? 'remote' : 'local'
      reason = { code: 'restored', source, outputs: 3, replayedLog: true }
      extra = { cacheSource: source, outputs: [`packages/${i}/dist/index.js`] }
    } else {
      st = 'ran'
      dur = slow[i] ?? 50 + Math.floor(r() * 1500)
      const kinds = [
        { code: 'input-changed', files: [{ path: `packages/${i}/src/index.ts`, change: 'modified' }] },
        { code: 'dependency-changed', dependencies: ds.slice(0, 2) },
        { code: 'env-changed', variables: ['NODE_ENV'] },
        { code: 'no-previous-run' },
      ]
      reason = runReason = kinds[i % kinds.length]
      if (reason.code === 'dependency-changed' && !ds.length) reason = runReason = { code: 'no-previous-run' }
      extra = { outputs: [`packages/${i}/dist/index.js`, `packages/${i}/dist/index.d.ts`] }
    }
    const stop = start + dur
    slots[slot] = stop
    end.set(name, stop)
    status.set(name, st)
    if (st === 'ran' || st === 'failed') {
      events.push({ type: 'task:start', time: start, task: name, reason: runReason })
      const text =
        Array.from({ length: 3 + (i % 7) }, (_, k) => `[${name}] step ${k}: compiled ${k * 17} modules`).join('\n') +
        '\n'
      events.push({ type: 'task:output', time: start + 1, task: name, stream: 'stdout', text, replay: false })
      if (extra.log)
        events.push({
          type: 'task:output',
          time: start + 2,
          task: name,
          stream: 'stderr',
          text: extra.log,
          replay: false,
        })
    }
    if (st === 'cache-hit')
      events.push({
        type: 'task:output',
        time: stop - 1,
        task: name,
        stream: 'stdout',
        text: `replayed: built ${name}\n`,
        replay: true,
      })
    events.push({
      type: 'task:end',
      time: stop,
      task: name,
      status: st,
      reason,
      ...(runReason && st === 'failed' ? { runReason } : {}),
      durationMs: dur,
      savedMs: st === 'cache-hit' || st === 'up-to-date' ? 300 + i : 0,
      fingerprint: `fp${i}`,
      ...extra,
    })
  })
  const ends = events.filter((e) => e.type === 'task:end')
  const tEnd = Math.max(...ends.map((e) => e.time)) + 3
  const count = (s) => ends.filter((e) => e.status === s).length
  events.sort((a, b) => a.time - b.time)
  events.push({
    type: 'run:end',
    time: tEnd,
    summary: {
      tasks: n,
      ran: count('ran'),
      cacheHits: count('cache-hit'),
      upToDate: count('up-to-date'),
      failed: count('failed'),
      skipped: count('skipped'),
      interrupted: 0,
      wallMs: tEnd - t0,
      savedMs: ends.reduce((a, e) => a + e.savedMs, 0),
      dryRun: false,
    },
  })
  return { deps, events, t0, names }
}
