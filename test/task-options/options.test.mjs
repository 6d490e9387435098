// Per-task execution options: `timeoutMs` (the tree is killed, reason `timed-out`), `retries` (each
// attempt logged, counted once), `interactive` (under a pseudo-terminal: a prompt is answered; never
// cached; runs alone).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { project, tasksJson, tasks, dump, waitFor, alive, CLI, needs } from '../rig.mjs'

test('timeoutMs: the whole tree is killed and the task fails with reason timed-out', async () => {
  const p = project(`{
    slow: { run: 'sleep 60 & echo $! > grandchild.pid; wait', shell: 'sh', timeoutMs: 800 },
    after: { run: 'echo after', deps: ['slow'] },
  }`)
  try {
    const r = await tasksJson(p.dir, ['after'])
    assert.is(r.code, 1, dump(r))
    assert.is(r.status.slow, 'failed')
    assert.equal(r.task('slow').reasonData, { code: 'timed-out', timeoutMs: 800 })
    assert.is(r.task('slow').reason, 'timed out after 800 ms')
    assert.is(r.status.after, 'skipped')
    const pid = Number(p.read('grandchild.pid'))
    await waitFor(() => !alive(pid), 'the grandchild of the timed-out task to be gone', 10_000)
    const plain = await tasks(p.dir, ['slow'])
    assert.match(plain.stderr, /\[slow\] timed out after 800 ms/, dump(plain))
  } finally {
    p.cleanup()
  }
})

test('timeoutMs: under the portable shell (the default) the spawned program is killed too', async () => {
  const p = project(
    `{ slow: { run: 'node -e "require(\\'fs\\').writeFileSync(\\'child.pid\\', String(process.pid)); setTimeout(() => {}, 60000)"', timeoutMs: 4000 } }`,
  )
  try {
    const r = await tasksJson(p.dir, ['slow'])
    assert.is(r.code, 1, dump(r))
    assert.equal(r.task('slow').reasonData, { code: 'timed-out', timeoutMs: 4000 })
    const pid = Number(p.read('child.pid'))
    await waitFor(() => !alive(pid), 'the program of the timed-out task to be gone', 10_000)
  } finally {
    p.cleanup()
  }
})

test('timeoutMs: a function task sees its signal aborted and fails timed-out; a fast task is unaffected', async () => {
  const p = project(`{
    fn: { run: async (ctx) => { await new Promise((res, rej) => { const t = setTimeout(res, 60000); ctx.signal.addEventListener('abort', () => { clearTimeout(t); rej(new Error('aborted')) }) }) }, timeoutMs: 300 },
    quick: { run: 'echo quick', timeoutMs: 30000 },
  }`)
  try {
    const r = await tasksJson(p.dir, ['fn', 'quick', '--continue'])
    assert.is(r.task('fn').reasonData.code, 'timed-out', dump(r))
    assert.is(r.status.quick, 'ran')
  } finally {
    p.cleanup()
  }
})

test('timeoutMs: a function task that ignores its signal is given up on, and the CLI exits', async () => {
  const p = project(
    `{ deaf: { run: async () => { await new Promise((r) => setTimeout(r, 120000)) }, timeoutMs: 300 } }`,
  )
  try {
    // The rig kills the CLI after 45 s: exiting at all is the point (the abandoned timer is 120 s).
    const r = await tasksJson(p.dir, ['deaf'])
    assert.is(r.code, 1, dump(r))
    assert.equal(r.task('deaf').reasonData, { code: 'timed-out', timeoutMs: 300 })
  } finally {
    p.cleanup()
  }
})

test('retries: a command failing twice then succeeding runs three times, each attempt in the log, counted once', async () => {
  const p = project(`{
    flaky: { run: 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "attempt $n"; [ $n -ge 3 ]', shell: 'sh', retries: 2, inputs: [] },
  }`)
  try {
    const r = await tasksJson(p.dir, ['flaky'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.flaky, 'ran')
    assert.is(r.json.summary.ran, 1)
    assert.is(r.json.tasks.length, 1)
    assert.is(p.read('count').trim(), '3')
    assert.match(r.stderr, /attempt 1 of 3 failed \(exit code 1\); retrying/)
    assert.match(r.stderr, /attempt 2 of 3 failed \(exit code 1\); retrying/)
    assert.match(r.stderr, /warning \[flaky\]: attempt 3 of 3/)
    // Stored once, up to date afterwards.
    assert.is((await tasksJson(p.dir, ['flaky'])).status.flaky, 'up-to-date')
  } finally {
    p.cleanup()
  }
})

test('retries: exhausted, the task fails with the last exit code after N+1 attempts', async () => {
  const p = project(`{ bad: { run: 'echo try >> tries; exit 3', shell: 'sh', retries: 1 } }`)
  try {
    const r = await tasksJson(p.dir, ['bad'])
    assert.is(r.code, 1, dump(r))
    assert.equal(r.task('bad').reasonData, { code: 'exit-code', exitCode: 3 })
    assert.is(p.read('tries'), 'try\ntry\n')
  } finally {
    p.cleanup()
  }
})

test('config: bad timeoutMs / retries / interactive values are config errors naming the task', async () => {
  for (const [def, re] of [
    [`{ run: 'x', timeoutMs: -1 }`, /timeoutMs/],
    [`{ run: 'x', retries: 1.5 }`, /retries/],
    [`{ run: 'x', interactive: 'yes' }`, /interactive/],
  ]) {
    const p = project(`{ t: ${def} }`)
    try {
      const r = await tasks(p.dir, ['t'])
      assert.is(r.code, 2, dump(r))
      assert.match(r.stderr, re)
      assert.match(r.stderr, /`t`/)
    } finally {
      p.cleanup()
    }
  }
})

/** Run the CLI under a pseudo-terminal (`script`), answering prompts with `answer` after `delayMs`. */
function underPty(cwd, args, answer) {
  return new Promise((resolve) => {
    const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
    const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', CI: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    let answered = false
    child.stdout.on('data', (d) => {
      out += d
      if (!answered && /name\? /.test(out)) {
        answered = true
        child.stdin.write(answer + '\n')
      }
    })
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

const ASK = `node -e "console.log(process.stdin.isTTY ? 'stdin is a tty' : 'stdin is not a tty'); process.stdout.write('name? '); process.stdin.once('data', (d) => { console.log('hello ' + String(d).trim()); process.exit(0) })"`

needs(['script', ['--version'], '`script` (util-linux)'])(
  'interactive: under a pseudo-terminal the prompt reads the answer (portable shell and sh); never cached',
  async () => {
    const p = project(`{
    ask: { run: ${JSON.stringify(ASK)}, interactive: true, inputs: [] },
    asksh: { run: 'printf "name? "; read name; echo "sh says $name"', shell: 'sh', interactive: true },
  }`)
    try {
      const r = await underPty(p.dir, ['ask'], 'ada')
      assert.is(r.code, 0, r.out)
      assert.match(r.out, /stdin is a tty/)
      assert.match(r.out, /hello ada/)
      assert.match(r.out, /interactive: true`: always runs/)
      const again = await underPty(p.dir, ['ask'], 'bob')
      assert.match(again.out, /hello bob/, 'never up to date: it runs again')
      const sh = await underPty(p.dir, ['asksh'], 'cy')
      assert.is(sh.code, 0, sh.out)
      assert.match(sh.out, /sh says cy/)
    } finally {
      p.cleanup()
    }
  },
)

test('interactive: nothing else runs while it runs (concurrency 1 for its duration)', async () => {
  const p = project(`{
    a: { run: 'echo a-start >> order; sleep 0.3; echo a-end >> order', shell: 'sh' },
    b: { run: 'echo b-start >> order; sleep 0.3; echo b-end >> order', shell: 'sh' },
    c: { run: 'echo c-start >> order; sleep 0.3; echo c-end >> order', shell: 'sh' },
    i: { run: 'echo i-start >> order; sleep 0.5; echo i-end >> order', shell: 'sh', interactive: true },
    all: { deps: ['a', 'b', 'i', 'c'] },
  }`)
  try {
    const r = await tasksJson(p.dir, ['all', '--concurrency', '4'])
    assert.is(r.code, 0, dump(r))
    const order = p.read('order').trim().split('\n')
    const s = order.indexOf('i-start')
    assert.is(order[s + 1], 'i-end', `nothing between i-start and i-end: ${order.join(' ')}`)
    // Others ran concurrently among themselves (not the point, but the run was parallel).
    assert.is(order.length, 8)
  } finally {
    p.cleanup()
  }
})

test('interactive: with stdin not a terminal, the command still gets it (a pipe)', async () => {
  const p = project(`{ ask: { run: ${JSON.stringify(ASK)}, interactive: true } }`)
  try {
    const child = spawn(process.execPath, [CLI, 'ask'], {
      cwd: p.dir,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.stdin.end('zed\n')
    const code = await new Promise((res) => child.on('close', res))
    assert.is(code, 0, out)
    assert.match(out, /hello zed/)
  } finally {
    p.cleanup()
  }
})

test.run()
