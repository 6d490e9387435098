// The CLI runs from one esbuild bundle (dist/cli/, scripts/bundle.mjs) while a user's config
// imports `typed-tasks` (the package's exports, the same bundle) or, like every fixture of these
// tests, dist/lib/index.js by file URL (tsc's modules: another copy of every class). Errors made by
// one copy must still be recognised by the other: `instanceof` on TasksError, TaskCommandError
// and RecipeError goes by a registry-wide brand (lib/errors.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { fixture, tasks, dump, LIB_URL, REPO } from '../rig.mjs'

const BUNDLE_URL = pathToFileURL(join(REPO, 'dist', 'cli', 'index.js')).href

/** A fixture whose config imports the library by package name (node_modules/typed-tasks -> the repo). */
function byName(config, files = {}) {
  const p = fixture({ ...files, 'tasks.config.mjs': config })
  mkdirSync(p.path('node_modules'), { recursive: true })
  symlinkSync(REPO, p.path('node_modules/typed-tasks'))
  return p
}

test('the CLI is the bundle, and the package name resolves to the same bundle', () => {
  assert.ok(
    existsSync(join(REPO, 'dist', 'cli', 'tasks.js')),
    'dist/cli/tasks.js (npm run build runs scripts/bundle.mjs)',
  )
  assert.match(readFileSync(join(REPO, 'dist', 'bin', 'tasks.js'), 'utf8'), /import '\.\.\/cli\/tasks\.js'/)
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
  assert.is(pkg.exports['.'].default, './dist/cli/index.js')
  assert.is(pkg.exports['./recipes'].default, './dist/cli/recipes.js')
})

test('errors of the bundle and of dist/lib recognise each other (both ways), subclasses stay exact', async () => {
  const a = await import(LIB_URL)
  const b = await import(BUNDLE_URL)
  assert.is.not(a.TasksError, b.TasksError, 'two copies of the class (else this test proves nothing)')
  for (const [x, y] of [
    [a, b],
    [b, a],
  ]) {
    const e = new x.TasksError('usage', 'u')
    assert.ok(e instanceof y.TasksError)
    assert.ok(!(e instanceof y.TaskCommandError))
    assert.ok(new x.TaskCommandError('false', 1) instanceof y.TaskCommandError)
    assert.ok(new x.RecipeError('invalid-option', 'r') instanceof y.RecipeError)
    assert.ok(!(new x.RecipeError('invalid-option', 'r') instanceof y.TasksError))
    assert.ok(!(new Error('plain') instanceof y.TasksError))
    assert.ok(!({ name: 'TasksError', code: 'usage' } instanceof y.TasksError), 'a look-alike object is not one')
    assert.is(y.exitCodeFor(new x.TasksError('usage', 'u')), 2)
    class Mine extends x.TasksError {}
    assert.ok(new Mine('usage', 'm') instanceof y.TasksError)
    assert.ok(!(new x.TasksError('usage', 'u') instanceof Mine), 'a subclass keeps the prototype check')
  }
})

test('a TasksError thrown by a config (imported by package name) is rendered as itself, exit 2', async () => {
  const p = byName(
    `import { TasksError } from 'typed-tasks'\nthrow new TasksError('config-invalid', 'BRANDED-BOOM', {}, 'the hint of the config')\n`,
  )
  try {
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /BRANDED-BOOM/)
    assert.match(r.stderr, /the hint of the config/, dump(r))
    assert.not.match(r.stderr, /the config threw while loading/, 'not wrapped as a foreign error')
  } finally {
    p.cleanup()
  }
})

test('the same from a config importing dist/lib by file URL (the other copy)', async () => {
  const p = fixture({
    'tasks.config.mjs': `import { TasksError } from '${LIB_URL}'\nthrow new TasksError('config-invalid', 'FILE-URL-BOOM', {}, 'hint two')\n`,
  })
  try {
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /FILE-URL-BOOM/)
    assert.match(r.stderr, /hint two/, dump(r))
    assert.not.match(r.stderr, /the config threw while loading/)
  } finally {
    p.cleanup()
  }
})

test("a function task sees the engine's TaskCommandError (ctx.exec) as the TaskCommandError it imported", async () => {
  const p = byName(`import { defineConfig, TaskCommandError } from 'typed-tasks'
import { writeFileSync } from 'node:fs'
export default defineConfig({ tasks: { probe: { run: async (ctx) => {
  try { await ctx.exec('exit 3') } catch (err) { writeFileSync('seen.txt', String(err instanceof TaskCommandError) + ' ' + err.exitCode) }
} } } })
`)
  try {
    const r = await tasks(p.dir, ['probe'])
    assert.is(r.code, 0, dump(r))
    assert.is(p.read('seen.txt'), 'true 3')
  } finally {
    p.cleanup()
  }
})

test.run()
