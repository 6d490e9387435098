// Cache hits: outputs restored with the same bytes and mode, the log replayed, the command not run.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, statSync, rmSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs'
import { project, tasksJson, tasks, dump, count } from '../rig.mjs'

const config = `{
    build: {
      run: "mkdir -p out && cp src.txt out/tool.sh && printf '\\\\000\\\\001\\\\377binary' > out/data.bin && chmod 755 out/tool.sh && echo ran >> runs && echo LOG-LINE-FROM-BUILD",
      inputs: ['src.txt'],
      outputs: ['out/**'],
    },
  }`

test('a deleted output is restored (same bytes, same mode) and the log replayed without running', async () => {
  const p = project(config, { 'src.txt': '#!/bin/sh\necho tool\n' })
  try {
    const r1 = await tasksJson(p.dir, ['build'])
    assert.is(r1.status.build, 'ran', dump(r1))
    assert.match(r1.stderr, /LOG-LINE-FROM-BUILD/)
    const bytes = { tool: readFileSync(p.path('out/tool.sh')), data: readFileSync(p.path('out/data.bin')) }
    const mode = statSync(p.path('out/tool.sh')).mode & 0o777
    assert.is(mode, 0o755)
    rmSync(p.path('out'), { recursive: true })

    const r2 = await tasksJson(p.dir, ['build'])
    assert.is(r2.code, 0, dump(r2))
    assert.is(r2.status.build, 'cache-hit', dump(r2))
    assert.is(count(p.path('runs')), 1, 'the command ran again on a cache hit')
    assert.ok(readFileSync(p.path('out/tool.sh')).equals(bytes.tool), 'tool.sh bytes differ')
    assert.ok(readFileSync(p.path('out/data.bin')).equals(bytes.data), 'data.bin bytes differ')
    assert.is(statSync(p.path('out/tool.sh')).mode & 0o777, mode, 'mode not restored')
    assert.match(r2.stderr, /\[build\] LOG-LINE-FROM-BUILD/, 'log not replayed')
    assert.match(r2.stderr, /cache hit/)
    assert.ok(r2.task('build').savedMs >= 0)

    const r3 = await tasksJson(p.dir, ['build'])
    assert.is(r3.status.build, 'up-to-date', dump(r3))
    assert.is(count(p.path('runs')), 1)
  } finally {
    p.cleanup()
  }
})

test('a modified output is not "up to date": it is restored from the cache', async () => {
  const p = project(config, { 'src.txt': 'x\n' })
  try {
    assert.is((await tasksJson(p.dir, ['build'])).code, 0)
    writeFileSync(p.path('out/tool.sh'), 'tampered\n')
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.status.build, 'cache-hit', dump(r))
    assert.is(p.read('out/tool.sh'), 'x\n')
    assert.is(count(p.path('runs')), 1)
  } finally {
    p.cleanup()
  }
})

test('going back to earlier inputs is a cache hit for the earlier result', async () => {
  const p = project(config, { 'src.txt': 'v1\n' })
  try {
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    p.write('src.txt', 'v2\n')
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    assert.is(p.read('out/tool.sh'), 'v2\n')
    p.write('src.txt', 'v1\n')
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.status.build, 'cache-hit', dump(r))
    assert.is(p.read('out/tool.sh'), 'v1\n')
    assert.is(count(p.path('runs')), 2)
  } finally {
    p.cleanup()
  }
})

test('plain output of a cache hit says what was restored', async () => {
  const p = project(config, { 'src.txt': 'x\n' })
  try {
    assert.is((await tasks(p.dir, ['build'])).code, 0)
    rmSync(p.path('out/data.bin'))
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stderr, /\[build\] cache hit: restored \d+ outputs?, replayed log/, dump(r))
  } finally {
    p.cleanup()
  }
})

test('symlink outputs are restored as symlinks', async () => {
  const p = project(`{
    link: { run: 'mkdir -p out && echo data > out/target.txt && ln -sf target.txt out/link.txt && echo ran >> runs', inputs: [], outputs: ['out/**'] },
  }`)
  try {
    assert.is((await tasksJson(p.dir, ['link'])).code, 0)
    rmSync(p.path('out'), { recursive: true })
    const r = await tasksJson(p.dir, ['link'])
    assert.is(r.status.link, 'cache-hit', dump(r))
    assert.ok(lstatSync(p.path('out/link.txt')).isSymbolicLink(), 'not a symlink after restore')
    assert.is(readlinkSync(p.path('out/link.txt')), 'target.txt')
    assert.is(count(p.path('runs')), 1)
  } finally {
    p.cleanup()
  }
})

test.run()
