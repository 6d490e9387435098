// Declaration checks at load time (issue 9, section 4): in-place tasks, overlapping outputs and
// reading another task's output without depending on it are config errors; the configs that get
// these right load and run; a hand edit of an in-place file is never overwritten.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync, readFileSync } from 'node:fs'
import { project, tasks, tasksJson, dump, count } from '../rig.mjs'

// A formatter that rewrites README.md in place (strips trailing spaces) and counts its runs. sh: the portable
// shell's parser refuses the `$/` of the regex inside double quotes.
const FMT = `node -e "const fs=require('fs');fs.writeFileSync('README.md',fs.readFileSync('README.md','utf8').replace(/[ ]+$/gm,''));fs.appendFileSync('runs','x\\\\n')"`

test('in place: README.md as input and output is refused, README.md untouched', async () => {
  const p = project(`{ docs: { run: ${JSON.stringify(FMT)}, inputs: ['README.md'], outputs: ['README.md'] } }`, {
    'README.md': '# Title   \n',
  })
  try {
    const r = await tasks(p.dir, ['docs'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /task `docs` declares `README\.md` as both an input/)
    assert.match(r.stderr, /drop it from `outputs`/)
    assert.is(p.read('README.md'), '# Title   \n')
    assert.is(count(p.path('runs')), 0)
  } finally {
    p.cleanup()
  }
})

test('in place, the fix (input only): a hand edit is never overwritten, by a rerun or a restore', async () => {
  const p = project(`{ docs: { run: ${JSON.stringify(FMT)}, inputs: ['README.md'], shell: 'sh' } }`, {
    'README.md': '# Title   \n',
  })
  try {
    let r = await tasksJson(p.dir, ['docs'])
    assert.is(r.status.docs, 'ran', dump(r))
    assert.is(p.read('README.md'), '# Title\n')
    // the formatter's own write is an input change: one more run, then it is up to date
    r = await tasksJson(p.dir, ['docs'])
    r = await tasksJson(p.dir, ['docs'])
    assert.is(r.status.docs, 'up-to-date', dump(r))
    const runs = count(p.path('runs'))

    // the user's hand edit: the task reruns on it and keeps it
    writeFileSync(p.path('README.md'), '# Title\n\nmy hand edit\n')
    r = await tasksJson(p.dir, ['docs'])
    assert.is(r.status.docs, 'ran', dump(r))
    assert.is(p.read('README.md'), '# Title\n\nmy hand edit\n')
    assert.is(count(p.path('runs')), runs + 1)

    // back to a content the cache has an entry for: a hit or up to date, never a rewrite of README.md
    writeFileSync(p.path('README.md'), '# Title\n')
    r = await tasksJson(p.dir, ['docs'])
    assert.ok(['cache-hit', 'up-to-date', 'ran'].includes(r.status.docs), dump(r))
    assert.is(p.read('README.md'), '# Title\n')
    writeFileSync(p.path('README.md'), '# Title\n\nmy hand edit\n')
    r = await tasksJson(p.dir, ['docs'])
    assert.is(p.read('README.md'), '# Title\n\nmy hand edit\n', 'the edit survives the run')
  } finally {
    p.cleanup()
  }
})

test('codegen into the source tree: the generated file excluded from the inputs is accepted', async () => {
  const p = project(
    `{
    gen: { run: 'cat src/spec.txt > src/gen.ts && echo x >> runs', inputs: ['src/**', '!src/gen.ts'], outputs: ['src/gen.ts'] },
  }`,
    { 'src/spec.txt': 'spec\n' },
  )
  try {
    let r = await tasksJson(p.dir, ['gen'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.gen, 'ran')
    r = await tasksJson(p.dir, ['gen'])
    assert.is(r.status.gen, 'up-to-date', dump(r))
  } finally {
    p.cleanup()
  }
})

test('configs that declare their files right are accepted (no false positives)', async () => {
  const p = project(
    `{
    codegen: { run: 'mkdir -p gen && echo h > gen/ops.h', inputs: ['data.csv'], outputs: ['gen/ops.h'] },
    'compile:a': { run: 'mkdir -p build && echo o > build/a.o', deps: ['codegen'], inputs: ['src/a.c', 'gen/*.h'], outputs: ['build/a.o'] },
    archive: { run: 'mkdir -p build && echo a > build/lib.a', inputs: ['src/*.c'], outputs: ['build/*.a'] },
    most: { run: 'true', inputs: [], outputs: ['pkg/**', '!pkg/b.txt'] },
    objs: { run: 'true', inputs: [], outputs: ['pkg/b.txt'] },
    link: { run: 'echo x >> runs', deps: ['compile:a', 'archive'], inputs: ['build/**/*.o', 'build/*.a'], outputs: ['bin/app'] },
    top: { run: 'true', deps: ['link'], inputs: ['gen/*.h', 'build/a.o'] },
    dist: { run: 'true', inputs: ['src/**'], outputs: ['dist/**'] },
    inBuild: { run: 'pwd > /dev/null', cwd: 'out/sub', deps: ['mk'] },
    mk: { run: 'mkdir -p out/sub', inputs: [], outputs: ['out/**'] },
    phony: { run: 'true', fingerprint: false, inputs: ['build/**'] },
  }`,
    { 'data.csv': '1\n', 'src/a.c': 'int a;\n' },
  )
  try {
    let r = await tasks(p.dir, ['--list'])
    assert.is(r.code, 0, dump(r))
    r = await tasksJson(p.dir, ['top', 'inBuild', 'objs'])
    assert.is(r.code, 0, dump(r))
    assert.is(count(p.path('runs')), 1)
  } finally {
    p.cleanup()
  }
})

test('overlapping outputs are refused before anything runs, naming both tasks and the file', async () => {
  const p = project(`{
    a: { run: 'echo a >> runs', inputs: [], outputs: ['dist/**'] },
    b: { run: 'echo b >> runs', inputs: [], outputs: ['dist/b.js'] },
  }`)
  try {
    const r = await tasks(p.dir, ['a'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /tasks `a` and `b` both declare `dist\/b\.js` as an output/)
    assert.is(count(p.path('runs')), 0)
  } finally {
    p.cleanup()
  }
})

test('an existing file under two output globs that patterns alone cannot decide', async () => {
  const p = project(
    `{
    x: { run: 'true', inputs: [], outputs: ['out/lib*'] },
    y: { run: 'true', inputs: [], outputs: ['out/*.so'] },
  }`,
    { 'out/libz.so': 'bin' },
  )
  try {
    const r = await tasks(p.dir, ['x'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /tasks `x` and `y` both declare `out\/libz\.so` as an output/, dump(r))
  } finally {
    p.cleanup()
  }
})

test('reading an output without depending on it: refused with the fix; with the dependency it runs', async () => {
  const body = (deps) => `{
    'obj:cjson': { run: 'mkdir -p build && echo o > build/cjson.o', inputs: [], outputs: ['build/cjson.o'] },
    link: { run: 'cat build/cjson.o > app && echo x >> runs', deps: ${deps}, inputs: ['build/*.o'], outputs: ['app'] },
  }`
  let p = project(body('[]'))
  try {
    const r = await tasks(p.dir, ['link'])
    assert.is(r.code, 2, dump(r))
    assert.match(
      r.stderr,
      /task `link` reads `build\/cjson\.o` .*an output of task `obj:cjson`, without depending on it/,
    )
    assert.match(r.stderr, /help: add "obj:cjson" to `deps` of `link`/)
  } finally {
    p.cleanup()
  }
  p = project(body(`['obj:cjson']`))
  try {
    const r = await tasksJson(p.dir, ['link'])
    assert.is(r.code, 0, dump(r))
    assert.is(p.read('app'), 'o\n')
  } finally {
    p.cleanup()
  }
})

test.run()
