// Per-task locks between `tasks` processes (lib/process/lock.ts): the same task runs in one process
// at a time and the other finds it up to date; a dead owner's lock (dead pid, reused pid, garbage
// content) is taken over; a live owner's lock is waited for.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { project, tasksJson, startCli, waitFor, dump, count, REPO } from '../rig.mjs'

const { taskLockKey } = await import(join(REPO, 'dist', 'lib', 'process', 'lock.js'))
const { processStartTime } = await import(join(REPO, 'dist', 'lib', 'util', 'process.js'))

// `slow` truncates its output first and writes it last: two runs at once would interleave.
const config = `{
    slow: { run: 'echo run >> runs; : > out.txt; sleep 2; cat in.txt > out.txt', inputs: ['in.txt'], outputs: ['out.txt'] },
  }`
const lockFile = (p) =>
  join(p.dir, '.tasks', 'locks', `${taskLockKey({ name: 'slow', cwd: '.', outputs: ['out.txt'] })}.lock`)
const deadPid = () => spawnSync('true').pid

test('two processes at once: the task runs once, the other waits and finds it up to date', async () => {
  // The first process's command waits for the file \`go\`, written once the second process says it
  // waits for the lock: the two overlap however slow the machine is.
  const gated = config.replace('sleep 2', 'node gate.mjs')
  const gate = `import { existsSync } from 'node:fs'\nconst end = Date.now() + 60_000\nwhile (!existsSync('go') && Date.now() < end) await new Promise((r) => setTimeout(r, 20))\n`
  const p = project(gated, { 'in.txt': 'one\n', 'gate.mjs': gate })
  try {
    const first = startCli(p.dir, ['slow', '--json'])
    await waitFor(() => p.exists('runs'), 'the first process to start the command')
    const second = startCli(p.dir, ['slow', '--json'])
    await waitFor(
      () => /another `tasks` process/.test(second.out()),
      'the second process to wait for the lock',
      30_000,
      second,
    )
    p.write('go', '')
    const rb = await second.done
    const b = { ...rb, status: Object.fromEntries(JSON.parse(rb.stdout).tasks.map((t) => [t.name, t.status])) }
    const ra = await first.done
    const a = { ...ra, status: Object.fromEntries(JSON.parse(ra.stdout).tasks.map((t) => [t.name, t.status])) }
    assert.is(a.code, 0, dump(a))
    assert.is(b.code, 0, dump(b))
    assert.is(count(p.path('runs')), 1, `the command ran in both processes:\n${dump(a)}\n${dump(b)}`)
    assert.is(a.status.slow, 'ran')
    assert.is(b.status.slow, 'up-to-date', dump(b))
    assert.match(
      b.stderr,
      new RegExp(`another \`tasks\` process \\(pid ${first.child.pid}\\) is running this task`),
      dump(b),
    )
    assert.is(p.read('out.txt'), 'one\n')
    assert.equal(readdirSync(join(p.dir, '.tasks', 'locks')), [], 'locks left behind')
  } finally {
    p.cleanup()
  }
})

for (const [what, content, old] of [
  ['a dead pid', () => JSON.stringify({ pid: deadPid(), start: '1', task: 'slow', since: Date.now() }), false],
  [
    'a reused pid (alive, other start time)',
    () => JSON.stringify({ pid: process.pid, start: '1', task: 'slow', since: Date.now() }),
    false,
  ],
  ['garbage content, older than 2 s', () => '{"pid": "../../etc"', true],
  ['an empty file, older than 2 s', () => '', true],
]) {
  test(`a stale lock (${what}) is taken over`, async () => {
    const p = project(config, { 'in.txt': 'one\n' })
    try {
      mkdirSync(join(p.dir, '.tasks', 'locks'), { recursive: true })
      writeFileSync(lockFile(p), content())
      if (old) utimesSync(lockFile(p), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
      const r = await tasksJson(p.dir, ['slow'])
      assert.is(r.code, 0, dump(r))
      assert.is(r.status.slow, 'ran')
      assert.not.match(r.stderr, /another `tasks` process/, dump(r))
      assert.not.ok(existsSync(lockFile(p)), 'the lock should be released')
    } finally {
      p.cleanup()
    }
  })
}

test("a live owner's lock is waited for; the task runs once it is released", async () => {
  const p = project(config, { 'in.txt': 'one\n' })
  try {
    mkdirSync(join(p.dir, '.tasks', 'locks'), { recursive: true })
    // The test process itself holds the lock, as another `tasks` would.
    writeFileSync(
      lockFile(p),
      JSON.stringify({
        pid: process.pid,
        start: processStartTime(process.pid) ?? 'unknown',
        task: 'slow',
        since: Date.now(),
      }),
    )
    const { child, done } = startCli(p.dir, ['slow'])
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    await waitFor(() => err.includes(`another \`tasks\` process (pid ${process.pid})`), 'the waiting warning')
    assert.is(count(p.path('runs')), 0, 'the task ran while another process held its lock')
    rmSync(lockFile(p))
    const r = await done
    assert.is(r.code, 0, dump(r))
    assert.is(count(p.path('runs')), 1)
  } finally {
    p.cleanup()
  }
})

test('SIGINT while waiting for a lock: exit 130, the task is not run', async () => {
  const p = project(config, { 'in.txt': 'one\n' })
  try {
    mkdirSync(join(p.dir, '.tasks', 'locks'), { recursive: true })
    writeFileSync(
      lockFile(p),
      JSON.stringify({
        pid: process.pid,
        start: processStartTime(process.pid) ?? 'unknown',
        task: 'slow',
        since: Date.now(),
      }),
    )
    const { child, done } = startCli(p.dir, ['slow'])
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    await waitFor(() => err.includes('another `tasks` process'), 'the waiting warning')
    child.kill('SIGINT')
    const r = await done
    assert.is(r.code, 130, dump(r))
    assert.is(count(p.path('runs')), 0)
    assert.ok(existsSync(lockFile(p)), "the other owner's lock must stay")
  } finally {
    p.cleanup()
  }
})

test('put refuses an output that changes while it is stored: no cache entry, a warning', async () => {
  // The command leaves a writer appending to its 40 MB output after it exits.
  const p = project(
    `{
    grow: {
      shell: 'sh', run: 'head -c 40000000 /dev/zero > big.bin; (while :; do echo x >> big.bin; done) >/dev/null 2>&1 & echo $! > writer.pid',
      inputs: ['in.txt'],
      outputs: ['big.bin'],
    },
  }`,
    { 'in.txt': 'x' },
  )
  let writer
  try {
    const r = await tasksJson(p.dir, ['grow'])
    writer = Number(p.read('writer.pid'))
    assert.is(r.code, 0, dump(r))
    assert.match(r.stderr, /output `big.bin` changed while it was being stored/, dump(r))
    const ac = join(p.dir, '.tasks', 'ac')
    assert.equal(existsSync(ac) ? readdirSync(ac) : [], [], 'an entry was stored for a changing output')
  } finally {
    if (writer)
      try {
        process.kill(-writer, 'SIGKILL')
      } catch {
        try {
          process.kill(writer, 'SIGKILL')
        } catch {}
      }
    p.cleanup()
  }
})

test.run()
