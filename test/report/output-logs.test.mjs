// --output-logs full|new-only|errors-only|none (Turborepo's names) in the plain reporter and the
// terminal (listr2) view; in the terminal, waiting tasks are paused (◼), running ones spin and
// show their elapsed time, and `full` keeps the last lines of a successful task's log visible.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rmSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { project, tasks, dump, CLI, needs } from '../rig.mjs'

const config = `{
    hello: { run: 'echo HELLO-LOG', inputs: [] },
    bad: { run: 'echo BAD-LOG; exit 1' },
  }`

/** Run `hello` fresh, then as a cache hit (state removed, cache entry kept), then `bad`, with `mode`. */
async function threeRuns(p, mode) {
  const extra = mode ? ['--output-logs', mode] : []
  rmSync(p.path('.tasks'), { recursive: true, force: true })
  const fresh = await tasks(p.dir, ['hello', ...extra])
  rmSync(p.path('.tasks/state'), { recursive: true, force: true })
  const hit = await tasks(p.dir, ['hello', ...extra])
  const bad = await tasks(p.dir, ['bad', ...extra])
  assert.is(fresh.code, 0, dump(fresh))
  assert.is(hit.code, 0, dump(hit))
  assert.match(hit.stderr, /\[hello\] cache hit/, dump(hit))
  assert.is(bad.code, 1, dump(bad))
  assert.match(bad.stderr, /\[bad\] failed \(exit code 1\)/)
  return { fresh: fresh.stderr, hit: hit.stderr, bad: bad.stderr }
}

test('plain: full (default) prints fresh and replayed logs', async () => {
  const p = project(config)
  try {
    for (const mode of [undefined, 'full']) {
      const r = await threeRuns(p, mode)
      assert.match(r.fresh, /\[hello\] HELLO-LOG/)
      assert.match(r.hit, /\[hello\] HELLO-LOG/, 'replayed on a cache hit')
      assert.match(r.bad, /\[bad\] BAD-LOG/)
    }
  } finally {
    p.cleanup()
  }
})

test('plain: new-only prints fresh logs, not replayed ones', async () => {
  const p = project(config)
  try {
    const r = await threeRuns(p, 'new-only')
    assert.match(r.fresh, /\[hello\] HELLO-LOG/)
    assert.not.match(r.hit, /HELLO-LOG/)
    assert.match(r.bad, /BAD-LOG/)
  } finally {
    p.cleanup()
  }
})

test("plain: errors-only prints only the failed task's log, once", async () => {
  const p = project(config)
  try {
    const r = await threeRuns(p, 'errors-only')
    assert.not.match(r.fresh, /HELLO-LOG/)
    assert.not.match(r.hit, /HELLO-LOG/)
    assert.is(r.bad.split('BAD-LOG').length - 1, 1, r.bad)
    assert.match(r.bad, /--- log of failed task bad ---\nBAD-LOG/)
  } finally {
    p.cleanup()
  }
})

test('plain: none prints no logs, still the status lines and the summary', async () => {
  const p = project(config)
  try {
    const r = await threeRuns(p, 'none')
    for (const out of Object.values(r)) assert.not.match(out, /HELLO-LOG|BAD-LOG/)
    assert.match(r.fresh, /\[hello\] ran in/)
    assert.match(r.bad, /tasks: 1 \| ran: 0 .* failed: 1/)
  } finally {
    p.cleanup()
  }
})

test('a bad --output-logs value is a usage error', async () => {
  const p = project(config)
  try {
    const r = await tasks(p.dir, ['hello', '--output-logs', 'some'])
    assert.is(r.code, 2)
    assert.match(r.stderr, /--output-logs takes `full`, `new-only`, `errors-only`, `none`, got `some`/)
  } finally {
    p.cleanup()
  }
})

/** Run the CLI in a pseudo-terminal (util-linux `script`), 120 columns; the screen text without ANSI sequences. */
function inTerminal(dir, args) {
  const cmd = `stty cols 120 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args.join(' ')}`
  const r = spawnSync('script', ['-q', '-e', '-c', cmd, '/dev/null'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, CI: '', TERM: 'xterm', NO_COLOR: '1', FORCE_COLOR: '', GITHUB_ACTIONS: '' },
  })
  const screen = (r.stdout ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '\n')
  return { code: r.status, screen, frames: screen.split('\n').filter((l) => l.trim()) }
}

needs(['script', ['-q', '-c', 'true', '/dev/null'], 'util-linux script (a pseudo-terminal)'])(
  'terminal: waiting tasks are paused (◼), running ones show elapsed time; full keeps the last log lines of a successful task',
  async () => {
    const p = project(`{
    first: { run: 'for i in 1 2 3 4 5; do echo LINE-$i; done; sleep 2.3', shell: 'sh' },
    second: { run: 'echo SECOND-OUT', deps: ['first'] },
  }`)
    try {
      const r = inTerminal(p.dir, ['second', '--output-logs', 'full'])
      assert.is(r.code, 0, r.screen)
      assert.ok(
        r.frames.some((l) => /^◼ second waiting/.test(l)),
        'second waits, paused:\n' + r.frames.slice(0, 20).join('\n'),
      )
      assert.not.ok(r.frames.some((l) => /second waiting undefined/.test(l)))
      assert.ok(
        r.frames.some((l) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] first running (\d+(\.\d+)? s|\d+ ms)/.test(l)),
        'first spins with its elapsed time',
      )
      assert.ok(
        r.frames.some((l) => /first running [12]\.\d\d s/.test(l)),
        'the elapsed time is refreshed while it runs',
      )
      // the final frame: the finished task keeps its last 3 log lines
      const last = r.screen.lastIndexOf('✔ first ran in')
      assert.ok(last >= 0, r.screen)
      const after = r.screen
        .slice(last)
        .split('\n')
        .filter((l) => l.trim())
        .slice(1, 4)
        .map((l) => l.replace(/^[\s›]+/, '').trim())
      assert.equal(after, ['LINE-3', 'LINE-4', 'LINE-5'], r.screen.slice(last))
      assert.match(r.screen, /tasks: 2 \| ran: 2/)

      const quiet = inTerminal(p.dir, ['second', '--output-logs', 'none'])
      assert.is(quiet.code, 0, quiet.screen)
      assert.not.match(quiet.screen, /LINE-\d|SECOND-OUT/)
    } finally {
      p.cleanup()
    }
  },
)

test.run()
