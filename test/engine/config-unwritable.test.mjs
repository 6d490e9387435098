// A `.ts` config when `.tasks/config` cannot be written (read-only project, full disk, a file in
// the way): it is compiled in memory with a warning, and the run goes on.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync, chmodSync, readdirSync } from 'node:fs'
import { project, tasksJson, tasks, dump, count, LIB_URL } from '../rig.mjs'

const TASKS = `{ build: { run: 'echo ran >> runs && echo built > out.txt', inputs: ['src.txt'], outputs: ['out.txt'] } }`
// A bare package import (resolved from the project's node_modules) and a relative one.
const EXTRA = `import { basename } from 'node:path'\nimport { label } from './lib/label'\nvoid basename(label)\n`
const files = { 'src.txt': 'a\n', 'lib/label.ts': `export const label: string = 'x'\n` }

test('`.tasks/config` is a file: warning, compiled in memory, the task runs', async () => {
  const p = project(TASKS, files, { ts: true, extra: EXTRA })
  try {
    mkdirSync(p.path('.tasks'), { recursive: true })
    writeFileSync(p.path('.tasks/config'), 'not a folder')
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.build, 'ran')
    assert.match(
      r.stderr,
      /warning: could not cache the compiled config in .*\.tasks\/config .*compiled it in memory/,
      dump(r),
    )
    assert.not.match(r.stderr, /internal error/)
    assert.is(count(p.path('runs')), 1)
    // and again (still no cache): the result is up to date
    const again = await tasksJson(p.dir, ['build'])
    assert.is(again.status.build, 'up-to-date', dump(again))
  } finally {
    p.cleanup()
  }
})

test('a config importing typed-tasks by package name still resolves when compiled in memory', async () => {
  const p = project(TASKS, files, { ts: true, extra: EXTRA })
  try {
    // the fixture imports the library by file URL; a by-name import needs node_modules/typed-tasks
    mkdirSync(p.path('node_modules'), { recursive: true })
    const { symlinkSync } = await import('node:fs')
    const { REPO } = await import('../rig.mjs')
    symlinkSync(REPO, p.path('node_modules/typed-tasks'))
    writeFileSync(
      p.path('tasks.config.ts'),
      `import { defineConfig } from 'typed-tasks'\n${EXTRA}export default defineConfig({ tasks: ${TASKS} })\n`,
    )
    mkdirSync(p.path('.tasks'), { recursive: true })
    writeFileSync(p.path('.tasks/config'), 'not a folder')
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stderr, /compiled it in memory/)
  } finally {
    p.cleanup()
  }
})

test('a config that throws, compiled in memory: still tasks.config.ts:line:col', async () => {
  const p = project(TASKS, files, {
    ts: true,
    extra: `const n: number = 1\nif (n) throw new Error('THREW-IN-MEMORY')\n`,
  })
  try {
    mkdirSync(p.path('.tasks'), { recursive: true })
    writeFileSync(p.path('.tasks/config'), 'x')
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /THREW-IN-MEMORY/)
    const line =
      p
        .read('tasks.config.ts')
        .split('\n')
        .findIndex((l) => l.includes('THREW-IN-MEMORY')) + 1
    assert.match(r.stderr, new RegExp(`tasks\\.config\\.ts:${line}:\\d+`), dump(r))
  } finally {
    p.cleanup()
  }
})

test('library: loadConfig passes the warning to onWarning and never prints', async () => {
  const p = project(TASKS, files, { ts: true, extra: EXTRA })
  try {
    mkdirSync(p.path('.tasks'), { recursive: true })
    writeFileSync(p.path('.tasks/config'), 'x')
    const { loadConfig } = await import(LIB_URL)
    const warnings = []
    const config = await loadConfig({ cwd: p.dir, onWarning: (m) => warnings.push(m) })
    assert.ok(config.tasks.has('build'))
    assert.is(warnings.length, 1)
    assert.match(warnings[0], /compiled it in memory/)
  } finally {
    p.cleanup()
  }
})

test('a read-only `.tasks/config` (not as root): warning, the task runs', async () => {
  if (process.getuid?.() === 0) {
    console.log('  SKIP: running as root, which ignores file modes; the file-in-the-way test above covers the fallback')
    return
  }
  const p = project(TASKS, files, { ts: true, extra: EXTRA })
  try {
    mkdirSync(p.path('.tasks/config'), { recursive: true })
    chmodSync(p.path('.tasks/config'), 0o555)
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.match(r.stderr, /compiled it in memory/)
    assert.equal(readdirSync(p.path('.tasks/config')), [])
  } finally {
    chmodSync(p.path('.tasks/config'), 0o755)
    p.cleanup()
  }
})

test('a syntax error is still reported with file:line:col when the cache cannot be written', async () => {
  const p = project(`{ build: { run: 'true' inputs: [] } }`, {}, { ts: true })
  try {
    mkdirSync(p.path('.tasks'), { recursive: true })
    writeFileSync(p.path('.tasks/config'), 'x')
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /tasks\.config\.ts:\d+:\d+/)
  } finally {
    p.cleanup()
  }
})

test.run()
