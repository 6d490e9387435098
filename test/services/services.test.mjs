// Services end to end with the real CLI: each readiness kind (line, url, port, command) holds before
// the dependent starts (it connects over 127.0.0.1), and the service's whole tree is gone after the
// run; a readiness timeout fails with the last 20 log lines; an early exit fails the dependents with
// its exit code; run directly it runs until Ctrl-C; `tasks --watch dev` restarts the service only
// when its own inputs change.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { project, tasks, tasksJson, dump, count, alive, sleep, startWatch, eventually, freePort } from '../rig.mjs'

const SERVER = `import { createServer } from 'node:http'
import { spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs'
const port = Number(process.env.PORT)
// CONF: answer with that file's content as read at start-up (a restarted service answers anew).
const answer = process.env.CONF ? 'hello ' + readFileSync(process.env.CONF, 'utf8') : 'hello'
// A grandchild, to check that the whole tree is stopped.
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
mkdirSync('pids', { recursive: true })
appendFileSync('pids/starts', process.pid + ' ' + child.pid + '\\n')
for (let i = 1; i <= Number(process.env.LINES ?? 0); i++) console.log('line ' + i)
if (process.env.EXIT) setTimeout(() => { console.log('ready'); setTimeout(() => process.exit(Number(process.env.EXIT)), 300) }, 100)
else if (!process.env.NEVER) setTimeout(() => createServer((q, s) => s.end(answer)).listen(port, '127.0.0.1', () => console.log('listening on ' + port)), 500)
setInterval(() => {}, 1000)
`
const CLIENT = `import { appendFileSync, writeFileSync } from 'node:fs'
const r = await fetch('http://127.0.0.1:' + process.env.PORT)
writeFileSync('result.txt', await r.text())
if (process.env.WAIT) await new Promise((r) => setTimeout(r, Number(process.env.WAIT)))
`
const PROBE = `import { connect } from 'node:net'
const s = connect({ host: '127.0.0.1', port: Number(process.argv[2]) })
s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(1))
`
const FILES = { 'server.mjs': SERVER, 'client.mjs': CLIENT, 'probe.mjs': PROBE }

function pids(p) {
  return existsSync(p.path('pids/starts'))
    ? readFileSync(p.path('pids/starts'), 'utf8').trim().split(/\s+/).map(Number)
    : []
}

async function allGone(list, p) {
  await eventually(() => list.every((pid) => !alive(pid)), `processes ${list} to be gone`, 10_000).catch(() => {})
  for (const pid of list) assert.not.ok(alive(pid), `process ${pid} of the service tree still runs`)
}

for (const kind of ['lineMatches', 'url', 'port', 'command']) {
  test(`readyWhen.${kind}: the dependent connects once the service is ready; the tree is gone after the run`, async () => {
    const port = await freePort()
    const readyWhen = {
      lineMatches: { lineMatches: 'listening on \\d+' },
      url: { url: `http://127.0.0.1:${port}/` },
      port: { port },
      command: { command: `node probe.mjs ${port}` },
    }[kind]
    const p = project(
      `{
      server: { run: 'node server.mjs', service: { readyWhen: ${JSON.stringify(readyWhen)}, timeoutMs: 30000 }, setEnv: { PORT: '${port}' } },
      client: { run: 'node client.mjs', deps: ['server'], setEnv: { PORT: '${port}' } },
    }`,
      FILES,
    )
    try {
      const r = await tasksJson(p.dir, ['client'])
      assert.is(r.code, 0, dump(r))
      assert.is(r.status.client, 'ran', dump(r))
      assert.is(r.status.server, 'ran', dump(r))
      assert.is(p.read('result.txt'), 'hello')
      const list = pids(p)
      assert.is(list.length, 2)
      await allGone(list, p)
      // Never cached: a second run starts it again.
      const again = await tasksJson(p.dir, ['client'])
      assert.is(again.code, 0, dump(again))
      assert.is(pids(p).length, 4)
      await allGone(pids(p), p)
    } finally {
      for (const pid of pids(p)) if (alive(pid)) process.kill(pid, 'SIGKILL')
      p.cleanup()
    }
  })
}

test('a readiness timeout fails clearly, with the last 20 log lines, and stops the tree', async () => {
  // 5 s: the server's start-up and its 25 lines must fit before the deadline on a loaded machine.
  const port = await freePort()
  const p = project(
    `{
    server: { run: 'node server.mjs', service: { readyWhen: { port: ${port} }, timeoutMs: 5000 }, setEnv: { PORT: '${port}', NEVER: '1', LINES: '25' } },
    client: { run: 'node client.mjs', deps: ['server'], setEnv: { PORT: '${port}' } },
  }`,
    FILES,
  )
  try {
    const r = await tasks(p.dir, ['client'])
    assert.is(r.code, 1, dump(r))
    assert.match(r.stderr, /service `server` was not ready after 5000 ms \(waiting for port \d+\)/)
    assert.match(r.stderr, /last 20 lines of its log:/)
    assert.match(r.stderr, /\[server\]\s+line 25\n/)
    assert.match(r.stderr, /\[server\]\s+line 6\n/)
    assert.match(r.stderr, /\[client\] skipped: dependency `server` failed/)
    assert.not.ok(existsSync(p.path('result.txt')))
    await allGone(pids(p), p)
  } finally {
    for (const pid of pids(p)) if (alive(pid)) process.kill(pid, 'SIGKILL')
    p.cleanup()
  }
})

test('a service that exits early fails its running dependent with its exit code', async () => {
  const port = await freePort()
  const other = await freePort()
  // The dependent talks to a second, always-up instance so that only the service's exit can fail it.
  const p = project(
    `{
    up: { run: 'node server.mjs', service: { readyWhen: { port: ${other} } }, setEnv: { PORT: '${other}' } },
    crash: { run: 'node server.mjs', service: { readyWhen: { lineMatches: '^ready$' } }, setEnv: { PORT: '${port}', EXIT: '3' } },
    client: { run: 'node client.mjs', deps: ['crash', 'up'], setEnv: { PORT: '${other}', WAIT: '5000' } },
  }`,
    FILES,
  )
  try {
    const r = await tasksJson(p.dir, ['client'])
    assert.is(r.code, 1, dump(r))
    assert.is(r.status.crash, 'failed', dump(r))
    assert.is(r.task('crash').exitCode, 3)
    assert.is(r.status.client, 'failed', dump(r))
    assert.is(r.task('client').exitCode, 3, dump(r))
    assert.match(r.task('client').reason, /service `crash` exited with code 3/)
    await allGone(pids(p), p)
  } finally {
    for (const pid of pids(p)) if (alive(pid)) process.kill(pid, 'SIGKILL')
    p.cleanup()
  }
})

test('run directly, a service runs until Ctrl-C, then its tree is gone', async () => {
  const port = await freePort()
  const p = project(
    `{ server: { run: 'node server.mjs', service: { readyWhen: { port: ${port} } }, setEnv: { PORT: '${port}' } } }`,
    FILES,
  )
  const w = startWatch(p.dir, ['server'])
  try {
    await eventually(() => /\[server\] ready \(port \d+\)/.test(w.out()), 'the service to be ready', 30_000, w)
    await sleep(1000)
    assert.is(w.child.exitCode, null, 'it keeps running')
    const r = await w.stop()
    assert.is(r.code, 130, r.out)
    await allGone(pids(p), p)
  } finally {
    await w.stop()
    for (const pid of pids(p)) if (alive(pid)) process.kill(pid, 'SIGKILL')
    p.cleanup()
  }
})

test('tasks --watch dev (a service and a build): the build reruns on its edits, the service restarts only on its own, the dependent talks to it; Ctrl-C stops the tree', async () => {
  const port = await freePort()
  const p = project(
    `{
    server: { run: 'node server.mjs', inputs: ['server/**', 'server.mjs'], service: { readyWhen: { port: ${port} } }, setEnv: { PORT: '${port}', CONF: 'server/conf.txt' } },
    build: { run: 'node count.mjs build', inputs: ['src/**'] },
    dev: { run: 'node client.mjs', inputs: ['client.mjs'], outputs: ['result.txt'], deps: ['server', 'build'], setEnv: { PORT: '${port}' } },
  }`,
    {
      ...FILES,
      'count.mjs': `import { appendFileSync, mkdirSync } from 'node:fs'\nmkdirSync('counts', { recursive: true })\nappendFileSync('counts/' + process.argv[2], 'x\\n')\n`,
      'src/a.txt': 'a',
      'server/conf.txt': '1',
    },
  )
  const w = startWatch(p.dir, ['--watch', 'dev'])
  try {
    await eventually(() => w.iterations() === 1, 'the first run', 60_000, w)
    assert.is(pids(p).length, 2, w.out())
    const [first, firstChild] = pids(p)
    assert.ok(alive(first))
    // dev ran after the service was ready, over 127.0.0.1.
    assert.is(p.read('result.txt'), 'hello 1', w.out())
    assert.is(count(p.path('counts/build')), 1)
    // The service writes pids/starts while build runs beside it: never blamed on build alone.
    assert.not.match(w.out(), /warning \[(build|dev)\]: wrote [^\n]*pids\/starts/)

    p.write('src/a.txt', 'b')
    await eventually(() => w.iterations() === 2, 'the rerun after a build input edit', 60_000, w)
    assert.is(count(p.path('counts/build')), 2)
    assert.is(pids(p).length, 2, `the service must not restart: ${w.out()}`)
    assert.ok(alive(first) && alive(firstChild), 'the first service tree still runs')
    assert.match(w.line(2), /changed: src\/a\.txt \| reran: build, dev \|/)
    assert.is(p.read('result.txt'), 'hello 1')

    p.write('server/conf.txt', '2')
    await eventually(() => w.iterations() === 3, 'the rerun after a service input edit', 60_000, w)
    assert.is(pids(p).length, 4, w.out())
    assert.is(count(p.path('counts/build')), 2, 'build must not rerun')
    await allGone([first, firstChild], p)
    assert.match(w.out(), /\[server\] run: input changed: server\/conf\.txt/)
    assert.match(w.line(3), /reran: (server, dev|dev, server) \|/)
    // dev reran against the restarted service (it answers with the new content).
    assert.is(p.read('result.txt'), 'hello 2', w.out())

    const r = await w.stop()
    assert.is(r.code, 130, r.out)
    assert.is(pids(p).length, 4)
    await allGone(pids(p), p)
  } finally {
    await w.stop()
    for (const pid of pids(p)) if (alive(pid)) process.kill(pid, 'SIGKILL')
    p.cleanup()
  }
})

test.run()
