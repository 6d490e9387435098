// The library API in-process: loadConfig + run, typed events in order, abort without exiting,
// function tasks and their returned values.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { project, tasksJson, dump, count, waitFor, acEntries, LIB_URL } from '../rig.mjs'

const lib = await import(LIB_URL)
const report = await import(new URL('doors/report.js', LIB_URL).href)

const config = `{
    gen: { run: 'echo GEN-OUT && echo x > gen.out', inputs: [], outputs: ['gen.out'] },
    build: { run: 'echo BUILD-OUT', deps: ['gen'], inputs: ['gen.out'] },
  }`

test('loadConfig + run: events in order, run:start first, run:end last, per task start < output < end', async () => {
  const p = project(config, {}, { ts: true })
  try {
    const conf = await lib.loadConfig({ cwd: p.dir })
    assert.is(conf.root, p.dir)
    assert.ok(conf.tasks.has('build'))
    const events = []
    const result = await lib.run({ config: conf, tasks: ['build'], onEvent: (e) => events.push(e) })
    assert.is(result.ok, true, JSON.stringify(result))
    const types = events.map((e) => e.type)
    assert.is(types[0], 'run:start')
    assert.is(types.at(-1), 'run:end')
    assert.is(types.filter((t) => t === 'run:start').length, 1)
    assert.is(types.filter((t) => t === 'run:end').length, 1)
    assert.equal(events[0].tasks, ['gen', 'build'])
    for (const task of ['gen', 'build']) {
      const idx = (pred) => events.findIndex((e) => e.task === task && pred(e))
      const start = idx((e) => e.type === 'task:start')
      const out = idx((e) => e.type === 'task:output')
      const end = idx((e) => e.type === 'task:end')
      assert.ok(start > 0 && start < out && out < end, `${task}: start ${start} output ${out} end ${end}`)
      assert.is(events[end].status, 'ran')
    }
    // gen ends before build starts
    const genEnd = events.findIndex((e) => e.type === 'task:end' && e.task === 'gen')
    const buildStart = events.findIndex((e) => e.type === 'task:start' && e.task === 'build')
    assert.ok(genEnd < buildStart)
    const out = events.find((e) => e.type === 'task:output' && e.task === 'gen')
    assert.match(out.text, /GEN-OUT/)
    assert.is(out.replay, false)
    for (const e of events) assert.type(e.time, 'number')
    const end = events.at(-1)
    assert.is(end.summary.ran, 2)
    assert.equal(result.summary, end.summary)
  } finally {
    p.cleanup()
  }
})

test('a cache hit replays the log as a task:output event with replay: true', async () => {
  const p = project(config)
  try {
    const conf = await lib.loadConfig({ cwd: p.dir })
    assert.ok((await lib.run({ config: conf, tasks: ['gen'] })).ok)
    const { rmSync } = await import('node:fs')
    rmSync(p.path('gen.out'))
    const events = []
    const r = await lib.run({ config: conf, tasks: ['gen'], onEvent: (e) => events.push(e) })
    assert.is(r.tasks[0].status, 'cache-hit')
    const replay = events.find((e) => e.type === 'task:output')
    assert.ok(replay, 'no output event on a cache hit')
    assert.is(replay.replay, true)
    assert.match(replay.text, /GEN-OUT/)
  } finally {
    p.cleanup()
  }
})

test('the library does not write to stdout', async () => {
  const p = project(config)
  const write = process.stdout.write
  let written = ''
  try {
    const conf = await lib.loadConfig({ cwd: p.dir })
    process.stdout.write = (chunk, ...rest) => {
      written += chunk
      return true
    }
    await lib.run({ config: conf, tasks: ['build'] })
  } finally {
    process.stdout.write = write
    p.cleanup()
  }
  assert.is(written, '')
})

test('aborting with an AbortController: interrupted: true, the process keeps running, nothing stored', async () => {
  const p = project(`{
    hang: { shell: 'sh', run: 'sleep 1000 & echo $! > gpid; wait', inputs: [] },
    after: { run: 'echo ran >> runs', deps: ['hang'], inputs: [] },
  }`)
  try {
    const conf = await lib.loadConfig({ cwd: p.dir })
    const ac = new AbortController()
    const events = []
    const pending = lib.run({ config: conf, tasks: ['after'], signal: ac.signal, onEvent: (e) => events.push(e) })
    const gpid = await waitFor(
      () => existsSync(p.path('gpid')) && Number(readFileSync(p.path('gpid'), 'utf8').trim()),
      'grandchild pid',
    )
    ac.abort()
    const result = await pending
    // still here: the library did not exit the process
    assert.is(result.interrupted, true)
    assert.is(result.ok, false)
    assert.is(result.summary.interrupted, true)
    const hang = result.tasks.find((t) => t.name === 'hang')
    assert.is(hang.status, 'interrupted')
    assert.is(hang.reason.code, 'interrupted')
    assert.is(hang.runReason.code, 'no-previous-run', JSON.stringify(hang))
    assert.is(report.formatReason(hang.reason), 'interrupted')
    const after = result.tasks.find((t) => t.name === 'after')
    assert.is(after.status, 'skipped')
    assert.is(after.reason.code, 'run-interrupted')
    assert.is(result.summary.interruptedTasks, 1)
    assert.is(count(p.path('runs')), 0)
    assert.is(events.at(-1).type, 'run:end')
    assert.is(acEntries(p.dir).length, 0)
    await waitFor(
      () => {
        try {
          process.kill(gpid, 0)
        } catch {
          return true
        }
        const stat = readFileSync(`/proc/${gpid}/stat`, 'utf8')
        return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z'
      },
      `grandchild ${gpid} to be killed`,
      5000,
    )
  } finally {
    p.cleanup()
  }
})

test('an already-aborted signal runs nothing', async () => {
  const p = project(`{ t: { run: 'echo ran >> runs' } }`)
  try {
    const conf = await lib.loadConfig({ cwd: p.dir })
    const r = await lib.run({ config: conf, tasks: ['t'], signal: AbortSignal.abort() })
    assert.is(r.interrupted, true)
    assert.is(count(p.path('runs')), 0)
  } finally {
    p.cleanup()
  }
})

const fnConfig = `{
    fn: {
      inputs: [],
      run: async (ctx) => { await ctx.exec('echo hi'); ctx.log('LOGGED-BY-CTX\\n'); return { n: 1, root: ctx.root === process.cwd() || true } },
    },
  }`

test('a function task: value in tasks[].value, its exec output in the log, value back on up to date', async () => {
  const p = project(fnConfig, {}, { ts: true })
  try {
    const conf = await lib.loadConfig({ cwd: p.dir })
    const events = []
    const r1 = await lib.run({ config: conf, tasks: ['fn'], onEvent: (e) => events.push(e) })
    assert.is(r1.ok, true, JSON.stringify(r1))
    assert.is(r1.tasks[0].status, 'ran')
    assert.equal(r1.tasks[0].value, { n: 1, root: true })
    const text = events
      .filter((e) => e.type === 'task:output')
      .map((e) => e.text)
      .join('')
    assert.match(text, /hi/)
    assert.match(text, /LOGGED-BY-CTX/)
    const r2 = await lib.run({ config: conf, tasks: ['fn'] })
    assert.is(r2.tasks[0].status, 'up-to-date')
    assert.equal(r2.tasks[0].value, { n: 1, root: true })
  } finally {
    p.cleanup()
  }
})

test('a function task through the CLI: value in --json, on ran and on up to date', async () => {
  const p = project(fnConfig, {}, { ts: true })
  try {
    const r1 = await tasksJson(p.dir, ['fn'])
    assert.is(r1.code, 0, dump(r1))
    assert.equal(r1.task('fn').value, { n: 1, root: true })
    assert.match(r1.stderr, /\[fn\] hi/)
    const r2 = await tasksJson(p.dir, ['fn'])
    assert.is(r2.task('fn').status, 'up-to-date', dump(r2))
    assert.equal(r2.task('fn').value, { n: 1, root: true }, dump(r2))
  } finally {
    p.cleanup()
  }
})

test('a function task: editing its source invalidates; a `version` key pins it', async () => {
  const p = project(`{ fn: { inputs: [], run: async () => ({ v: 'one' }) } }`)
  try {
    assert.is((await tasksJson(p.dir, ['fn'])).status.fn, 'ran')
    p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace("'one'", "'two'"))
    const r = await tasksJson(p.dir, ['fn'])
    assert.is(r.status.fn, 'ran', dump(r))
    assert.equal(r.task('fn').value, { v: 'two' })
  } finally {
    p.cleanup()
  }
})

test('unknown task through the library: a TasksError with code unknown-task', async () => {
  const p = project(config)
  try {
    const conf = await lib.loadConfig({ cwd: p.dir })
    try {
      await lib.run({ config: conf, tasks: ['nope'] })
      assert.unreachable('should throw')
    } catch (err) {
      assert.instance(err, lib.TasksError)
      assert.is(err.code, 'unknown-task')
    }
  } finally {
    p.cleanup()
  }
})

test.run()
