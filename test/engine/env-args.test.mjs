// Declared env values and arguments after `--` enter the fingerprint.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { project, tasksJson, dump, count } from '../rig.mjs'

test('env: a declared variable with a different value reruns; the same value is up to date', async () => {
  const p = project(`{ show: { run: 'echo "value=$MY_VAR" >> runs', inputs: [], env: ['MY_VAR'] } }`)
  try {
    const r1 = await tasksJson(p.dir, ['show'], { env: { MY_VAR: 'one' } })
    assert.is(r1.status.show, 'ran', dump(r1))
    const r2 = await tasksJson(p.dir, ['show'], { env: { MY_VAR: 'one' } })
    assert.is(r2.status.show, 'up-to-date', dump(r2))
    const r3 = await tasksJson(p.dir, ['show'], { env: { MY_VAR: 'two' } })
    assert.is(r3.status.show, 'ran', dump(r3))
    assert.is(p.read('runs'), 'value=one\nvalue=two\n')
    assert.match(r3.task('show').reason, /MY_VAR/, 'reason should name the env var')
  } finally {
    p.cleanup()
  }
})

test('env: unset versus empty versus set are different fingerprints', async () => {
  const p = project(`{ show: { run: 'echo ran >> runs', inputs: [], env: ['MY_VAR'] } }`)
  try {
    assert.is((await tasksJson(p.dir, ['show'], { env: { MY_VAR: undefined } })).status.show, 'ran')
    assert.is((await tasksJson(p.dir, ['show'], { env: { MY_VAR: undefined } })).status.show, 'up-to-date')
    assert.is(
      (await tasksJson(p.dir, ['show'], { env: { MY_VAR: '' } })).status.show,
      'ran',
      'empty should differ from unset',
    )
    assert.is((await tasksJson(p.dir, ['show'], { env: { MY_VAR: 'x' } })).status.show, 'ran')
  } finally {
    p.cleanup()
  }
})

test('env: an undeclared variable does not change the fingerprint', async () => {
  const p = project(`{ show: { run: 'echo ran >> runs', inputs: [], env: ['MY_VAR'] } }`)
  try {
    assert.is((await tasksJson(p.dir, ['show'], { env: { OTHER_VAR: 'a' } })).status.show, 'ran')
    const r = await tasksJson(p.dir, ['show'], { env: { OTHER_VAR: 'b' } })
    assert.is(r.status.show, 'up-to-date', dump(r))
  } finally {
    p.cleanup()
  }
})

test('env values are not stored in clear in .tasks/', async () => {
  const p = project(`{ show: { run: 'true', inputs: [], env: ['MY_SECRET'] } }`)
  try {
    assert.is((await tasksJson(p.dir, ['show'], { env: { MY_SECRET: 'hunter2-very-secret' } })).code, 0)
    const { execSync } = await import('node:child_process')
    const hits = execSync(`grep -rl hunter2-very-secret .tasks || true`, { cwd: p.dir, encoding: 'utf8' })
    assert.is(hits.trim(), '', `secret found in: ${hits}`)
  } finally {
    p.cleanup()
  }
})

test('args after -- rerun the task and reach the command', async () => {
  const p = project(`{ build: { run: 'echo "args:" >> runs; for a in "$@"; do :; done; echo', inputs: [] } }`)
  // `run` receives args appended to the command text: use a script that records them
  p.write('tasks.config.mjs', p.read('tasks.config.mjs').replace(/run: '.*?', inputs/, `run: 'sh record.sh', inputs`))
  p.write('record.sh', 'echo "args:$*" >> runs\n')
  try {
    const r1 = await tasksJson(p.dir, ['build'])
    assert.is(r1.status.build, 'ran', dump(r1))
    const r2 = await tasksJson(p.dir, ['build', '--', '--flag'])
    assert.is(r2.status.build, 'ran', dump(r2))
    const r3 = await tasksJson(p.dir, ['build', '--', '--flag'])
    assert.is(r3.status.build, 'up-to-date', dump(r3))
    // back to no arguments: the first result is in the cache, so the command does not run again
    const r4 = await tasksJson(p.dir, ['build'])
    assert.is(r4.status.build, 'cache-hit', dump(r4))
    assert.is(p.read('runs'), 'args:\nargs:--flag\n')
  } finally {
    p.cleanup()
  }
})

test('args with spaces and quotes reach the command as one argument each', async () => {
  const p = project(`{ build: { run: 'sh record.sh' } }`, {
    'record.sh': 'for a in "$@"; do echo "<$a>" >> runs; done\n',
  })
  try {
    const r = await tasksJson(p.dir, ['build', '--', 'two words', "it's", '$HOME'])
    assert.is(r.code, 0, dump(r))
    assert.is(p.read('runs'), "<two words>\n<it's>\n<$HOME>\n")
  } finally {
    p.cleanup()
  }
})

test.run()
