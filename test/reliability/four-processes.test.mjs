// Four `tasks` processes at once on one project, for ROUNDS rounds (default 10) of input changes
// and deleted outputs: every process succeeds, the outputs equal a clean build, no cache entry is
// poisoned, and at the end every variant restored from the cache is byte-identical to a clean build.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  calcProject,
  checkEntries,
  corruptOutputs,
  leftoverTempFiles,
  outputsOf,
  prng,
  referenceBuilds,
  runCli,
  survivors,
  VARIANTS,
  OUTPUTS,
} from './_rig.mjs'

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 10)
const SEED = Number(process.env.RACE_SEED ?? Date.now() % 1e9)

test(`4 processes at once for ${ROUNDS} rounds: no poisoned entry, every hit restores clean-build bytes`, async () => {
  const refs = await referenceBuilds()
  const p = calcProject()
  const random = prng(SEED)
  const problems = []
  const figures = {
    rounds: 0,
    processes: 0,
    failed: 0,
    ran: 0,
    hits: 0,
    upToDate: 0,
    corruptOutputs: 0,
    corruptEntries: 0,
    waited: 0,
  }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const variant = round < VARIANTS.length ? round : Math.floor(random() * VARIANTS.length)
      p.variant(variant)
      if (random() < 0.4) p.clearOutputs()
      const force = random() < 0.3 ? ['--force'] : []
      const rs = await Promise.all(
        Array.from({ length: 4 }, (_, k) =>
          runCli(p.dir, ['default', '--json', ...(k === 0 ? force : [])], { timeoutMs: 180_000 }),
        ),
      )
      figures.rounds++
      for (const r of rs) {
        figures.processes++
        if (r.code !== 0) {
          figures.failed++
          problems.push(`round ${round} (variant ${variant}, seed ${SEED}): a process failed:\n${r.out}`)
          continue
        }
        if (/changed while it was being stored|internal error/.test(r.stderr))
          problems.push(`round ${round}: ${r.stderr}`)
        if (/another `tasks` process/.test(r.stderr)) figures.waited++
        for (const t of JSON.parse(r.stdout).tasks) {
          if (t.status === 'ran') figures.ran++
          else if (t.status === 'cache-hit') figures.hits++
          else if (t.status === 'up-to-date') figures.upToDate++
        }
      }
      const bad = corruptOutputs(p.dir, refs[variant])
      figures.corruptOutputs += bad.length
      if (bad.length)
        problems.push(`round ${round} (variant ${variant}): outputs differ from a clean build: ${bad.join(', ')}`)
      const entries = checkEntries(p.dir, refs)
      figures.corruptEntries += entries.corrupt.length
      problems.push(...entries.corrupt.map((c) => `round ${round}: ${c}`))
    }
    // Every variant, restored from the cache: the bytes of a clean build.
    for (let v = 0; v < VARIANTS.length; v++) {
      p.variant(v)
      p.clearOutputs()
      const r = await runCli(p.dir, ['default', '--json'], { timeoutMs: 120_000 })
      assert.is(r.code, 0, r.out)
      const status = JSON.parse(r.stdout)
        .tasks.filter((t) => t.name !== 'default')
        .map((t) => `${t.name}:${t.status}`)
      assert.ok(
        status.every((s) => s.endsWith(':cache-hit')),
        `variant ${v} should restore every task from the cache: ${status}`,
      )
      const bad = corruptOutputs(p.dir, refs[v])
      if (bad.length) problems.push(`final restore of variant ${v}: ${bad.join(', ')} differ from a clean build`)
      assert.is(outputsOf(p.dir).size, OUTPUTS.length)
    }
    const temp = leftoverTempFiles(p.dir)
    if (temp.length) problems.push(`temp files left: ${temp.join(', ')}`)
    const alive = survivors(p.dir)
    if (alive.length) problems.push(`processes survived: ${alive.join('; ')}`)
  } finally {
    console.log(
      `\n  4 processes (seed ${SEED}): rounds ${figures.rounds} | processes ${figures.processes} | failed ${figures.failed} | ran ${figures.ran} | cache hits ${figures.hits} | up to date ${figures.upToDate} | waited for a lock ${figures.waited} | corrupt outputs ${figures.corruptOutputs} | poisoned or corrupt entries ${figures.corruptEntries}`,
    )
    p.cleanup()
  }
  assert.equal(problems, [], problems.join('\n'))
})

test.run()
