// Fingerprint modes: `mtime` reruns on a touch, `content` only on a real change.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { utimesSync, statSync } from 'node:fs'
import { project, tasksJson, dump, count } from '../rig.mjs'

const config = `{
    byTime: { run: 'echo ran >> runs-time', inputs: ['src.txt'], fingerprint: 'mtime' },
    byContent: { run: 'echo ran >> runs-content', inputs: ['src.txt'], fingerprint: 'content' },
    byDefault: { run: 'echo ran >> runs-default', inputs: ['src.txt'] },
    all: { deps: ['byTime', 'byContent', 'byDefault'] },
  }`

/** Set the file's atime and mtime `seconds` into the future of its current mtime, content unchanged. */
function touch(p, seconds) {
  const t = statSync(p).mtimeMs / 1000 + seconds
  utimesSync(p, t, t)
}

test('touch without a change: mtime mode reruns, content mode (and the default) does not', async () => {
  const p = project(config, { 'src.txt': 'hello\n' })
  try {
    const r1 = await tasksJson(p.dir, ['all'])
    assert.is(r1.code, 0, dump(r1))
    touch(p.path('src.txt'), 100)
    const r2 = await tasksJson(p.dir, ['all'])
    assert.is(r2.status.byTime, 'ran', dump(r2))
    assert.is(r2.status.byContent, 'up-to-date', dump(r2))
    assert.is(r2.status.byDefault, 'up-to-date', dump(r2))
    assert.is(count(p.path('runs-time')), 2)
    assert.is(count(p.path('runs-content')), 1)
  } finally {
    p.cleanup()
  }
})

test('a content change reruns both modes', async () => {
  const p = project(config, { 'src.txt': 'hello\n' })
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    p.write('src.txt', 'world\n')
    touch(p.path('src.txt'), 100)
    const r = await tasksJson(p.dir, ['all'])
    assert.is(r.status.byTime, 'ran', dump(r))
    assert.is(r.status.byContent, 'ran', dump(r))
    assert.is(r.status.byDefault, 'ran', dump(r))
  } finally {
    p.cleanup()
  }
})

test('same-size content change within the same second is still seen in content mode', async () => {
  const p = project(config, { 'src.txt': 'aaaa\n' })
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    const before = statSync(p.path('src.txt'))
    p.write('src.txt', 'bbbb\n')
    // put the mtime back exactly: only the content (and ctime) differ
    utimesSync(p.path('src.txt'), before.atime, before.mtime)
    const r = await tasksJson(p.dir, ['all'])
    assert.is(r.status.byContent, 'ran', dump(r))
  } finally {
    p.cleanup()
  }
})

test('after an mtime rerun, a second run without a touch is up to date', async () => {
  const p = project(config, { 'src.txt': 'hello\n' })
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    touch(p.path('src.txt'), 50)
    assert.is((await tasksJson(p.dir, ['all'])).status.byTime, 'ran')
    const r = await tasksJson(p.dir, ['all'])
    assert.is(r.status.byTime, 'up-to-date', dump(r))
  } finally {
    p.cleanup()
  }
})

test.run()
