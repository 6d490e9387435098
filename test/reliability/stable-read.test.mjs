// lib/cache/stable-read.ts: an output read for the cache is refused when it changes while read
// (a real writer process appending to it), in the sync and the async variant; a quiet file reads whole.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO } from '../rig.mjs'

const { readStable, readStableAsync, OutputChangedError } = await import(
  join(REPO, 'dist', 'lib', 'cache', 'stable-read.js')
)

for (const [name, read] of [
  ['readStable', readStable],
  ['readStableAsync', readStableAsync],
]) {
  test(`${name}: a file nobody writes reads whole`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tasks-stable-'))
    try {
      const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251))
      writeFileSync(join(dir, 'f'), data)
      const r = await read(join(dir, 'f'), 'f')
      assert.ok(r.data.equals(data))
      assert.is(Number(r.stat.size), data.length)
      assert.is((await read(join(dir, 'f'))).data.length, data.length)
      writeFileSync(join(dir, 'empty'), '')
      assert.is((await read(join(dir, 'empty'))).data.length, 0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test(`${name}: a file another process appends to while it is read is refused`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tasks-stable-'))
    const file = join(dir, 'big.bin')
    writeFileSync(file, Buffer.alloc(40_000_000, 1))
    const writer = spawn('sh', ['-c', `while :; do echo x >> '${file}'; done`], { stdio: 'ignore' })
    try {
      await new Promise((r) => setTimeout(r, 200))
      let err
      try {
        await read(file, 'big.bin')
      } catch (e) {
        err = e
      }
      assert.ok(err instanceof OutputChangedError, `expected OutputChangedError, got ${err}`)
      assert.is(err.code, 'output-changed')
      assert.match(err.message, /output `big.bin` changed while it was being stored/)
    } finally {
      writer.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })
}

test.run()
