// What a `kill -9` of `tasks` leaves behind is cleaned up at the next start: the process trees it
// recorded in .tasks/procs are killed (only when a process of the group carries the dead owner's
// marker; anything else is only named), and its temp files in .tasks/tmp are removed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { project, tasks, startCli, waitFor, dump, sleep, REPO, alive } from '../rig.mjs'

const { processStartTime } = await import(join(REPO, 'dist', 'lib', 'util', 'process.js'))

const running = alive

const config = `{
    hang: { shell: 'sh', run: 'sleep 1000 & echo $! > gpid; wait' },
    quick: { run: 'echo quick' },
  }`

test('kill -9 of tasks: its recorded trees are killed at the next start, with a warning', async () => {
  const p = project(config)
  let gpid
  try {
    const { child, done } = startCli(p.dir, ['hang'])
    gpid = await waitFor(() => p.exists('gpid') && Number(p.read('gpid').trim()), 'the grandchild pid')
    const procs = join(p.dir, '.tasks', 'procs')
    const files = readdirSync(procs)
    assert.equal(files.length, 1, 'one procs file for the running tasks process')
    // The file is rewritten in place as trees start and end: read it once it parses.
    const rec = await waitFor(() => {
      try {
        return JSON.parse(readFileSync(join(procs, files[0]), 'utf8'))
      } catch {}
    }, 'a complete procs record')
    assert.is(rec.pid, child.pid)
    assert.is(rec.trees.length, 1)
    child.kill('SIGKILL')
    await done
    await sleep(200)
    assert.ok(running(gpid), 'the tree outlives a kill -9 of tasks (nothing could kill it)')
    const r = await tasks(p.dir, ['quick'])
    assert.is(r.code, 0, dump(r))
    await waitFor(() => !running(gpid), `grandchild ${gpid} to be killed`, 5000).catch(() => {})
    assert.not.ok(running(gpid), `grandchild ${gpid} survived the next start`)
    assert.match(r.stderr, /killed 1 process tree left running by a `tasks` process that was killed \(pid \d+/, dump(r))
    assert.equal(readdirSync(procs), [], "the dead process's procs file is removed")
  } finally {
    if (gpid && running(gpid)) process.kill(gpid, 'SIGKILL')
    p.cleanup()
  }
})

test('a recorded pgid that is not ours any more (no marker) is named, never killed', async () => {
  const p = project(config)
  // A stranger: a process group started outside tasks (no TASKS_TREE_OWNER in its environment).
  const stranger = spawn('sleep', ['60'], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH } })
  try {
    const dead = spawnSync('true').pid
    mkdirSync(join(p.dir, '.tasks', 'procs'), { recursive: true })
    writeFileSync(
      join(p.dir, '.tasks', 'procs', `${dead}-12345.json`),
      JSON.stringify({
        pid: dead,
        start: '12345',
        trees: [{ pgid: stranger.pid, start: null }, { pgid: 1 }, { pgid: 'x' }],
      }),
    )
    const r = await tasks(p.dir, ['quick'])
    assert.is(r.code, 0, dump(r))
    assert.ok(running(stranger.pid), 'a process group without our marker was killed')
    assert.match(
      r.stderr,
      new RegExp(`process groups ${stranger.pid} were started by a \`tasks\` process that was killed`),
      dump(r),
    )
  } finally {
    try {
      process.kill(-stranger.pid, 'SIGKILL')
    } catch {}
    p.cleanup()
  }
})

test("stale temp files of dead processes in .tasks/tmp are removed at the next start; a live process's stay", async () => {
  const p = project(config)
  try {
    const tmp = join(p.dir, '.tasks', 'tmp')
    mkdirSync(tmp, { recursive: true })
    const dead = spawnSync('true').pid
    const mine = `${process.pid}-${processStartTime(process.pid)}-1.tmp`
    writeFileSync(join(tmp, `${dead}-999-1.tmp`), 'half a file')
    writeFileSync(join(tmp, `${process.pid}-1-7.tmp`), 'a reused pid') // our pid, another start time: dead
    writeFileSync(join(tmp, mine), 'being written')
    const r = await tasks(p.dir, ['quick'])
    assert.is(r.code, 0, dump(r))
    assert.equal(readdirSync(tmp), [mine])
  } finally {
    p.cleanup()
  }
})

test('a restore writes no temp file next to the outputs (they go through .tasks/tmp)', async () => {
  const p = project(
    `{
    gen: { shell: 'sh', run: 'mkdir -p out && for i in 1 2 3 4 5 6 7 8; do head -c 4000000 /dev/urandom > out/f$i.bin; done', inputs: ['in.txt'], outputs: ['out/**'] },
  }`,
    { 'in.txt': 'x' },
  )
  try {
    assert.is((await tasks(p.dir, ['gen'])).code, 0)
    spawnSync('rm', ['-rf', p.path('out')])
    // Watch the output folder while the restore writes it: only final names may ever appear.
    const seen = new Set()
    const { done } = startCli(p.dir, ['gen'])
    let finished = false
    done.then(() => (finished = true))
    while (!finished) {
      if (existsSync(p.path('out'))) for (const f of readdirSync(p.path('out'))) seen.add(f)
      await new Promise((r) => setImmediate(r))
    }
    const r = await done
    assert.is(r.code, 0, dump(r))
    assert.match(r.stderr, /cache hit/, dump(r))
    assert.equal(
      [...seen].filter((f) => !/^f\d\.bin$/.test(f)),
      [],
      'temp files appeared in the output folder',
    )
  } finally {
    p.cleanup()
  }
})

test.run()
