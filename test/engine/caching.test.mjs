// Up to date, invalidation through the dependency chain, and the three meanings of `inputs`.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, tasksJson, dump, count } from '../rig.mjs'

const chain = `{
    a: { run: 'cat a.txt > a.out && echo ran >> runs-a', inputs: ['a.txt'], outputs: ['a.out'] },
    b: { run: 'cat a.out b.txt > b.out && echo ran >> runs-b', deps: ['a'], inputs: ['a.out', 'b.txt'], outputs: ['b.out'] },
    c: { run: 'cat b.out c.txt > c.out && echo ran >> runs-c', deps: ['b'], inputs: ['b.out', 'c.txt'], outputs: ['c.out'] },
    d: { run: 'cat d.txt > d.out && echo ran >> runs-d', inputs: ['d.txt'], outputs: ['d.out'] },
    all: { deps: ['c', 'd'] },
  }`
const files = { 'a.txt': 'A\n', 'b.txt': 'B\n', 'c.txt': 'C\n', 'd.txt': 'D\n' }

test('second run with nothing changed: every task up to date, nothing runs', async () => {
  const p = project(chain, files, { ts: true })
  try {
    const first = await tasksJson(p.dir, ['all'])
    assert.is(first.code, 0, dump(first))
    for (const t of ['a', 'b', 'c', 'd']) assert.is(first.status[t], 'ran', `${t}: ${dump(first)}`)
    assert.is(p.read('c.out'), 'A\nB\nC\n')
    const second = await tasksJson(p.dir, ['all'])
    assert.is(second.code, 0, dump(second))
    for (const t of ['a', 'b', 'c', 'd', 'all']) assert.is(second.status[t], 'up-to-date', `${t}: ${dump(second)}`)
    assert.is(second.json.summary.upToDate, 5)
    assert.is(second.json.summary.ran, 0)
    for (const t of ['a', 'b', 'c', 'd']) assert.is(count(p.path(`runs-${t}`)), 1, `runs-${t}`)
  } finally {
    p.cleanup()
  }
})

test('changing a.txt reruns a and its dependents b, c; d stays up to date', async () => {
  const p = project(chain, files)
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    p.write('a.txt', 'A2\n')
    const r = await tasksJson(p.dir, ['all'])
    assert.is(r.code, 0, dump(r))
    assert.equal(
      { a: r.status.a, b: r.status.b, c: r.status.c, d: r.status.d },
      { a: 'ran', b: 'ran', c: 'ran', d: 'up-to-date' },
      dump(r),
    )
    assert.match(r.task('a').reason, /a\.txt/)
    assert.is(p.read('c.out'), 'A2\nB\nC\n')
    assert.is(count(p.path('runs-d')), 1)
    assert.is(count(p.path('runs-a')), 2)
  } finally {
    p.cleanup()
  }
})

test('changing c.txt reruns only c (its dependencies stay up to date)', async () => {
  const p = project(chain, files)
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    p.write('c.txt', 'C2\n')
    const r = await tasksJson(p.dir, ['all'])
    assert.equal(
      { a: r.status.a, b: r.status.b, c: r.status.c, d: r.status.d },
      { a: 'up-to-date', b: 'up-to-date', c: 'ran', d: 'up-to-date' },
      dump(r),
    )
    assert.is(p.read('c.out'), 'A\nB\nC2\n')
  } finally {
    p.cleanup()
  }
})

test('inputs omitted: the task always runs', async () => {
  const p = project(`{ phony: { run: 'echo ran >> runs' } }`)
  try {
    const r1 = await tasksJson(p.dir, ['phony'])
    const r2 = await tasksJson(p.dir, ['phony'])
    assert.is(r1.status.phony, 'ran', dump(r1))
    assert.is(r2.status.phony, 'ran', dump(r2))
    assert.is(count(p.path('runs')), 2)
  } finally {
    p.cleanup()
  }
})

test('inputs: [] is cached on the definition alone', async () => {
  const p = project(`{ gen: { run: 'echo ran >> runs && echo x > gen.out', inputs: [], outputs: ['gen.out'] } }`, {
    'other.txt': '1',
  })
  try {
    assert.is((await tasksJson(p.dir, ['gen'])).status.gen, 'ran')
    p.write('other.txt', '2')
    const r = await tasksJson(p.dir, ['gen'])
    assert.is(r.status.gen, 'up-to-date', dump(r))
    assert.is(count(p.path('runs')), 1)
  } finally {
    p.cleanup()
  }
})

test('changing the command text invalidates the fingerprint', async () => {
  const p = project(`{ gen: { run: 'echo one > gen.out', inputs: [], outputs: ['gen.out'] } }`)
  try {
    assert.is((await tasksJson(p.dir, ['gen'])).status.gen, 'ran')
    assert.is((await tasksJson(p.dir, ['gen'])).status.gen, 'up-to-date')
    p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace('echo one', 'echo two'))
    const r = await tasksJson(p.dir, ['gen'])
    assert.is(r.status.gen, 'ran', dump(r))
    assert.is(p.read('gen.out'), 'two\n')
  } finally {
    p.cleanup()
  }
})

test('a changed command on a dependency reruns the dependent too', async () => {
  const p = project(`{
    lib: { run: 'echo v1 > lib.out', inputs: [], outputs: ['lib.out'] },
    app: { run: 'cat lib.out > app.out', deps: ['lib'], inputs: [], outputs: ['app.out'] },
  }`)
  try {
    assert.is((await tasksJson(p.dir, ['app'])).code, 0)
    p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace('echo v1', 'echo v2'))
    const r = await tasksJson(p.dir, ['app'])
    assert.equal(r.status, { lib: 'ran', app: 'ran' }, dump(r))
    assert.is(p.read('app.out'), 'v2\n')
  } finally {
    p.cleanup()
  }
})

test.run()
