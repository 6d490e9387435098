// Discovered inputs (issue 9, section 4): `depfile` reads a Make-format dependency file after the
// run (gcc/clang -MMD, rustc --emit=dep-info) and makes its files inside the project inputs of the
// next fingerprint. examples/c-calc uses it: a header no glob names reruns exactly the compiles that
// include it; a comment-only edit of a .c file reruns that compile only (early cutoff, real cc).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { project, tasksJson, tasks, dump, count, LIB_URL, REPO, gitCommitAll } from '../rig.mjs'

const { parseDepfile, readDepfile } = await import(new URL('../../dist/lib/run/depfile.js', import.meta.url).href)
const hasCc = spawnSync('cc', ['--version']).status === 0
if (!hasCc)
  console.warn('depfile.test.mjs: SKIPPING the c-calc tests: no C compiler (`cc`) on PATH (apt-get install -y gcc)')

test('parseDepfile: gcc -MMD -MP output, continuations, escaped spaces, $$, several rules, CRLF', () => {
  const text =
    'build/a.o: src/a.c src/my\\ header.h \\\r\n  gen/ops.h src/$$x.h\r\n\r\nsrc/my\\ header.h:\n\ngen/ops.h:\n'
  const d = parseDepfile(text)
  assert.equal(d.targets, ['build/a.o', 'src/my header.h', 'gen/ops.h'])
  assert.equal(d.prerequisites, ['src/a.c', 'src/my header.h', 'gen/ops.h', 'src/$x.h'])
})

test('parseDepfile: rustc dep-info (several targets, comment lines), a Windows drive path stays one path', () => {
  const d = parseDepfile(
    '/p/target/debug/app /p/target/debug/app.d: src/main.rs src/util.rs\n\nsrc/main.rs:\n# env-dep:CARGO_PKG_NAME=app\nC:\\src\\b.o: C:\\src\\b.c\n',
  )
  assert.equal(d.targets, ['/p/target/debug/app', '/p/target/debug/app.d', 'src/main.rs', 'C:\\src\\b.o'])
  assert.equal(d.prerequisites, ['src/main.rs', 'src/util.rs', 'C:\\src\\b.c'])
})

test('parseDepfile: malformed input is an error, never a partial list', () => {
  assert.ok('error' in parseDepfile(''))
  assert.ok('error' in parseDepfile('just some words\n'))
  assert.ok('error' in parseDepfile('a.o: a.c\nnot a rule\n'))
  assert.ok('error' in parseDepfile(': a.c\n'))
})

test('readDepfile: paths relative to the cwd, files outside the project (system headers) ignored', () => {
  const p = project('{}', { 'sub/build/x.d': `build/x.o: x.c ../inc/a.h /usr/include/stdio.h ${'/tmp'}/elsewhere.h\n` })
  try {
    const r = readDepfile(p.dir, 'sub', 'sub/build/x.d')
    assert.equal(r.files, ['inc/a.h', 'sub/x.c'])
    writeFileSync(p.path('sub/build/x.d'), `build/x.o: ${p.dir}/sub/x.c\n`)
    assert.equal(readDepfile(p.dir, 'sub', 'sub/build/x.d').files, ['sub/x.c'])
    assert.ok('error' in readDepfile(p.dir, 'sub', 'sub/build/missing.d'))
  } finally {
    p.cleanup()
  }
})

/** A copy of examples/c-calc whose config imports the built library (in git when the pass asks for it). */
function calc() {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tasks-depfile-')))
  cpSync(join(REPO, 'examples', 'c-calc'), dir, {
    recursive: true,
    filter: (p) => !/[/\\](build|gen|\.tasks|node_modules)$/.test(p),
  })
  const cfg = join(dir, 'tasks.config.ts')
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(`from 'typed-tasks'`, `from '${LIB_URL}'`))
  if (process.env.TASKS_TEST_GIT === '1') gitCommitAll(dir, 'fixture')
  return { dir, path: (p) => join(dir, p), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

const compiles = (r) => Object.fromEntries(Object.entries(r.status).filter(([n]) => n.startsWith('compile:')))

test('c-calc: an edit of a header no glob names reruns exactly the compiles that include it', async () => {
  if (!hasCc) return
  const p = calc()
  try {
    let r = await tasksJson(p.dir, [])
    assert.is(r.code, 0, dump(r))
    r = await tasksJson(p.dir, [])
    assert.ok(
      r.json.tasks.every((t) => t.status === 'up-to-date'),
      dump(r),
    )
    // stack.h is included by stack.c and eval.c, not by main.c
    writeFileSync(
      p.path('src/stack.h'),
      readFileSync(p.path('src/stack.h'), 'utf8').replace('#define', '#define STACK_EDITED 1\n#define'),
    )
    r = await tasksJson(p.dir, [])
    assert.is(r.code, 0, dump(r))
    assert.equal(compiles(r), { 'compile:stack': 'ran', 'compile:eval': 'ran', 'compile:main': 'up-to-date' }, dump(r))
    assert.equal(
      r.task('compile:stack').reasonData,
      { code: 'input-changed', files: [{ path: 'src/stack.h', change: 'modified' }] },
      dump(r),
    )
    // a generated header (gen/ops.h, a dependency's output) is discovered too: the system headers are not
    const ex = JSON.parse((await tasks(p.dir, ['--explain', 'compile:eval', '--json'])).stdout)
    assert.is(ex.upToDate, true, JSON.stringify(ex))
  } finally {
    p.cleanup()
  }
})

test('c-calc: a comment-only edit of a .c file reruns its compile only (same object file: link and test up to date)', async () => {
  if (!hasCc) return
  const p = calc()
  try {
    let r = await tasksJson(p.dir, [])
    assert.is(r.code, 0, dump(r))
    writeFileSync(
      p.path('src/main.c'),
      readFileSync(p.path('src/main.c'), 'utf8').replace('#include', '/* a comment only */ #include'),
    )
    r = await tasksJson(p.dir, [])
    assert.is(r.code, 0, dump(r))
    const ran = r.json.tasks.filter((t) => t.status === 'ran').map((t) => t.name)
    assert.equal(ran, ['compile:main'], dump(r))
    assert.is(r.status.link, 'up-to-date')
    assert.is(r.status.test, 'up-to-date')
  } finally {
    p.cleanup()
  }
})

test('c-calc: fresh checkout with the cache: restores, then a header edit still reruns the right compile', async () => {
  if (!hasCc) return
  const p = calc()
  try {
    let r = await tasksJson(p.dir, [])
    assert.is(r.code, 0, dump(r))
    rmSync(p.path('build'), { recursive: true, force: true })
    r = await tasksJson(p.dir, [])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status['compile:main'], 'cache-hit', dump(r))
    writeFileSync(p.path('src/eval.h'), readFileSync(p.path('src/eval.h'), 'utf8') + '\n#define EVAL_EDITED 1\n')
    r = await tasksJson(p.dir, [])
    assert.equal(compiles(r), { 'compile:stack': 'up-to-date', 'compile:eval': 'ran', 'compile:main': 'ran' }, dump(r))
  } finally {
    p.cleanup()
  }
})

const WRITE_DEP = (body) =>
  `node -e "const fs=require('fs');fs.mkdirSync('build',{recursive:true});fs.writeFileSync('build/x.o','o');${body}fs.appendFileSync('runs','x\\\\n')"`

test('a missing depfile: a warning, and the task runs again next time (never silently stale)', async () => {
  const p = project(
    `{ cc: { run: ${JSON.stringify(WRITE_DEP(''))}, inputs: ['x.c'], outputs: ['build/**'], depfile: 'build/x.d' } }`,
    { 'x.c': 'int x;\n', '.gitignore': 'runs\n' },
  )
  try {
    let r = await tasksJson(p.dir, ['cc'])
    assert.is(r.status.cc, 'ran', dump(r))
    assert.match(r.stderr, /depfile `build\/x\.d`: it does not exist after the run/)
    r = await tasksJson(p.dir, ['cc'])
    assert.is(r.status.cc, 'ran', dump(r))
    assert.is(count(p.path('runs')), 2)
  } finally {
    p.cleanup()
  }
})

test('a malformed depfile: a warning, and the task runs again next time', async () => {
  const body = `fs.writeFileSync('build/x.d','this is not a rule');`
  const p = project(
    `{ cc: { run: ${JSON.stringify(WRITE_DEP(body))}, inputs: ['x.c'], outputs: ['build/**'], depfile: 'build/x.d' } }`,
    { 'x.c': 'int x;\n', '.gitignore': 'runs\n' },
  )
  try {
    let r = await tasksJson(p.dir, ['cc'])
    assert.match(r.stderr, /depfile `build\/x\.d`: line 1 has no `target:` separator/)
    r = await tasksJson(p.dir, ['cc'])
    assert.is(r.status.cc, 'ran', dump(r))
    assert.is(count(p.path('runs')), 2)
  } finally {
    p.cleanup()
  }
})

test('a discovered header that is deleted: the task reruns (its digest is `missing`), no crash', async () => {
  const body = `fs.writeFileSync('build/x.d','build/x.o: x.c inc/h.h\\\\n');`
  const p = project(
    `{ cc: { run: ${JSON.stringify(WRITE_DEP(body))}, inputs: ['x.c'], outputs: ['build/**'], depfile: 'build/x.d' } }`,
    {
      'x.c': 'int x;\n',
      'inc/h.h': '#define H\n',
      '.gitignore': 'runs\n',
    },
  )
  try {
    let r = await tasksJson(p.dir, ['cc'])
    r = await tasksJson(p.dir, ['cc'])
    assert.is(r.status.cc, 'up-to-date', dump(r))
    rmSync(p.path('inc/h.h'))
    r = await tasksJson(p.dir, ['cc'])
    assert.is(r.status.cc, 'ran', dump(r))
    assert.equal(
      r.task('cc').reasonData,
      { code: 'input-changed', files: [{ path: 'inc/h.h', change: 'modified' }] },
      dump(r),
    )
  } finally {
    p.cleanup()
  }
})

test('config: a depfile outside the project is a config error naming the task', async () => {
  const p = project(`{ cc: { run: 'true', inputs: [], depfile: '../x.d' } }`)
  try {
    const r = await tasks(p.dir, ['cc'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /task `cc`: `depfile` "\.\.\/x\.d" is outside the project root/)
  } finally {
    p.cleanup()
  }
})

test.run()
