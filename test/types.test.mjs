// defineConfig's types: test/types/*.ts must compile, and each `@ts-expect-error` must meet an error.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { REPO } from './rig.mjs'

test('defineConfig accepts valid configs and rejects wrong keys and values', () => {
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', join(REPO, 'test', 'types', 'tsconfig.json')], { encoding: 'utf8' })
  assert.is(r.status, 0, r.stdout + r.stderr)
})

test.run()
