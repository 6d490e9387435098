// A damaged cache is a miss with a warning, never a crash: corrupt blobs, truncated entries
// (kill -9 mid-write), broken state files, tampered entries pointing outside the project.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync, readdirSync, rmSync, truncateSync, statSync, existsSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { project, tasksJson, dump, count, acEntries } from '../rig.mjs'

const config = `{
    build: { run: 'cat src.txt > out.txt && echo ran >> runs && echo BUILD-LOG', inputs: ['src.txt'], outputs: ['out.txt'] },
  }`

function blobs(dir) {
  const cas = join(dir, '.tasks', 'cas')
  const out = []
  ;(function walk(d) {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name))
      else out.push(join(d, e.name))
    }
  })(cas)
  return out
}
function flipBytes(file) {
  const b = readFileSync(file)
  for (let i = 0; i < b.length; i++) b[i] ^= 0xff
  if (b.length === 0) writeFileSync(file, 'x')
  else writeFileSync(file, b)
}
/** The cas path of the blob holding `out.txt` according to the only ac entry. */
function outputBlob(dir) {
  const [ac] = acEntries(dir)
  const entry = JSON.parse(readFileSync(ac, 'utf8'))
  const o = entry.outputs.find((x) => x.path === 'out.txt')
  return blobs(dir).find((b) => b.endsWith(o.hash))
}

test('a corrupt output blob: warning, the task runs again, output correct', async () => {
  const p = project(config, { 'src.txt': 'content-1\n' })
  try {
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    flipBytes(outputBlob(p.dir))
    rmSync(p.path('out.txt'))
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.build, 'ran', dump(r))
    assert.match(r.stderr, /warning/i)
    assert.match(r.stderr, /corrupt/, dump(r))
    assert.is(p.read('out.txt'), 'content-1\n')
    assert.is(count(p.path('runs')), 2)
  } finally {
    p.cleanup()
  }
})

test('every blob corrupt (log too): still a miss with a warning, no crash', async () => {
  const p = project(config, { 'src.txt': 'content-1\n' })
  try {
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    for (const b of blobs(p.dir)) flipBytes(b)
    rmSync(p.path('out.txt'))
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.build, 'ran', dump(r))
    assert.match(r.stderr, /corrupt/)
    assert.is(p.read('out.txt'), 'content-1\n')
  } finally {
    p.cleanup()
  }
})

test('after a corrupt blob was detected and the task re-ran, the cache is healed (next restore is a hit)', async () => {
  const p = project(config, { 'src.txt': 'content-1\n' })
  try {
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    flipBytes(outputBlob(p.dir))
    rmSync(p.path('out.txt'))
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    rmSync(p.path('out.txt'))
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.status.build, 'cache-hit', `the re-run should have replaced the corrupt blob: ${dump(r)}`)
    assert.is(p.read('out.txt'), 'content-1\n')
  } finally {
    p.cleanup()
  }
})

test('a truncated ac entry (kill -9 mid-write) is a miss: the task runs, no crash', async () => {
  const p = project(config, { 'src.txt': 'content-1\n' })
  try {
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    const [ac] = acEntries(p.dir)
    truncateSync(ac, Math.floor(statSync(ac).size / 2))
    rmSync(p.path('out.txt'))
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.build, 'ran', dump(r))
    assert.not.match(r.stderr, /internal error/)
    assert.is(p.read('out.txt'), 'content-1\n')
    // and the entry is whole again
    for (const f of acEntries(p.dir)) JSON.parse(readFileSync(f, 'utf8'))
  } finally {
    p.cleanup()
  }
})

test('an empty ac entry and a missing blob are misses too', async () => {
  const p = project(config, { 'src.txt': 'content-1\n' })
  try {
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    const blob = outputBlob(p.dir)
    rmSync(blob)
    rmSync(p.path('out.txt'))
    const r1 = await tasksJson(p.dir, ['build'])
    assert.is(r1.status.build, 'ran', dump(r1))
    const [ac] = acEntries(p.dir)
    writeFileSync(ac, '')
    rmSync(p.path('out.txt'))
    const r2 = await tasksJson(p.dir, ['build'])
    assert.is(r2.code, 0, dump(r2))
    assert.is(r2.status.build, 'ran', dump(r2))
  } finally {
    p.cleanup()
  }
})

test('truncated state files (last fingerprints, hash memo) do not crash the next run', async () => {
  const p = project(config, { 'src.txt': 'content-1\n' })
  try {
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    const state = p.path('.tasks/state')
    const files = []
    ;(function walk(d) {
      for (const e of readdirSync(d, { withFileTypes: true }))
        e.isDirectory() ? walk(join(d, e.name)) : files.push(join(d, e.name))
    })(state)
    assert.ok(files.length > 0, 'expected state files')
    for (const f of files) truncateSync(f, Math.floor(statSync(f).size / 2))
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.not.match(r.stderr, /internal error/)
    // the state is lost, but the cache still has the result: a hit (or a run) is fine, a crash is not
    assert.ok(['cache-hit', 'ran', 'up-to-date'].includes(r.status.build), dump(r))
    assert.is(p.read('out.txt'), 'content-1\n')
    const again = await tasksJson(p.dir, ['build'])
    assert.is(again.status.build, 'up-to-date', dump(again))
  } finally {
    p.cleanup()
  }
})

test('a tampered ac entry pointing outside the project is refused, nothing written outside', async () => {
  const p = project(config, { 'src.txt': 'content-1\n' })
  const victim = join(dirname(p.dir), `tasks-test-victim-${process.pid}.txt`)
  try {
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    const [ac] = acEntries(p.dir)
    const entry = JSON.parse(readFileSync(ac, 'utf8'))
    entry.outputs.push({ ...entry.outputs[0], path: `../${victim.split('/').pop()}` })
    writeFileSync(ac, JSON.stringify(entry))
    rmSync(p.path('out.txt'))
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.build, 'ran', dump(r))
    assert.not.ok(existsSync(victim), 'a restore wrote outside the project root')
    assert.match(r.stderr, /warning/i)
  } finally {
    rmSync(victim, { force: true })
    p.cleanup()
  }
})

test.run()
