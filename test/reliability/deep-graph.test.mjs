// A dependency chain 5,000 tasks deep: loading, --list, --graph, --dry-run and a real run (twice)
// must not overflow the call stack (the graph walks are iterative).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fixture, tasks, tasksJson, dump } from '../rig.mjs'

const N = 5000
const config = `const tasks = {}
for (let i = 0; i < ${N}; i++) tasks['t' + i] = { run: async () => {}, inputs: [], deps: i ? ['t' + (i - 1)] : [] }
export default { tasks }
`
const last = `t${N - 1}`
const TIMEOUT = { timeoutMs: 180_000 }

test(`a chain ${N} deep: --list, --graph, --dry-run and two runs`, async () => {
  const p = fixture({ 'tasks.config.mjs': config })
  try {
    let r = await tasks(p.dir, ['--list'], TIMEOUT)
    assert.is(r.code, 0, dump(r))
    assert.is(r.stdout.trim().split('\n').length, N + 1)

    r = await tasks(p.dir, [last, '--graph', 'dot'], TIMEOUT)
    assert.is(r.code, 0, dump(r))
    assert.is((r.stdout.match(/ -> /g) ?? []).length, N - 1)

    r = await tasksJson(p.dir, ['--dry-run', last], TIMEOUT)
    assert.is(r.code, 0, dump(r))
    assert.is(r.json.tasks.length, N)
    assert.is(r.json.tasks[0].name, 't0')
    assert.is(r.json.tasks[N - 1].name, last)

    r = await tasksJson(p.dir, [last], TIMEOUT)
    assert.is(r.code, 0, dump(r))
    assert.ok(
      Object.values(r.status).every((s) => s === 'ran'),
      'every task ran',
    )
    assert.not.match(r.stderr, /Maximum call stack|internal error/)

    r = await tasksJson(p.dir, [last], TIMEOUT)
    assert.is(r.code, 0, dump(r))
    assert.ok(
      Object.values(r.status).every((s) => s === 'up-to-date'),
      'every task up to date',
    )
  } finally {
    p.cleanup()
  }
})

test(`a cycle at the end of a chain ${N} deep is named`, async () => {
  const p = fixture({
    'tasks.config.mjs': config.replace("deps: i ? ['t' + (i - 1)] : []", `deps: i ? ['t' + (i - 1)] : ['${last}']`),
  })
  try {
    const r = await tasks(p.dir, ['--list'], TIMEOUT)
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, new RegExp(`dependency cycle: t0 -> ${last} -> t${N - 2} -> `))
    assert.not.match(r.stderr, /Maximum call stack|internal error/)
  } finally {
    p.cleanup()
  }
})

test.run()
