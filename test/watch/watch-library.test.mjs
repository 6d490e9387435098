// The library's watch(): the same run events plus watch:ready / watch:change, one RunResult per
// run, and a clean end once the signal aborts (a service it kept is stopped).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, count, alive, LIB_URL, eventually, freePort } from '../rig.mjs'

test('watch({ config, tasks, signal, onEvent }): a run, a change, a rerun, then stops with its services', async () => {
  const lib = await import(LIB_URL)
  const port = await freePort()
  const p = project(
    `{
    server: { run: 'node server.mjs', inputs: ['server.mjs'], service: { readyWhen: { port: ${port} } } },
    build: { run: 'node count.mjs', inputs: ['src/**'], deps: ['server'] },
  }`,
    {
      'count.mjs': `import { appendFileSync } from 'node:fs'\nappendFileSync('counts', 'x\\n')\n`,
      'server.mjs': `import { createServer } from 'node:net'\nimport { writeFileSync } from 'node:fs'\nwriteFileSync('server.pid', String(process.pid))\ncreateServer(() => {}).listen(${port}, '127.0.0.1')\n`,
      'src/a.txt': 'a',
    },
  )
  const ac = new AbortController()
  const events = []
  try {
    const config = await lib.loadConfig({ cwd: p.dir })
    const done = lib.watch({ config, tasks: ['build'], signal: ac.signal, onEvent: (e) => events.push(e) })
    const ends = () => events.filter((e) => e.type === 'run:end').length
    await eventually(() => ends() === 1, 'the first run', 60_000)
    assert.ok(
      events.some((e) => e.type === 'watch:ready' && e.paths.includes('src')),
      JSON.stringify(events.filter((e) => e.type === 'watch:ready')),
    )
    assert.ok(events.some((e) => e.type === 'task:ready' && e.task === 'server'))
    const pid = Number(p.read('server.pid'))
    assert.ok(alive(pid), 'the service runs between runs')

    p.write('src/a.txt', 'b')
    await eventually(() => ends() === 2, 'the rerun', 60_000)
    const change = events.find((e) => e.type === 'watch:change')
    assert.equal(change.files, ['src/a.txt'])
    assert.is(change.config, false)
    assert.is(count(p.path('counts')), 2)
    assert.is(Number(p.read('server.pid')), pid, 'the service was kept')

    ac.abort()
    const result = await done
    assert.is(result.runs.length, 2)
    assert.equal(
      result.runs.map((r) => r.tasks.find((t) => t.name === 'build').status),
      ['ran', 'ran'],
    )
    assert.equal(
      result.runs.map((r) => r.tasks.find((t) => t.name === 'server').status),
      ['ran', 'up-to-date'],
    )
    assert.not.ok(alive(pid), 'the service is stopped once watch() resolved')
  } finally {
    ac.abort()
    p.cleanup()
  }
})

test.run()
