// Parallelism: intervals recorded by the tasks themselves overlap (or not); never wall-clock totals.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, tasksJson, dump } from '../rig.mjs'

// stamp.mjs NAME MS: writes NAME.start, waits MS, writes NAME.end (Date.now in ms)
const stamp = `import { writeFileSync } from 'node:fs'
const [name, ms] = process.argv.slice(2)
writeFileSync(name + '.start', String(Date.now()))
await new Promise((r) => setTimeout(r, Number(ms)))
writeFileSync(name + '.end', String(Date.now()))
`
const config = `{
    one: { run: 'node stamp.mjs one 1000' },
    two: { run: 'node stamp.mjs two 1000' },
    both: { deps: ['one', 'two'] },
  }`

function interval(p, name) {
  return { start: Number(p.read(`${name}.start`)), end: Number(p.read(`${name}.end`)) }
}
const overlap = (a, b) => a.start < b.end && b.start < a.end

test('--concurrency 2: two independent tasks run at the same time', async () => {
  const p = project(config, { 'stamp.mjs': stamp })
  try {
    const r = await tasksJson(p.dir, ['both', '--concurrency', '2'])
    assert.is(r.code, 0, dump(r))
    const a = interval(p, 'one'),
      b = interval(p, 'two')
    assert.ok(overlap(a, b), `expected overlap: one ${JSON.stringify(a)} two ${JSON.stringify(b)}`)
  } finally {
    p.cleanup()
  }
})

test('--concurrency 1: the two tasks never overlap', async () => {
  const p = project(config, { 'stamp.mjs': stamp })
  try {
    const r = await tasksJson(p.dir, ['both', '--concurrency', '1'])
    assert.is(r.code, 0, dump(r))
    const a = interval(p, 'one'),
      b = interval(p, 'two')
    assert.not.ok(overlap(a, b), `expected no overlap: one ${JSON.stringify(a)} two ${JSON.stringify(b)}`)
  } finally {
    p.cleanup()
  }
})

test('config concurrency: 1 is honoured when the flag is absent', async () => {
  const p = project(config, { 'stamp.mjs': stamp })
  p.write(
    'tasks.config.mjs',
    p
      .read('tasks.config.mjs')
      .replace('export default defineConfig({', 'export default defineConfig({\n  concurrency: 1,'),
  )
  try {
    const r = await tasksJson(p.dir, ['both'])
    assert.is(r.code, 0, dump(r))
    assert.not.ok(overlap(interval(p, 'one'), interval(p, 'two')))
  } finally {
    p.cleanup()
  }
})

test('a dependent starts only after its dependency ended', async () => {
  const p = project(
    `{
    first: { run: 'node stamp.mjs first 300' },
    second: { run: 'node stamp.mjs second 10', deps: ['first'] },
  }`,
    { 'stamp.mjs': stamp },
  )
  try {
    const r = await tasksJson(p.dir, ['second', '--concurrency', '4'])
    assert.is(r.code, 0, dump(r))
    assert.ok(interval(p, 'first').end <= interval(p, 'second').start)
  } finally {
    p.cleanup()
  }
})

test('a task starts as soon as its own dependencies are done, not level by level', async () => {
  // slow and fast are independent; next depends on fast only: it must start while slow still runs
  const p = project(
    `{
    slow: { run: 'node stamp.mjs slow 3000' },
    fast: { run: 'node stamp.mjs fast 10' },
    next: { run: 'node stamp.mjs next 10', deps: ['fast'] },
    all: { deps: ['slow', 'next'] },
  }`,
    { 'stamp.mjs': stamp },
  )
  try {
    const r = await tasksJson(p.dir, ['all', '--concurrency', '3'])
    assert.is(r.code, 0, dump(r))
    const slow = interval(p, 'slow'),
      next = interval(p, 'next')
    assert.ok(
      next.start < slow.end,
      `next started after slow ended: slow ${JSON.stringify(slow)} next ${JSON.stringify(next)}`,
    )
  } finally {
    p.cleanup()
  }
})

test('--concurrency 0 and non-numbers are usage errors (exit 2)', async () => {
  const p = project(config, { 'stamp.mjs': stamp })
  try {
    const { tasks } = await import('./rig.mjs')
    for (const bad of ['0', 'abc']) {
      const r = await tasks(p.dir, ['both', '--concurrency', bad])
      assert.is(r.code, 2, dump(r))
      assert.match(r.stderr, /concurrency/)
    }
  } finally {
    p.cleanup()
  }
})

test.run()
