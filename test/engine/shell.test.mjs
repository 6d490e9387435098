// The portable shell (the default `shell`) on this OS: its file builtins, constructs refused before a
// task runs, process trees killed on abort, arguments after `--` quoted for each shell, `shell: 'sh'`
// per task and config-wide. test/windows/ runs the same engine under Wine.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { project, startCli, tasksJson, waitFor, acEntries, dump, count, LIB_URL, alive, needs } from '../rig.mjs'

const { shellQuote } = await import(new URL('util/quote.js', LIB_URL).href)

const running = alive

test('file builtins: mkdir -p, cat (bytes unchanged), cp -r, mv, rm -rf, touch, test, $VAR defaults, redirections', async () => {
  const bytes = Buffer.from([0, 255, 10, 13, 10, 128, 1])
  const p = project(
    `{
    files: {
      run: [
        'mkdir -p out/a/b && cat src/*.bin > out/all.bin && cp -r src out/copy && mv out/copy out/moved',
        'rm -rf out/a && touch out/stamp && test -f out/stamp && [ -d out/moved ] && test ! -e out/a',
        'echo \${MISSING:-fallback} "$GREETING" > out/vars.txt; echo err-line >&2',
        'node err.cjs 2>> out/err.txt && cat < out/vars.txt >> out/err.txt',
      ],
      setEnv: { GREETING: 'hi there' },
      inputs: ['src/**'],
      outputs: ['out/**'],
    },
  }`,
    { 'src/x.bin': bytes, 'src/y.bin': 'tail', 'err.cjs': "process.stderr.write('2\\n')\n" },
  )
  try {
    const r = await tasksJson(p.dir, ['files'])
    assert.is(r.code, 0, dump(r))
    assert.equal(readFileSync(p.path('out/all.bin')), Buffer.concat([bytes, Buffer.from('tail')]))
    assert.ok(existsSync(p.path('out/moved/x.bin')) && !existsSync(p.path('out/copy')) && !existsSync(p.path('out/a')))
    assert.is(p.read('out/vars.txt'), 'fallback hi there\n')
    assert.is(p.read('out/err.txt'), '2\nfallback hi there\n')
    assert.match(r.stderr, /err-line/)
  } finally {
    p.cleanup()
  }
})

test("a program's large output redirected with >, >> and 2> reaches the file whole (the interpreter ended the file while output was still buffered: yarnpkg/berry#6733)", async () => {
  // 8 tasks, 2 at a time: each writes 3 MB to stdout (>), 1 MB appended (>>) and 1 MB to stderr (2>).
  const gen = (n, fd, ch) => `node -e \\"require('fs').writeSync(${fd}, Buffer.alloc(${n}, '${ch}'))\\"`
  const tasksSrc = Array.from(
    { length: 8 },
    (_, i) =>
      `t${i}: { run: "${gen(3e6, 1, 'a')} > o${i}.txt && ${gen(1e6, 1, 'b')} >> o${i}.txt && ${gen(1e6, 2, 'c')} 2> e${i}.txt", inputs: [], outputs: ['o${i}.txt', 'e${i}.txt'] }`,
  ).join(',\n')
  const p = project(`{ ${tasksSrc}, all: { deps: [${Array.from({ length: 8 }, (_, i) => `'t${i}'`).join(', ')}] } }`)
  try {
    const r = await tasksJson(p.dir, ['all', '--concurrency', '2'])
    assert.is(r.code, 0, dump(r))
    for (let i = 0; i < 8; i++) {
      const o = readFileSync(p.path(`o${i}.txt`))
      assert.is(o.length, 4e6, `o${i}.txt: ${o.length} bytes`)
      assert.is(o[3e6 - 1], 97)
      assert.is(o[3e6], 98)
      assert.is(readFileSync(p.path(`e${i}.txt`)).length, 1e6, `e${i}.txt`)
    }
  } finally {
    p.cleanup()
  }
})

test("the task's cwd and env: relative paths, cd, $VAR from setEnv and the environment, exit codes", async () => {
  const p = project(
    `{
    here: { cwd: 'sub', run: 'pwd > where.txt && cd .. && test -f tasks.config.mjs && echo "$FROM_SET $FROM_ENV" > sub/env.txt', setEnv: { FROM_SET: 'set' }, inputs: [] },
    code: { run: 'false || exit 7', inputs: [] },
  }`,
    { 'sub/.keep': '' },
  )
  try {
    const r = await tasksJson(p.dir, ['here'], { env: { FROM_ENV: 'env' } })
    assert.is(r.code, 0, dump(r))
    assert.is(p.read('sub/where.txt').trim(), p.path('sub'))
    assert.is(p.read('sub/env.txt'), 'set env\n')
    const c = await tasksJson(p.dir, ['code'])
    assert.is(c.task('code').exitCode, 7, dump(c))
  } finally {
    p.cleanup()
  }
})

test('a construct the portable shell lacks fails the task before any of its commands runs', async () => {
  for (const [cmd, construct] of [
    ['for f in a b; do echo $f; done', /`for` keyword/],
    ['cat <<EOF\nx\nEOF', /here-document/],
    ['sleep 1 & wait', /background job/],
    ['echo x # note', /comment/],
    ['ls ~/x', /tilde/],
    ['trap "echo" EXIT', /`trap` builtin/],
  ]) {
    const p = project(`{ bad: { run: ['echo ran >> runs', ${JSON.stringify(cmd)}], inputs: [] } }`)
    try {
      const r = await tasksJson(p.dir, ['bad'])
      assert.is(r.code, 1, dump(r))
      assert.is(r.status.bad, 'failed')
      assert.match(r.task('bad').error, /task `bad`: the portable shell does not support/)
      assert.match(r.task('bad').error, construct)
      assert.is(count(p.path('runs')), 0, `nothing of the task ran for ${cmd}`)
    } finally {
      p.cleanup()
    }
  }
})

test("shell: 'sh' per task and config-wide runs sh's constructs; changing the shell reruns the task", async () => {
  const p = project(`{
    loop: { shell: 'sh', run: 'for f in a b; do echo $f >> out.txt; done', inputs: [] },
    plain: { run: 'echo plain >> runs', inputs: [] },
  }`)
  try {
    const r = await tasksJson(p.dir, ['loop', 'plain'])
    assert.is(r.code, 0, dump(r))
    assert.is(p.read('out.txt'), 'a\nb\n')
    // Config-wide sh: the plain task's definition changed (its shell), so it runs again.
    p.write(
      'tasks.config.mjs',
      p
        .read('tasks.config.mjs')
        .replace('export default defineConfig({', "export default defineConfig({\n  shell: 'sh',"),
    )
    const r2 = await tasksJson(p.dir, ['loop', 'plain'])
    assert.is(r2.code, 0, dump(r2))
    assert.equal(r2.status, { loop: 'up-to-date', plain: 'ran' }, dump(r2))
  } finally {
    p.cleanup()
  }
})

test("shell: 'cmd' off Windows and an unknown shell are errors naming the task", async () => {
  const p = project(`{ win: { shell: 'cmd', run: 'echo hi', inputs: [] } }`)
  try {
    if (process.platform !== 'win32') {
      const r = await tasksJson(p.dir, ['win'])
      assert.is(r.code, 1, dump(r))
      assert.match(r.task('win').error, /task `win` runs under `shell: 'cmd'`, which exists only on Windows/)
    }
    p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace("shell: 'cmd'", "shell: 'bash'"))
    const bad = spawnSync(process.execPath, [new URL('../../dist/bin/tasks.js', import.meta.url).pathname, 'win'], {
      cwd: p.dir,
      encoding: 'utf8',
    })
    assert.is(bad.status, 2, bad.stderr)
    assert.match(bad.stderr, /win/)
    assert.match(bad.stderr, /'portable', 'sh' or 'cmd'/)
  } finally {
    p.cleanup()
  }
})

test('SIGINT kills every process tree the portable shell spawned; nothing after it runs, nothing is stored', async () => {
  const p = project(
    `{ slow: { run: 'node parent.cjs; echo after >> runs', inputs: ['parent.cjs'], outputs: ['out.txt'] } }`,
    {
      'parent.cjs': `const { spawn } = require('child_process'); const fs = require('fs')
const c = spawn('sleep', ['1000'], { stdio: 'ignore' })
fs.writeFileSync('out.txt', 'partial'); fs.writeFileSync('pids', process.pid + ' ' + c.pid)
setInterval(() => {}, 1000)\n`,
    },
  )
  let pids = []
  try {
    const { child, done } = startCli(p.dir, ['slow', '--json'])
    pids = await waitFor(
      () => existsSync(p.path('pids')) && p.read('pids').trim().split(' ').map(Number),
      'the pid file',
    )
    assert.ok(pids.every(running), 'the tree runs before the signal')
    child.kill('SIGINT')
    const r = await done
    assert.is(r.code, 130, dump(r))
    await waitFor(() => !pids.some(running), 'the tree to be gone', 5000).catch(() => {})
    assert.equal(pids.filter(running), [], 'every process of the tree is gone')
    assert.is(count(p.path('runs')), 0, 'the command after the killed one never ran')
    assert.is(acEntries(p.dir).length, 0)
    assert.is(JSON.parse(r.stdout).interrupted, true)
  } finally {
    for (const pid of pids) if (running(pid)) process.kill(pid, 'SIGKILL')
    p.cleanup()
  }
})

test('arguments after -- arrive unchanged under the portable shell and sh', async () => {
  const argv = ['a b', "it's", '$HOME', '*.txt', 'x&y;z', '"q"', '', 'back\\slash']
  const p = project(
    `{
    portable: { run: 'node print.cjs', inputs: [] },
    sh: { shell: 'sh', run: 'node print.cjs', inputs: [] },
  }`,
    {
      'print.cjs': "require('fs').appendFileSync('args.json', JSON.stringify(process.argv.slice(2)) + '\\n')\n",
      'x.txt': '',
    },
  )
  try {
    for (const t of ['portable', 'sh']) {
      const r = await tasksJson(p.dir, [t, '--', ...argv])
      assert.is(r.code, 0, dump(r))
    }
    const got = p
      .read('args.json')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.equal(got, [argv, argv])
  } finally {
    p.cleanup()
  }
})

test("ctx.exec runs under the task's shell (portable builtins in a function task)", async () => {
  const p = project(
    `{ fn: { run: async (ctx) => { await ctx.exec('mkdir -p out/deep && echo from-exec > out/deep/f.txt') }, inputs: [], outputs: ['out/**'] } }`,
  )
  try {
    const r = await tasksJson(p.dir, ['fn'])
    assert.is(r.code, 0, dump(r))
    assert.is(p.read('out/deep/f.txt'), 'from-exec\n')
  } finally {
    p.cleanup()
  }
})

needs(['cc'])(
  'examples/c-calc builds and tests under the portable shell (its default), then is up to date',
  async () => {
    const dir = new URL('../../examples/c-calc', import.meta.url).pathname
    const r = await tasksJson(dir, ['--force'])
    assert.is(r.code, 0, dump(r))
    assert.ok(
      r.json.tasks.every((t) => t.status === 'ran'),
      dump(r),
    )
    assert.match(r.stderr, /smoke test: calc '3 4 \+ 2 \*' = 14/)
    const again = await tasksJson(dir)
    assert.is(again.json.summary.ran, 0, dump(again))
  },
)

test('shellQuote: plain words stay, everything else survives sh; cmd quoting escapes metacharacters', () => {
  const samples = [
    'plain-word_1.2/x',
    'a b',
    "it's",
    '$HOME',
    '`x`',
    'x&y|z;w',
    '"q"',
    '',
    'back\\slash',
    'new\nline',
    '*?[a]',
  ]
  for (const s of samples) {
    const q = shellQuote(s, 'sh')
    const r = spawnSync('/bin/sh', ['-c', `printf %s ${q}`], { encoding: 'utf8' })
    assert.is(r.stdout, s, `sh round trip of ${JSON.stringify(s)} via ${q}`)
    assert.is(shellQuote(s, 'portable'), q)
  }
  assert.is(shellQuote('plain'), 'plain')
  assert.is(shellQuote('a b', 'cmd'), '^"a^ b^"')
  assert.is(shellQuote('50%', 'cmd'), '^"50^%^"')
  assert.is(shellQuote('say "hi"\\', 'cmd'), '^"say^ \\^"hi\\^"\\\\^"')
})

test('sh semantics: an unset $VAR expands to nothing and a glob matching nothing stays the word, as sh does (portable vs sh, same text)', async () => {
  const cmd = (out) =>
    `echo "[$UNSET_A]" x\${UNSET_B}y z$UNSET_C > ${out}; echo $((UNSET_D + 2)) >> ${out}; ` +
    `echo no-such-*.zz '@scope/pkg*' @scope/pkg* >> ${out}; rm -f none/*.o && echo done >> ${out}`
  const p = project(
    `{
    portable: { run: ${JSON.stringify(cmd('out/portable.txt'))}, inputs: [], outputs: ['out/portable.txt'] },
    sh: { run: ${JSON.stringify(cmd('out/sh.txt'))}, shell: 'sh', inputs: [], outputs: ['out/sh.txt'] },
  }`,
    { 'out/.keep': '' },
  )
  try {
    const r = await tasksJson(p.dir, ['portable', 'sh'])
    assert.is(r.code, 0, dump(r))
    const expected = '[] xy z\n2\nno-such-*.zz @scope/pkg* @scope/pkg*\ndone\n'
    assert.is(p.read('out/sh.txt'), expected, 'sh itself')
    assert.is(p.read('out/portable.txt'), expected)
  } finally {
    p.cleanup()
  }
})

test.run()
