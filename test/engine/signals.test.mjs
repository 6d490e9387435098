// SIGINT / SIGTERM: the whole process tree of a running task is killed, nothing partial is stored,
// exit code 130 / 143, and the task is not up to date afterwards.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { project, startCli, tasksJson, waitFor, acEntries, dump, count } from '../rig.mjs'

/** A process that exists and is not a zombie (an unreaped zombie has already exited). */
function running(pid) {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return true
  }
}

// When the file `slow` exists, the command starts a grandchild (sleep) and waits for it. sh's own
// job control (`&`, `wait`, `if`) is the point here; test/engine/shell.test.mjs covers the portable shell.
const config = `{
    hang: {
      shell: 'sh',
      run: 'echo ran >> runs; echo partial > out.txt; if [ -f slow ]; then sleep 1000 & echo $! > gpid; wait; fi; echo done > out.txt',
      inputs: ['in.txt'],
      outputs: ['out.txt'],
    },
  }`

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  test(`${sig}: exit ${code}, the grandchild is killed, nothing stored, not up to date next run`, async () => {
    const p = project(config, { 'in.txt': 'x', slow: '' })
    let gpid
    try {
      const { child, done } = startCli(p.dir, ['hang', '--json'])
      gpid = await waitFor(() => {
        const t = existsSync(p.path('gpid')) && readFileSync(p.path('gpid'), 'utf8').trim()
        return t ? Number(t) : undefined
      }, 'the grandchild pid file')
      assert.ok(running(gpid), 'grandchild should be running before the signal')
      child.kill(sig)
      const r = await done
      assert.is(r.code, code, dump(r))
      await waitFor(() => !running(gpid), `grandchild ${gpid} to be gone`, 5000).catch(() => {})
      assert.not.ok(running(gpid), `grandchild ${gpid} still running after ${sig}`)
      assert.is(acEntries(p.dir).length, 0, `a cache entry was stored for an interrupted task: ${acEntries(p.dir)}`)
      const json = JSON.parse(r.stdout)
      assert.is(json.interrupted, true)
      assert.is(json.ok, false)
      assert.not.equal(json.tasks[0].status, 'ran')

      rmSync(p.path('slow'))
      const next = await tasksJson(p.dir, ['hang'])
      assert.is(next.code, 0, dump(next))
      assert.is(next.status.hang, 'ran', `after an interrupted run the task must run again: ${dump(next)}`)
      assert.is(p.read('out.txt'), 'done\n')
      assert.is(count(p.path('runs')), 2)
    } finally {
      if (gpid && running(gpid)) process.kill(gpid, 'SIGKILL')
      p.cleanup()
    }
  })
}

test('SIGINT after a successful run: the earlier result stays up to date afterwards', async () => {
  // first a good run; then an interrupted run with a changed input; reverting the input is up to date or a hit
  const p = project(config, { 'in.txt': 'x' })
  let gpid
  try {
    assert.is((await tasksJson(p.dir, ['hang'])).status.hang, 'ran')
    p.write('in.txt', 'y')
    p.write('slow', '')
    const { child, done } = startCli(p.dir, ['hang'])
    gpid = await waitFor(() => {
      const t = existsSync(p.path('gpid')) && readFileSync(p.path('gpid'), 'utf8').trim()
      return t ? Number(t) : undefined
    }, 'the grandchild pid file')
    child.kill('SIGINT')
    const r = await done
    assert.is(r.code, 130, dump(r))
    rmSync(p.path('slow'))
    p.write('in.txt', 'x')
    const next = await tasksJson(p.dir, ['hang'])
    assert.is(next.code, 0, dump(next))
    // out.txt was overwritten with `partial` by the interrupted run: the first result must come back
    assert.ok(['cache-hit', 'ran'].includes(next.status.hang), dump(next))
    assert.is(p.read('out.txt'), 'done\n')
  } finally {
    if (gpid && running(gpid)) process.kill(gpid, 'SIGKILL')
    p.cleanup()
  }
})

test.run()
