// kill -9 storm: `tasks` is killed with SIGKILL at random moments of runs, stores and restores of a
// real C project (examples/c-calc). After every kill a clean run must succeed, leave every output
// byte-identical to a clean build, every cache entry consistent with its blobs (and with a clean
// build), no temp file and no surviving process. STORM_KILLS (default 50) sets the number of kills,
// STORM_SEED replays a storm.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  calcProject,
  checkEntries,
  corruptOutputs,
  leftoverTempFiles,
  prng,
  referenceBuilds,
  runCli,
  sleep,
  startCli,
  survivors,
  VARIANTS,
} from './_rig.mjs'

const KILLS = Number(process.env.STORM_KILLS ?? 50)
const SEED = Number(process.env.STORM_SEED ?? Date.now() % 1e9)

test(`kill -9 storm: ${KILLS} kills at random moments of runs, stores and restores`, async () => {
  const refs = await referenceBuilds()
  const p = calcProject()
  const random = prng(SEED)
  const figures = {
    kills: 0,
    corruptOutputs: 0,
    corruptEntries: 0,
    entriesChecked: 0,
    leftoverTemp: 0,
    surviving: 0,
    failedCleanRuns: 0,
  }
  const problems = []
  let variant = 0
  try {
    const first = await runCli(p.dir, ['default'], { timeoutMs: 120_000 })
    assert.is(first.code, 0, first.out)
    // How long each kind of run takes unkilled: kills land anywhere within it.
    const actions = {
      run: async () => {
        variant = (variant + 1 + Math.floor(random() * (VARIANTS.length - 1))) % VARIANTS.length
        p.variant(variant)
        return ['default']
      },
      store: async () => ['default', '--force'],
      restore: async () => {
        p.clearOutputs()
        return ['default']
      },
      // a long-running tree (sleep 3): killed mid-way, it must not outlive the next start
      soak: async () => ['soak', '--force'],
    }
    const span = {}
    for (const [name, prepare] of Object.entries(actions)) {
      const args = await prepare()
      const t = Date.now()
      const r = await runCli(p.dir, args, { timeoutMs: 120_000 })
      assert.is(r.code, 0, r.out)
      span[name] = Date.now() - t
    }
    const owners = []
    for (let i = 0; i < KILLS; i++) {
      const names = Object.keys(actions)
      const action = names[Math.floor(random() * names.length)]
      const args = await actions[action]()
      const { child, done } = startCli(p.dir, args, { timeoutMs: 120_000 })
      owners.push(child.pid)
      await sleep(Math.floor(random() * span[action] * 1.1))
      child.kill('SIGKILL')
      await done
      figures.kills++

      const clean = await runCli(p.dir, ['default'], { timeoutMs: 120_000 })
      const where = `kill ${i + 1} (${action}, variant ${variant}, seed ${SEED})`
      if (clean.code !== 0) {
        figures.failedCleanRuns++
        problems.push(`${where}: the clean run failed:\n${clean.out}`)
      }
      const bad = corruptOutputs(p.dir, refs[variant])
      figures.corruptOutputs += bad.length
      if (bad.length) problems.push(`${where}: outputs differ from a clean build: ${bad.join(', ')}`)
      const entries = checkEntries(p.dir, refs)
      figures.entriesChecked += entries.entries
      figures.corruptEntries += entries.corrupt.length
      problems.push(...entries.corrupt.map((c) => `${where}: ${c}`))
      const temp = leftoverTempFiles(p.dir)
      figures.leftoverTemp += temp.length
      if (temp.length) problems.push(`${where}: temp files left: ${temp.join(', ')}`)
      const alive = survivors(p.dir, owners)
      figures.surviving += alive.length
      if (alive.length) problems.push(`${where}: processes survived: ${alive.join('; ')}`)
      for (const s of alive)
        try {
          process.kill(Number(s.split(' ')[0]), 'SIGKILL')
        } catch {}
    }
  } finally {
    console.log(
      `\n  kill storm (seed ${SEED}): kills ${figures.kills} | corrupt outputs ${figures.corruptOutputs} | corrupt entries ${figures.corruptEntries} (of ${figures.entriesChecked} entry checks) | leftover temp files ${figures.leftoverTemp} | surviving processes ${figures.surviving} | failed clean runs ${figures.failedCleanRuns}`,
    )
    p.cleanup()
  }
  assert.ok(figures.kills >= KILLS)
  assert.equal(problems, [], problems.join('\n'))
})

test.run()
