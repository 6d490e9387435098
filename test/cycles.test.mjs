// No import cycles between modules of the built package (madge --circular), as the design requires.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from './helpers.mjs'

test('dist/ has no circular imports', () => {
  const dirs = ['dist/lib', 'dist/bin', 'dist/recipes'].filter((d) => existsSync(join(REPO, d)))
  const madge = join(REPO, 'node_modules', 'madge', 'bin', 'cli.js')
  const r = spawnSync(process.execPath, [madge, '--circular', '--extensions', 'js', ...dirs], { cwd: REPO, encoding: 'utf8' })
  assert.is(r.status, 0, r.stdout + r.stderr)
  assert.match(r.stdout + r.stderr, /No circular dependency found/)
})

test.run()
