// The engine's internal normal forms (`ResolvedTask`, `LoadedConfig`: lib/model/internal.ts) are not
// in the published types: no declaration file a user's tsc reads through a door (package.json
// `exports` `types` conditions) names them. The walk follows every relative import of the .d.ts
// files (`from './x.js'`, `import('./x.js')`) from each door's entry, as tsc does. Build first.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { REPO } from '../helpers.mjs'

const INTERNAL = /\b(ResolvedTask|LoadedConfig)\b/

/** Every .d.ts reachable from `entries` over relative imports; absolute paths. */
function reachable(entries) {
  const seen = new Set()
  const todo = entries.map((e) => resolve(REPO, e))
  while (todo.length) {
    const file = todo.pop()
    if (seen.has(file)) continue
    assert.ok(existsSync(file), `${relative(REPO, file)} is imported but missing (npm run build)`)
    seen.add(file)
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g))
      todo.push(resolve(dirname(file), m[1].replace(/\.js$/, '.d.ts')))
  }
  return [...seen]
}

/** `file:line: text` of every line naming an internal form. */
const mentions = (files) =>
  files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .flatMap((line, i) => (INTERNAL.test(line) ? [`${relative(REPO, f)}:${i + 1}: ${line.trim()}`] : [])),
  )

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
const doors = Object.entries(pkg.exports).filter(([, e]) => typeof e === 'object' && e.types)

test('no declaration reachable from a door names ResolvedTask or LoadedConfig', () => {
  assert.ok(doors.length >= 5, `doors with types: ${doors.map(([k]) => k).join(', ')}`)
  const files = reachable(doors.map(([, e]) => e.types))
  assert.ok(files.length > 20, `only ${files.length} declaration files reached: is the walk broken?`)
  assert.equal(mentions(files), [])
})

test('the check can fail: the internal forms are declared, and reachable from the engine', () => {
  const internal = join(REPO, 'dist', 'lib', 'model', 'internal.d.ts')
  assert.ok(existsSync(internal), 'dist/lib/model/internal.d.ts (npm run build)')
  assert.ok(mentions(reachable(['dist/lib/run/scheduler.d.ts'])).length > 0)
  assert.not.ok(reachable(doors.map(([, e]) => e.types)).includes(internal))
})

test.run()
