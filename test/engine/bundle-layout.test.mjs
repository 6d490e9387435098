// The bundle's layout (scripts/bundle.mjs, chunk groups): a plain run loads the run's few chunks of
// dist/cli and nothing of the commands it does not use, whether or not the config imports
// `typed-tasks`. What is loaded is recorded by a module-resolution hook (node:module `register`),
// so these tests see the real CLI process.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { fixture, CLI, REPO } from '../rig.mjs'

/** Run the CLI with a resolve hook that appends every resolved URL to a file; the URLs. */
function loadedBy(dir, args) {
  const log = join(dir, 'loaded.txt')
  const hooks = join(dir, 'hooks.mjs')
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs'\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r }\n`,
  )
  const register = join(dir, 'register.mjs')
  writeFileSync(
    register,
    `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`,
  )
  writeFileSync(log, '')
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  })
  assert.is(r.status, 0, r.stderr)
  return [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))]
}

const ours = (urls) => urls.filter((u) => u.startsWith(pathToFileURL(join(REPO, 'dist')).href))
const sources = (urls) => ours(urls).map((u) => readFileSync(new URL(u), 'utf8'))

test('a plain run loads a handful of chunks, and none of watch, the HTML report, the remote tier or listr2', () => {
  const p = fixture({
    'tasks.config.mjs': `export default { tasks: { build: { run: 'true', inputs: ['a.txt'] } } }\n`,
    'a.txt': 'a\n',
  })
  try {
    loadedBy(p.dir, ['build'])
    const urls = loadedBy(p.dir, ['build']) // the second run: up to date
    assert.ok(ours(urls).length <= 10, `dist files loaded: ${ours(urls).length}\n${ours(urls).join('\n')}`)
    assert.ok(!urls.some((u) => /node_modules\/(listr2|undici|chokidar|@grpc)\//.test(u)), urls.join('\n'))
    const text = sources(urls).join('\n')
    for (const marker of [
      'function renderHtml',
      'function runWatch',
      'class TieredCache',
      'function createListrReporter',
    ])
      assert.not.ok(text.includes(marker), `${marker} was loaded`)
  } finally {
    p.cleanup()
  }
})

test('a config importing typed-tasks adds the library chunk, still no watch or listr2 package', () => {
  const p = fixture({
    'tasks.config.mjs': `import { defineConfig } from 'typed-tasks'\nexport default defineConfig({ tasks: { build: { run: 'true', inputs: ['a.txt'] } } })\n`,
    'a.txt': 'a\n',
  })
  mkdirSync(p.path('node_modules'), { recursive: true })
  symlinkSync(REPO, p.path('node_modules/typed-tasks'))
  try {
    loadedBy(p.dir, ['build'])
    const urls = loadedBy(p.dir, ['build']) // up to date
    assert.ok(ours(urls).length <= 12, `dist files loaded: ${ours(urls).length}\n${ours(urls).join('\n')}`)
    assert.ok(!urls.some((u) => /node_modules\/(listr2|undici|chokidar|@grpc)\//.test(u)), urls.join('\n'))
  } finally {
    p.cleanup()
  }
})

test.run()
