// Config and usage errors: exit code 2, a message naming the problem, a location and a fix.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, fixture, tasks, tasksJson, dump, count, LIB_URL } from '../rig.mjs'

/** 1-based line of the first line of `text` containing `needle`. */
const lineOf = (text, needle) => text.split('\n').findIndex((l) => l.includes(needle)) + 1

test('unknown dependency: exit 2, names both tasks, did you mean, file:line', async () => {
  const p = project(
    `{
    build: { run: 'true' },
    test: { run: 'true', deps: ['biuld'] },
  }`,
    {},
    { ts: true },
  )
  try {
    const r = await tasks(p.dir, ['test'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /error: task `test` depends on unknown task `biuld`/)
    const line = lineOf(p.read('tasks.config.ts'), "'biuld'")
    assert.match(r.stderr, new RegExp(`tasks\\.config\\.ts:${line}:\\d+`), dump(r))
    assert.is(r.stdout, '')
    // the CONTRACT's own example: a transposition (edit distance 2) must still be suggested
    assert.match(r.stderr, /did you mean `build`/, dump(r))
  } finally {
    p.cleanup()
  }
})

test('a dependency cycle: exit 2 and every edge printed', async () => {
  const p = project(`{
    a: { run: 'echo ran >> runs', deps: ['b'] },
    b: { run: 'echo ran >> runs', deps: ['a'] },
  }`)
  try {
    const r = await tasks(p.dir, ['a'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /dependency cycle: a -> b -> a/, dump(r))
    assert.is(count(p.path('runs')), 0)
  } finally {
    p.cleanup()
  }
})

test('a longer cycle names every task in it', async () => {
  const p = project(`{
    top: { run: 'true', deps: ['x'] },
    x: { run: 'true', deps: ['y'] },
    y: { run: 'true', deps: ['z'] },
    z: { run: 'true', deps: ['x'] },
  }`)
  try {
    const r = await tasks(p.dir, ['top'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /x -> y -> z -> x/, dump(r))
  } finally {
    p.cleanup()
  }
})

test('unknown task on the command line: exit 2 with a suggestion, nothing runs', async () => {
  const p = project(`{ build: { run: 'echo ran >> runs' } }`)
  try {
    const r = await tasks(p.dir, ['buld'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /error: unknown task `buld`/)
    assert.match(r.stderr, /did you mean `build`/, dump(r))
    assert.is(count(p.path('runs')), 0)
  } finally {
    p.cleanup()
  }
})

test('a syntax error in tasks.config.ts is reported as tasks.config.ts:line:column', async () => {
  const src = `import { defineConfig } from '${LIB_URL}'
export default defineConfig({
  tasks: {
    build: { run: 'true' inputs: [] },
  },
})
`
  const p = fixture({ 'tasks.config.ts': src })
  try {
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /tasks\.config\.ts:4:\d+/, dump(r))
    assert.not.match(r.stderr, /internal error/)
  } finally {
    p.cleanup()
  }
})

test('a config that throws when loaded: exit 2, the message shown', async () => {
  const p = fixture({ 'tasks.config.mjs': `throw new Error('CONFIG-THREW-HERE')\n` })
  try {
    const r = await tasks(p.dir, ['x'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /CONFIG-THREW-HERE/)
  } finally {
    p.cleanup()
  }
})

test('an unknown task key: exit 2, names task and key, suggests the nearest key', async () => {
  const p = project(
    `{
    build: { run: 'true', input: ['a.txt'] },
  }`,
    {},
    { ts: true },
  )
  try {
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /task `build` has an unknown key `input`/, dump(r))
    assert.match(r.stderr, /did you mean `inputs`/)
    assert.match(r.stderr, new RegExp(`tasks\\.config\\.ts:${lineOf(p.read('tasks.config.ts'), 'input:')}`))
  } finally {
    p.cleanup()
  }
})

test('a key of the wrong type: exit 2 naming task and key', async () => {
  const p = project(`{ build: { run: 'true', deps: 'other' }, other: { run: 'true' } }`)
  try {
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /`build`/)
    assert.match(r.stderr, /`deps`/, dump(r))
  } finally {
    p.cleanup()
  }
})

test('an output glob outside the project root is rejected', async () => {
  const p = project(`{ build: { run: 'echo ran >> runs', inputs: [], outputs: ['../x'] } }`)
  try {
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /`build`/)
    assert.match(r.stderr, /\.\.\/x/)
    assert.match(r.stderr, /outside/, dump(r))
    assert.is(count(p.path('runs')), 0)
  } finally {
    p.cleanup()
  }
})

test('an absolute output path is rejected (not silently made relative)', async () => {
  const p = project(`{ build: { run: 'true', inputs: [], outputs: ['/tmp/evil-output'] } }`)
  try {
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /outside|absolute/, dump(r))
  } finally {
    p.cleanup()
  }
})

test('an input glob matching nothing is a warning, and the task runs', async () => {
  const p = project(`{ build: { run: 'echo ran >> runs', inputs: ['src/**/*.nothing'] } }`)
  try {
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.build, 'ran')
    assert.match(r.stderr, /warning/i, dump(r))
    assert.match(r.stderr, /src\/\*\*\/\*\.nothing/, dump(r))
    assert.is(count(p.path('runs')), 1)
  } finally {
    p.cleanup()
  }
})

test('no config file: exit 2 with a hint', async () => {
  const p = fixture({ 'readme.txt': 'x' })
  try {
    const r = await tasks(p.dir, ['build'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /tasks\.config/, dump(r))
  } finally {
    p.cleanup()
  }
})

test('an unknown CLI option: exit 2 and a hint to use --', async () => {
  const p = project(`{ build: { run: 'true' } }`)
  try {
    const r = await tasks(p.dir, ['build', '--frobnicate'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /unknown option `--frobnicate`/)
  } finally {
    p.cleanup()
  }
})

test.run()
