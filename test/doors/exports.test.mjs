// The package's doors (package.json `exports`), each pinned by the names it exports, as zx's test
// pins `Object.keys(await import('zx'))`: a name added to or dropped from a door is a deliberate
// change of this list. The doors are imported BY NAME (a self-reference: this file is inside the
// package, so `typed-tasks/cache` resolves through the repo's own package.json to the bundle in
// dist/cli/), and the tsc copies in dist/lib (what the `types` conditions describe) must export the
// same names. Build first (`npm run build`).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { REPO } from '../helpers.mjs'

/** Door (package subpath) -> its value exports, sorted (types are not values and do not count). */
const DOORS = {
  'typed-tasks': [
    'CHANGE_LABELS',
    'CONFIG_FILES',
    'EXIT',
    'LocalCache',
    'MemoryCache',
    'RecipeError',
    'TaskCommandError',
    'TasksError',
    'VERSION',
    'buildGraph',
    'computeAffected',
    'configRoot',
    'defineConfig',
    'exitCodeFor',
    'explain',
    'filterWorkspaces',
    'loadConfig',
    'prefetchRun',
    'run',
    'selectTasks',
    'toDot',
    'toMermaid',
    'watch',
    'workspaceContaining',
  ],
  'typed-tasks/cache': [
    'ENTRY_SCHEMA',
    'LocalCache',
    'MemoryCache',
    'RemoteError',
    'TieredCache',
    'cacheUsage',
    'cleanCache',
    'collectGarbage',
    'openRemoteStore',
    'parseActionResult',
    'resolveRemoteSettings',
    'unsafeOutputPath',
  ],
  'typed-tasks/report': [
    'RUN_MODEL_SCHEMA',
    'combineReporters',
    'createRunCollector',
    'criticalPath',
    'formatMs',
    'formatReason',
    'renderHtml',
    'summaryLine',
  ],
  'typed-tasks/recipe-kit': [
    'CONFIG_FILES',
    'RecipeError',
    'TaskCommandError',
    'canonicalJson',
    'configRoot',
    'shellQuote',
    'suggest',
  ],
  'typed-tasks/recipes': ['docker', 'go', 'python', 'rust'],
}

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
/** `typed-tasks/cache` -> `./cache` (the key of package.json `exports`). */
const subpath = (door) => '.' + door.slice('typed-tasks'.length)
/** The tsc module a door's `types` condition describes (`./dist/lib/doors/cache.d.ts` -> .js). */
const tscModule = (door) => pathToFileURL(join(REPO, pkg.exports[subpath(door)].types.replace(/\.d\.ts$/, '.js'))).href

test('package.json exports exactly these doors, each with types and a bundle entry that exist', () => {
  const doors = Object.keys(pkg.exports).filter((k) => k !== './package.json')
  assert.equal(doors.sort(), Object.keys(DOORS).map(subpath).sort())
  for (const door of Object.keys(DOORS)) {
    const e = pkg.exports[subpath(door)]
    assert.equal(Object.keys(e), ['types', 'default'], `${door}: types first, then default`)
    assert.ok(existsSync(join(REPO, e.types)), `${door}: ${e.types} (npm run build)`)
    assert.match(e.default, /^\.\/dist\/cli\/[\w-]+\.js$/, `${door}: the default is an entry of the one bundle`)
    assert.ok(existsSync(join(REPO, e.default)), `${door}: ${e.default} (npm run build)`)
  }
})

for (const [door, names] of Object.entries(DOORS)) {
  test(`${door} exports exactly its list (bundle, imported by name)`, async () => {
    assert.equal(Object.keys(await import(door)).sort(), names)
  })
  test(`${door}: the tsc module its types describe exports the same names`, async () => {
    assert.equal(Object.keys(await import(tscModule(door))).sort(), names)
  })
}

test('the core door exports at most 25 values', () => {
  assert.ok(DOORS['typed-tasks'].length <= 25, String(DOORS['typed-tasks'].length))
})

test('a name in two doors is one value (one build: same classes, same instances)', async () => {
  const mods = Object.fromEntries(await Promise.all(Object.keys(DOORS).map(async (d) => [d, await import(d)])))
  const seen = new Map()
  for (const [door, m] of Object.entries(mods)) {
    for (const [name, value] of Object.entries(m)) {
      if (seen.has(name)) assert.ok(seen.get(name) === value, `${name} of ${door} is another copy`)
      else seen.set(name, value)
    }
  }
  assert.ok(mods['typed-tasks'].LocalCache === mods['typed-tasks/cache'].LocalCache)
  assert.ok(mods['typed-tasks'].RecipeError === mods['typed-tasks/recipe-kit'].RecipeError)
})

test.run()
