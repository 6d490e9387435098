// Early cutoff (issue 9, section 4): a dependency that reran but wrote byte-identical outputs leaves
// its dependents up to date; the reasons name the dependency whose outputs changed; --explain on a
// 5,000-deep chain is iterative; a removed cwd is a clear failure; no MaxListenersExceededWarning.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rmSync, writeFileSync } from 'node:fs'
import { project, tasks, tasksJson, dump, count, LIB_URL } from '../rig.mjs'

const lib = await import(LIB_URL)

// "compile": build/a.o = src/a.c without its comment lines (a comment-only edit writes the same bytes).
const COMPILE = `node -e "const fs=require('fs');fs.mkdirSync('build',{recursive:true});fs.writeFileSync('build/a.o',fs.readFileSync('src/a.c','utf8').split('\\\\n').filter(l=>!l.startsWith('//')).join('\\\\n'));fs.appendFileSync('runs.obj','x\\\\n')"`
const LINK = `node -e "const fs=require('fs');fs.writeFileSync('build/app',fs.readFileSync('build/a.o'));fs.appendFileSync('runs.link','x\\\\n')"`
const CONFIG = `{
    obj: { run: ${JSON.stringify(COMPILE)}, inputs: ['src/**'], outputs: ['build/a.o'] },
    link: { run: ${JSON.stringify(LINK)}, deps: ['obj'], inputs: ['build/a.o'], outputs: ['build/app'] },
    test: { run: 'node -e "require(\\'fs\\').appendFileSync(\\'runs.test\\',\\'x\\\\\\\\n\\')"', deps: ['link'], inputs: [] },
  }`
const FILES = { 'src/a.c': '// version 1\nint main() { return 0; }\n', '.gitignore': 'runs.*\n' }

test('a comment-only edit reruns the compile only: link and test stay up to date', async () => {
  const p = project(CONFIG, FILES)
  try {
    let r = await tasksJson(p.dir, ['test'])
    assert.equal(r.status, { obj: 'ran', link: 'ran', test: 'ran' }, dump(r))
    writeFileSync(p.path('src/a.c'), '// version 2, only the comment changed\nint main() { return 0; }\n')
    r = await tasksJson(p.dir, ['test'])
    assert.equal(r.status, { obj: 'ran', link: 'up-to-date', test: 'up-to-date' }, dump(r))
    assert.is(count(p.path('runs.link')), 1)
    assert.is(count(p.path('runs.test')), 1)
    // and it stays so
    r = await tasksJson(p.dir, ['test'])
    assert.equal(r.status, { obj: 'up-to-date', link: 'up-to-date', test: 'up-to-date' }, dump(r))
  } finally {
    p.cleanup()
  }
})

test('a real edit reruns the chain, each dependent naming the dependency whose outputs changed', async () => {
  const p = project(CONFIG, FILES)
  try {
    await tasksJson(p.dir, ['test'])
    writeFileSync(p.path('src/a.c'), '// version 1\nint main() { return 1; }\n')
    const r = await tasksJson(p.dir, ['test'])
    assert.equal(r.status, { obj: 'ran', link: 'ran', test: 'ran' }, dump(r))
    assert.equal(r.task('link').reasonData, { code: 'dependency-changed', dependencies: ['obj'] }, dump(r))
    assert.equal(r.task('test').reasonData, { code: 'dependency-changed', dependencies: ['link'] }, dump(r))
    assert.is(p.read('build/app'), 'int main() { return 1; }\n')
  } finally {
    p.cleanup()
  }
})

test('a restore of the same bytes (deleted output) keeps dependents up to date, and the dry run predicts it', async () => {
  const p = project(CONFIG, FILES)
  try {
    await tasksJson(p.dir, ['test'])
    rmSync(p.path('build/a.o'))
    const dry = await tasksJson(p.dir, ['test', '--dry-run'])
    const real = await tasksJson(p.dir, ['test'])
    assert.equal(real.status, { obj: 'cache-hit', link: 'up-to-date', test: 'up-to-date' }, dump(real))
    assert.equal(dry.status, real.status, dump(dry))
  } finally {
    p.cleanup()
  }
})

test('dry run and --explain after a real edit predict the run, naming the changed dependency', async () => {
  const p = project(CONFIG, FILES)
  try {
    await tasksJson(p.dir, ['test'])
    writeFileSync(p.path('src/a.c'), '// version 1\nint main() { return 2; }\n')
    const ex = JSON.parse((await tasks(p.dir, ['--explain', 'link', '--json'])).stdout)
    assert.is(ex.upToDate, false)
    assert.equal(ex.why, { code: 'dependency-changed', dependencies: ['obj'] })
    assert.is(ex.deps[0].task, 'obj')
    assert.equal(ex.deps[0].why.code, 'input-changed')
    const dry = await tasksJson(p.dir, ['test', '--dry-run'])
    const real = await tasksJson(p.dir, ['test'])
    assert.equal(dry.status, real.status, `${dump(dry)}\n${dump(real)}`)
    // after the run, --explain agrees it is up to date
    const after = JSON.parse((await tasks(p.dir, ['--explain', 'test', '--json'])).stdout)
    assert.is(after.upToDate, true, JSON.stringify(after))
  } finally {
    p.cleanup()
  }
})

test('--explain t4999 on a 5,000-deep chain whose root changed: no stack overflow, every level named', async () => {
  const N = 5000
  const p = project(
    'chain',
    { 'in.txt': 'one\n' },
    {
      extra: `const chain = {}\nfor (let i = 0; i < ${N}; i++) chain['t' + i] = { run: async () => {}, inputs: i === 0 ? ['in.txt'] : [], ...(i ? { deps: ['t' + (i - 1)] } : {}) }`,
    },
  )
  try {
    let r = await tasks(p.dir, [`t${N - 1}`], { timeoutMs: 240_000 })
    assert.is(r.code, 0, dump(r))
    assert.not.match(r.stderr, /MaxListenersExceededWarning/)
    writeFileSync(p.path('in.txt'), 'two\n')
    r = await tasks(p.dir, ['--explain', `t${N - 1}`], { timeoutMs: 240_000 })
    assert.is(r.code, 0, dump(r))
    assert.not.match(r.stderr, /Maximum call stack|RangeError/)
    assert.match(r.stdout, /^t4999: dependency changed: t4998/m)
    assert.match(r.stdout, /^\s+t0: input changed: in\.txt/m)
    assert.is(r.stdout.match(/: dependency changed: t\d+$/gm).length, N - 1)
  } finally {
    p.cleanup()
  }
})

test('5,000 command tasks in one run: no MaxListenersExceededWarning', async () => {
  const p = project(
    'many',
    {},
    {
      extra: `const many = { all: { deps: [] } }\nfor (let i = 0; i < 5000; i++) { many['t' + i] = { run: 'true' }; many.all.deps.push('t' + i) }`,
    },
  )
  try {
    const r = await tasks(p.dir, ['all', '--concurrency', '8'], { timeoutMs: 300_000 })
    assert.is(r.code, 0, dump(r))
    assert.not.match(r.stderr, /MaxListenersExceededWarning/)
  } finally {
    p.cleanup()
  }
})

test('a cwd removed after the config was loaded: a failure naming the task and the cwd, not spawn ENOENT', async () => {
  const p = project(
    `{
    clean: { run: 'rm -rf sub' },
    build: { run: 'echo hi', cwd: 'sub', deps: ['clean'] },
  }`,
    { 'sub/keep.txt': 'x\n' },
  )
  try {
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.status.build, 'failed', dump(r))
    const t = r.task('build')
    assert.match(t.reason, /task `build`: its cwd `sub` .* does not exist/, dump(r))
    assert.not.match(r.stdout + r.stderr, /ENOENT/)
  } finally {
    p.cleanup()
  }
})

test('library: the run signal carries one listener per run, whatever the number of tasks', async () => {
  const p = project(`{ a: { run: 'true' }, b: { run: 'true', deps: ['a'] } }`)
  try {
    const config = await lib.loadConfig({ cwd: p.dir })
    const ac = new AbortController()
    const { getEventListeners } = await import('node:events')
    let seen = 0
    const result = await lib.run({
      config,
      tasks: ['b'],
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'task:start') seen = Math.max(seen, getEventListeners(ac.signal, 'abort').length)
      },
    })
    assert.is(result.ok, true)
    assert.is(seen, 1)
    assert.is(getEventListeners(ac.signal, 'abort').length, 0, 'the listener is removed after the run')
  } finally {
    p.cleanup()
  }
})

test.run()
