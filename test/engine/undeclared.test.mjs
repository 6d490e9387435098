// Undeclared writes (issue 9, section 4): after tasks ran, files they created or changed inside the
// project outside every declared output (and outside .git, .tasks, node_modules) are named in a
// warning (code `undeclared-write`); a write while several tasks ran at once blames none of them alone.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, dump, LIB_URL } from '../rig.mjs'

const lib = await import(LIB_URL)

/** Run `names` through the library and collect the warnings. */
async function warnings(dir, names, extra = {}) {
  // The fixture's files must predate the run's windows (20 ms of slack): written just before, they
  // looked like the task's writes when the machine was fast (old.txt reported: a flake).
  await new Promise((r) => setTimeout(r, 100))
  const config = await lib.loadConfig({ cwd: dir })
  const events = []
  const result = await lib.run({ config, tasks: names, onEvent: (e) => events.push(e), ...extra })
  return { result, warnings: events.filter((e) => e.type === 'warning') }
}

const undeclared = (ws) => ws.filter((w) => w.code === 'undeclared-write')

test('a task writing beside its declared output: one warning naming the task and the file', async () => {
  const p = project(`{
    gen: { run: 'mkdir -p dist && echo a > dist/out.txt && echo b > stray.txt && mkdir -p node_modules/x && echo c > node_modules/x/y', inputs: [], outputs: ['dist/**'] },
  }`)
  try {
    const { result, warnings: ws } = await warnings(p.dir, ['gen'])
    assert.is(result.ok, true)
    const u = undeclared(ws)
    assert.is(u.length, 1, JSON.stringify(ws))
    assert.is(u[0].task, 'gen')
    assert.match(u[0].message, /outside its declared outputs: stray\.txt/)
    assert.not.match(u[0].message, /dist|node_modules/)
    // a no-op: nothing ran, nothing is walked, no warning
    const again = await warnings(p.dir, ['gen'])
    assert.is(again.result.tasks[0].status, 'up-to-date')
    assert.is(undeclared(again.warnings).length, 0)
  } finally {
    p.cleanup()
  }
})

test('declared outputs in a cwd, negations and files changed before the run are not reported', async () => {
  const p = project(
    `{
    pkg: { run: 'mkdir -p out && echo a > out/a.txt && echo b > out/keep.log', cwd: 'pkg', inputs: ['src/**'], outputs: ['out/**', '!out/*.log'] },
  }`,
    { 'pkg/src/x.txt': 'x\n', 'old.txt': 'written before the run\n' },
  )
  try {
    const { warnings: ws } = await warnings(p.dir, ['pkg'])
    const u = undeclared(ws)
    assert.is(u.length, 1, JSON.stringify(ws))
    assert.match(u[0].message, /pkg\/out\/keep\.log/)
    assert.not.match(u[0].message, /out\/a\.txt|old\.txt/)
  } finally {
    p.cleanup()
  }
})

test('a literal output naming a folder covers the files below it; a literal file covers only itself', async () => {
  const p = project(
    `{
    lit: { run: 'mkdir -p pkg/build/deep && echo a > pkg/build/deep/a.txt && echo b > pkg/exact.txt && echo c > pkg/exact.txt.bak', cwd: '.', inputs: ['src/**'], outputs: ['pkg/build', 'pkg/exact.txt'] },
  }`,
    { 'src/x.txt': 'x\n' },
  )
  try {
    const { warnings: ws } = await warnings(p.dir, ['lit'])
    const u = undeclared(ws)
    assert.is(u.length, 1, JSON.stringify(ws))
    assert.match(u[0].message, /outside its declared outputs: pkg\/exact\.txt\.bak /)
  } finally {
    p.cleanup()
  }
})

test('parallel tasks: a write while two tasks ran at once is never blamed on one of them alone', async () => {
  // slow writes stray.txt half-way; quiet runs meanwhile and writes only its declared output.
  const p = project(`{
    slow: { run: 'sleep 1 && echo s > stray.txt && sleep 1 && echo o > slow.out', inputs: [], outputs: ['slow.out'] },
    quiet: { run: 'sleep 2 && echo q > quiet.out', inputs: [], outputs: ['quiet.out'] },
    all: { deps: ['slow', 'quiet'] },
  }`)
  try {
    const { result, warnings: ws } = await warnings(p.dir, ['all'], { concurrency: 2 })
    assert.is(result.ok, true, dump({ code: 0, signal: null, stdout: JSON.stringify(result), stderr: '' }))
    const u = undeclared(ws)
    assert.is(u.length, 1, JSON.stringify(ws))
    assert.is(u[0].task, undefined, 'not attributed to a single task')
    assert.match(u[0].message, /`quiet`, `slow` ran at once: stray\.txt/)
  } finally {
    p.cleanup()
  }
})

test("tool caches (a CACHEDIR.TAG with the signature, a pyvenv.cfg) and the task's own depfile are expected writes, never reported", async () => {
  const sig = 'Signature: 8a477f597d28d172789f06886806bc55'
  const p = project(
    `{
    build: {
      run: [
        'mkdir -p out deps target/debug/deps .venv/lib/site .cache/tool fake/sub',
        'echo x > out/o && echo "out/o: in.txt" > deps/o.d',
        'echo 1 > target/debug/deps/a.rlib && echo 2 > .venv/lib/site/m.py && echo 3 > .cache/tool/blob',
        'echo 4 > fake/sub/f.txt',
      ],
      inputs: ['in.txt'],
      outputs: ['out/**'],
      depfile: 'deps/o.d',
    },
  }`,
    {
      'in.txt': 'in\n',
      // cargo writes target/CACHEDIR.TAG; a venv has pyvenv.cfg at its top; a tag without the signature is no tag
      'target/CACHEDIR.TAG': `${sig}\n# This file is a cache directory tag created by cargo.\n`,
      '.venv/pyvenv.cfg': 'home = /usr/bin\n',
      '.cache/tool/CACHEDIR.TAG': `${sig}\n`,
      'fake/CACHEDIR.TAG': 'not the signature\n',
    },
  )
  try {
    const { result, warnings: ws } = await warnings(p.dir, ['build'])
    assert.is(result.ok, true, JSON.stringify(result))
    const u = undeclared(ws)
    assert.is(u.length, 1, JSON.stringify(ws))
    assert.match(u[0].message, /fake\/sub\/f\.txt/)
    assert.not.match(u[0].message, /target|\.venv|\.cache|deps\/o\.d|out\/o/)
  } finally {
    p.cleanup()
  }
})

test('a task that is never cached (no inputs) is not warned about: nothing of it is restored; beside a cached one the write is still reported', async () => {
  const p = project(`{
    always: { run: 'mkdir -p build && echo a > build/a.txt' },
    cached: { run: 'sleep 0.3 && echo b > stray.txt', inputs: [], outputs: [] },
  }`)
  try {
    const alone = await warnings(p.dir, ['always'])
    assert.is(alone.result.ok, true)
    assert.is(undeclared(alone.warnings).length, 0, JSON.stringify(alone.warnings))
    const both = await warnings(p.dir, ['cached'])
    const u = undeclared(both.warnings)
    assert.is(u.length, 1, JSON.stringify(both.warnings))
    assert.match(u[0].message, /stray\.txt/)
  } finally {
    p.cleanup()
  }
})

test.run()
