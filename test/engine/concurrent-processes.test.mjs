// Two `tasks` processes on the same project at once: both succeed, the cache stays consistent.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { project, tasksJson, dump, acEntries } from '../rig.mjs'

const N = 6
// Each task writes its output atomically (temp + mv), so only the engine's own writes can race.
const tasksSrc = `{
${Array.from({ length: N }, (_, i) => `    t${i}: { run: 'sleep 0.${(i * 7) % 4}; cat src${i}.txt > out/t${i}.$$ && mv out/t${i}.$$ out/t${i}.txt', inputs: ['src${i}.txt'], outputs: ['out/t${i}.txt'] },`).join('\n')}
    all: { deps: [${Array.from({ length: N }, (_, i) => `'t${i}'`).join(', ')}] },
  }`
const files = Object.fromEntries(Array.from({ length: N }, (_, i) => [`src${i}.txt`, `content of ${i}\n`]))
files['out/.keep'] = ''

function allFiles(dir) {
  const out = []
  ;(function walk(d) {
    for (const e of readdirSync(d, { withFileTypes: true }))
      e.isDirectory() ? walk(join(d, e.name)) : out.push(join(d, e.name))
  })(dir)
  return out
}

for (let round = 1; round <= 3; round++) {
  test(`round ${round}: two CLIs at once both exit 0; a third run is all up to date or cache hits`, async () => {
    const p = project(tasksSrc, files)
    try {
      const [a, b] = await Promise.all([
        tasksJson(p.dir, ['all', '--concurrency', '3']),
        tasksJson(p.dir, ['all', '--concurrency', '3']),
      ])
      assert.is(a.code, 0, dump(a))
      assert.is(b.code, 0, dump(b))
      assert.not.match(a.stderr + b.stderr, /internal error|could not store/, dump(a) + dump(b))

      const c = await tasksJson(p.dir, ['all'])
      assert.is(c.code, 0, dump(c))
      for (let i = 0; i < N; i++) {
        assert.ok(['up-to-date', 'cache-hit'].includes(c.status[`t${i}`]), `t${i}: ${dump(c)}`)
        assert.is(p.read(`out/t${i}.txt`), `content of ${i}\n`)
      }
      assert.is(acEntries(p.dir).length, N)
      for (const f of acEntries(p.dir)) JSON.parse(readFileSync(f, 'utf8'))
      for (const f of allFiles(p.path('.tasks'))) if (f.endsWith('.json')) JSON.parse(readFileSync(f, 'utf8'))
      const leftovers = allFiles(p.path('.tasks')).filter((f) => f.endsWith('.tmp'))
      assert.equal(leftovers, [], 'temp files left behind')

      // and a fourth run, after the third settled the state, is entirely up to date
      const d = await tasksJson(p.dir, ['all'])
      for (let i = 0; i < N; i++) assert.is(d.status[`t${i}`], 'up-to-date', dump(d))
    } finally {
      p.cleanup()
    }
  })
}

test('two CLIs at once after a change: both see the change, the cache ends consistent', async () => {
  const p = project(tasksSrc, files)
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    for (let i = 0; i < N; i++) p.write(`src${i}.txt`, `changed ${i}\n`)
    const [a, b] = await Promise.all([tasksJson(p.dir, ['all']), tasksJson(p.dir, ['all'])])
    assert.is(a.code, 0, dump(a))
    assert.is(b.code, 0, dump(b))
    const c = await tasksJson(p.dir, ['all'])
    for (let i = 0; i < N; i++) {
      assert.ok(['up-to-date', 'cache-hit'].includes(c.status[`t${i}`]), dump(c))
      assert.is(p.read(`out/t${i}.txt`), `changed ${i}\n`)
    }
  } finally {
    p.cleanup()
  }
})

test.run()
