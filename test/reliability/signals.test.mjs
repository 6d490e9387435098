// Every signal that ends `tasks` (SIGINT, SIGTERM, SIGHUP, SIGQUIT) kills every running tree, even
// one that ignores SIGTERM (SIGKILL after the grace), before `tasks` exits with 128 + the signal's
// number and the summary line saying "interrupted"; a second Ctrl-C does not exit before the trees
// are dead; a signal in the first milliseconds of a function task stops its commands; in a
// terminal (listr2 view, run under `script`), Ctrl-C ends with the summary and exit 130.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { project, startCli, waitFor, dump, sleep, CLI, alive, needs } from '../rig.mjs'

const running = alive
const readPid = (p, f) => () => {
  const t = existsSync(p.path(f)) && readFileSync(p.path(f), 'utf8').trim()
  return t ? Number(t) : undefined
}

// A tree that ignores SIGTERM (the shell and its sleep inherit SIG_IGN): only SIGKILL ends it.
const stubborn = `{
    hang: {
      shell: 'sh', run: "trap '' TERM; echo $PPID > tasks.pid; sleep 1000 & echo $! > gpid; wait; wait",
      inputs: ['in.txt'],
      outputs: ['out.txt'],
    },
  }`

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) {
  const code = 128 + constants.signals[sig]
  test(`${sig}: a tree ignoring SIGTERM is dead when tasks exits ${code}, summary says interrupted`, async () => {
    const p = project(stubborn, { 'in.txt': 'x' })
    let gpid
    try {
      const { child, done } = startCli(p.dir, ['hang'])
      gpid = await waitFor(readPid(p, 'gpid'), 'the grandchild pid file')
      assert.ok(running(gpid))
      child.kill(sig)
      const r = await done
      // checked at once: tasks must not exit while its trees live
      const alive = running(gpid)
      assert.is(r.code, code, dump(r))
      assert.not.ok(alive, `grandchild ${gpid} (ignoring SIGTERM) still running when tasks exited after ${sig}`)
      assert.match(r.stderr, /\| interrupted/, dump(r))
    } finally {
      if (gpid && running(gpid)) process.kill(gpid, 'SIGKILL')
      p.cleanup()
    }
  })
}

test('a second Ctrl-C kills the trees at once, and tasks exits only after they are dead', async () => {
  const p = project(stubborn, { 'in.txt': 'x' })
  let gpid
  try {
    const { child, done } = startCli(p.dir, ['hang'])
    gpid = await waitFor(readPid(p, 'gpid'), 'the grandchild pid file')
    child.kill('SIGINT')
    await sleep(100)
    child.kill('SIGINT')
    const r = await done
    const alive = running(gpid)
    assert.is(r.code, 130, dump(r))
    assert.not.ok(alive, `grandchild ${gpid} still running when tasks exited after a second Ctrl-C`)
    assert.match(r.stderr, /\| interrupted/, dump(r))
  } finally {
    if (gpid && running(gpid)) process.kill(gpid, 'SIGKILL')
    p.cleanup()
  }
})

test('a signal in the first milliseconds of a function task: its commands do not run to their end', async () => {
  const p = project(`{
    fn: {
      run: async ({ $ }) => {
        try { await $\`sleep 2; echo first > first.txt\` } catch {}
        await $\`sleep 2; echo second > second.txt\`
      },
    },
  }`)
  try {
    const { child, done } = startCli(p.dir, ['fn'])
    let err = ''
    child.stderr.on('data', (d) => {
      err += d
      // the plain reporter prints `[fn] run: ...` at task:start, before the function's first command
      if (/\[fn\] run/.test(err) && !child.killed) child.kill('SIGINT')
    })
    const r = await done
    assert.is(r.code, 130, dump(r))
    await sleep(2500)
    assert.not.ok(p.exists('first.txt'), `the first command ran to its end after the signal: ${dump(r)}`)
    assert.not.ok(p.exists('second.txt'), `a command started after the signal ran to its end: ${dump(r)}`)
  } finally {
    p.cleanup()
  }
})

// Under a pseudo-terminal: `script` (util-linux).
const SCRIPT = ['script', ['--version'], '`script` (util-linux)']
// The listr2 view: one line per task, and the bounded one-line view of graphs over 30 tasks.
const many = `{
    hang: { shell: 'sh', run: "trap '' TERM; echo $PPID > tasks.pid; sleep 1000 & echo $! > gpid; wait; wait" },
${Array.from({ length: 34 }, (_, i) => `    q${i}: { run: 'true' },`).join('\n')}
    all: { deps: ['hang', ${Array.from({ length: 34 }, (_, i) => `'q${i}'`).join(', ')}] },
  }`
for (const [view, cfg, target, total] of [
  ['one line per task', stubborn, 'hang', 1],
  ['bounded view, 36 tasks', many, 'all', 36],
])
  needs(SCRIPT)(
    `in a terminal (listr2, ${view}, under \`script\`): Ctrl-C ends with the summary, exit 130, the tree dead`,
    async () => {
      const p = project(cfg, { 'in.txt': 'x' })
      let gpid
      try {
        const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${target}`
        const env = { ...process.env, TERM: 'xterm', NO_COLOR: '1' }
        delete env.CI
        delete env.GITHUB_ACTIONS
        const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], {
          cwd: p.dir,
          env,
          stdio: ['pipe', 'pipe', 'pipe'],
        })
        let out = ''
        child.stdout.on('data', (d) => (out += d))
        child.stderr.on('data', (d) => (out += d))
        const done = new Promise((res) => child.on('close', (code) => res(code)))
        const timer = setTimeout(() => child.kill('SIGKILL'), 45_000)
        gpid = await waitFor(readPid(p, 'gpid'), 'the grandchild pid file')
        await sleep(300) // let the view draw
        // Ctrl-C typed at the terminal: the pty's line discipline sends SIGINT to the foreground group.
        child.stdin.write('\x03')
        const tasksPid = readPid(p, 'tasks.pid')()
        const code = await Promise.race([done, sleep(10_000).then(() => 'timeout')])
        if (code === 'timeout') {
          // some `script` versions do not forward a piped ^C: deliver the SIGINT the terminal would send
          process.kill(tasksPid, 'SIGINT')
        }
        const final = code === 'timeout' ? await done : code
        clearTimeout(timer)
        assert.not.ok(running(gpid), `grandchild ${gpid} still running`)
        assert.is(final, 130, out)
        assert.match(out, /interrupted/, out)
        assert.match(out, new RegExp(`tasks: ${total} \\|`), `no summary line:\n${out}`)
      } finally {
        if (gpid && running(gpid)) process.kill(gpid, 'SIGKILL')
        p.cleanup()
      }
    },
  )

needs(SCRIPT)('terminal closed (the pty of `script` goes away: SIGHUP): every tree is killed', async () => {
  const p = project(stubborn, { 'in.txt': 'x' })
  let gpid, tasksPid
  try {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} hang`
    const env = { ...process.env, TERM: 'xterm', NO_COLOR: '1' }
    delete env.CI
    const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], {
      cwd: p.dir,
      env,
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    gpid = await waitFor(readPid(p, 'gpid'), 'the grandchild pid file')
    tasksPid = readPid(p, 'tasks.pid')()
    child.kill('SIGKILL') // the terminal emulator dies: the kernel hangs up the pty
    await waitFor(
      () => !running(gpid) && !running(tasksPid),
      `tasks (${tasksPid}) and its tree (${gpid}) to end after the hang-up`,
      15_000,
    ).catch(() => {})
    assert.not.ok(running(gpid), `grandchild ${gpid} survived the terminal closing`)
    assert.not.ok(running(tasksPid), `tasks ${tasksPid} survived the terminal closing`)
  } finally {
    if (gpid && running(gpid)) process.kill(gpid, 'SIGKILL')
    if (tasksPid && running(tasksPid)) process.kill(tasksPid, 'SIGKILL')
    p.cleanup()
  }
})

test.run()
