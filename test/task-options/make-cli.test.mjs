// The CLI a make user types (issue 20): -j, -k, -n, -B, -C, -f as make's options, `NAME=value`
// arguments as make's command-line variables (exported to every task, the value of a task variable
// of that name, part of the fingerprint where declared), and an unknown option naming the nearest one.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, tasks, tasksJson, dump } from '../rig.mjs'

const CONFIG = `{
  cc: { run: 'echo "cflags=$CFLAGS mode=$MODE" > out.txt', inputs: [], outputs: ['out.txt'], env: ['CFLAGS'], vars: { MODE: { default: 'debug' } } },
  fail: { run: 'exit 3', inputs: [] },
  other: { run: 'echo other > other.txt', inputs: [], outputs: ['other.txt'] },
}`

test('NAME=value arguments: exported to the tasks, a declared var takes the value, and a change reruns', async () => {
  const p = project(CONFIG)
  try {
    const r = await tasksJson(p.dir, ['cc', 'CFLAGS=-O2', 'MODE=release'])
    assert.is(r.code, 0, dump(r))
    assert.is(p.read('out.txt'), 'cflags=-O2 mode=release\n')
    assert.is((await tasksJson(p.dir, ['cc', 'CFLAGS=-O2', 'MODE=release'])).status.cc, 'up-to-date')
    const changed = await tasksJson(p.dir, ['cc', 'CFLAGS=-O3'])
    assert.is(changed.status.cc, 'ran', dump(changed))
    assert.is(p.read('out.txt'), 'cflags=-O3 mode=debug\n')
  } finally {
    p.cleanup()
  }
})

test('-n, -B, -k, -j, -C and -f mean what they mean to make', async () => {
  const p = project(CONFIG)
  try {
    assert.is((await tasksJson(p.dir, ['other'])).status.other, 'ran')
    const dry = await tasksJson(p.dir, ['-n', '-B', 'other'])
    assert.is(dry.status.other, 'ran', dump(dry)) // forced, in a dry run: would run
    assert.match(dry.task('other').reason, /forced/)
    const kept = await tasksJson(p.dir, ['-k', '-j', '1', 'fail', 'cc'])
    assert.is(kept.code, 1, dump(kept))
    assert.is(kept.status.cc, 'ran', 'with -k the independent task still runs')
    const elsewhere = await tasks('/', ['-C', p.dir, '-f', p.path('tasks.config.mjs'), 'other'])
    assert.is(elsewhere.code, 0, dump(elsewhere))
    assert.match(elsewhere.stdout + elsewhere.stderr, /\[other\] up to date/)
  } finally {
    p.cleanup()
  }
})

test('an unknown option names the nearest real one', async () => {
  const p = project(CONFIG)
  try {
    const r = await tasks(p.dir, ['--dry-rn', 'cc'])
    assert.is(r.code, 2, dump(r))
    assert.match(r.stderr, /unknown option `--dry-rn`; did you mean `--dry-run`\?/)
  } finally {
    p.cleanup()
  }
})

test.run()
