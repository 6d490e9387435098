// The task states as journals + a snapshot (lib/cache/journal.ts, lib/cache/state.ts): two runs at
// once see each other's results, a torn journal line (kill -9 mid-write) loses only its task, a
// failure's delete outranks an older set in another journal, compaction merges and deletes the
// journals of finished runs (under a lock whose dead holder is taken over), and a workspace of the
// earlier per-task-file layout stays up to date.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { project, tasksJson, startCli, waitFor, dump, count, alive, REPO } from '../rig.mjs'

const { processStartTime } = await import(join(REPO, 'dist', 'lib', 'util', 'process.js'))
const { COMPACT_JOURNALS } = await import(join(REPO, 'dist', 'lib', 'cache', 'journal.js'))

const journalDir = (p) => p.path('.tasks/state/journal')
const journals = (p) =>
  existsSync(journalDir(p)) ? readdirSync(journalDir(p)).filter((n) => n.endsWith('.jsonl')) : []
/** The complete lines of every journal, parsed: `{ k, s, v?, d? }`. */
const journalLines = (p) =>
  journals(p).flatMap((n) =>
    readFileSync(join(journalDir(p), n), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l.slice(17))),
  )
const compactionLock = (p) => p.path('.tasks/locks/state-compaction.lock')
/** Hold the compaction lock as this (live) test process: runs then leave their journals. */
function holdCompactionLock(p) {
  mkdirSync(p.path('.tasks/locks'), { recursive: true })
  writeFileSync(
    compactionLock(p),
    JSON.stringify({
      pid: process.pid,
      start: processStartTime(process.pid) ?? 'unknown',
      task: 'test',
      since: Date.now(),
    }),
  )
}

// Each command appends a line to runs/<task> (how often it ran) and writes its output.
const task = (name, sleep = 0) =>
  `${name}: { run: '${sleep ? `sleep ${sleep}; ` : ''}echo x >> runs/${name}; cat src/${name}.txt > out/${name}.txt', inputs: ['src/${name}.txt'], outputs: ['out/${name}.txt'] },`
const names = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
function files(list) {
  return { ...Object.fromEntries(list.map((n) => [`src/${n}.txt`, `${n}\n`])), 'out/.keep': '', 'runs/.keep': '' }
}

test('two runs at once over disjoint and shared tasks: each task runs once, then everything is up to date', async () => {
  const a = names('a', 4)
  const b = names('b', 4)
  const shared = names('s', 3)
  const p = project(
    `{
    ${[...a, ...b].map((n) => task(n)).join('\n    ')}
    ${shared.map((n) => task(n, 1)).join('\n    ')}
    left: { deps: [${[...a, ...shared].map((n) => `'${n}'`).join(', ')}] },
    right: { deps: [${[...b, ...shared].map((n) => `'${n}'`).join(', ')}] },
    all: { deps: ['left', 'right'] },
  }`,
    files([...a, ...b, ...shared]),
  )
  try {
    const [l, r] = await Promise.all([
      tasksJson(p.dir, ['left', '--concurrency', '3']),
      tasksJson(p.dir, ['right', '--concurrency', '3']),
    ])
    assert.is(l.code, 0, dump(l))
    assert.is(r.code, 0, dump(r))
    for (const n of [...a, ...b])
      assert.is(count(p.path(`runs/${n}`)), 1, `${n} ran ${count(p.path(`runs/${n}`))} times`)
    // A shared task ran in one process; the other waited for its lock and found it up to date.
    for (const n of shared) {
      assert.is(count(p.path(`runs/${n}`)), 1, `${n} ran in both processes:\n${dump(l)}\n${dump(r)}`)
      assert.equal([l.status[n], r.status[n]].sort(), ['ran', 'up-to-date'], `${n}: ${l.status[n]} / ${r.status[n]}`)
    }
    const c = await tasksJson(p.dir, ['all'])
    assert.is(c.code, 0, dump(c))
    for (const n of [...a, ...b, ...shared]) assert.is(c.status[n], 'up-to-date', dump(c))
    for (const n of [...a, ...b, ...shared]) assert.is(count(p.path(`runs/${n}`)), 1)
  } finally {
    p.cleanup()
  }
})

test('a run sees the results of a run that started after it (a journal created after its last look)', async () => {
  const p = project(
    `{
    a0: { run: 'echo x >> runs/a0; echo a > out/a0.txt', inputs: ['src/a0.txt'], outputs: ['out/a0.txt'] },
    w: { run: 'touch w.started; while [ ! -e go ]; do sleep 0.05; done; echo w > out/w.txt', shell: 'sh', inputs: ['src/a0.txt'], outputs: ['out/w.txt'] },
    s: { run: 'echo x >> runs/s; echo s > out/s.txt', inputs: ['src/s.txt'], outputs: ['out/s.txt'] },
    left: { deps: ['a0', 'w', 's'] },
  }`,
    files(['a0', 's']),
  )
  try {
    // No compaction: the later run's result is only in its own journal, which the first must find.
    holdCompactionLock(p)
    // One at a time, in this order: a0 (stored: the first run has a journal and has looked), w (waits), s.
    const left = startCli(p.dir, ['left', '--concurrency', '1', '--json'])
    await waitFor(() => journalLines(p).length >= 1 && p.exists('w.started'), 'the first run to store a0 and start w')
    const r = await tasksJson(p.dir, ['s'])
    assert.is(r.status.s, 'ran', dump(r))
    assert.is(journals(p).length, 2)
    p.write('go', '')
    const l = await left.done
    assert.is(l.code, 0, l.out)
    const status = Object.fromEntries(JSON.parse(l.stdout).tasks.map((t) => [t.name, t.status]))
    assert.is(status.s, 'up-to-date', l.out)
    assert.is(count(p.path('runs/s')), 1)
  } finally {
    p.write('go', '')
    p.cleanup()
  }
})

test('a torn journal line (kill -9 mid-write) loses only its task; the dead run journal is merged and deleted', async () => {
  const fast = names('t', 4)
  const p = project(
    `{
    ${fast.map((n) => task(n)).join('\n    ')}
    // Slow in the killed run only (the next run finds slow.pid).
    slow: { run: 'test -e slow.pid || { echo $$ > slow.pid; sleep 60; }', inputs: ['src/t0.txt'] },
    all: { deps: [${[...fast, 'slow'].map((n) => `'${n}'`).join(', ')}] },
  }`,
    files(fast),
  )
  let slowPid
  try {
    const run = startCli(p.dir, ['all', '--no-cache', '--concurrency', '5'])
    // The fast tasks stored (a journal line each) while `slow` still runs: then kill -9 the run.
    await waitFor(() => journalLines(p).length >= fast.length && p.exists('slow.pid'), 'the fast tasks to be stored')
    run.child.kill('SIGKILL')
    await run.done
    slowPid = Number(readFileSync(p.path('slow.pid'), 'utf8'))
    const [name] = journals(p)
    assert.is(journals(p).length, 1)
    const file = join(journalDir(p), name)
    const text = readFileSync(file, 'utf8')
    const lines = text.split('\n').filter(Boolean)
    assert.is(lines.length, fast.length, text)
    const torn = JSON.parse(lines.at(-1).slice(17)).k
    // Cut the last line in its middle, as a write cut short by kill -9 would leave it.
    truncateSync(file, text.length - Math.floor(lines.at(-1).length / 2) - 1)

    const r = await tasksJson(p.dir, ['all', '--no-cache'])
    assert.is(r.code, 0, dump(r))
    for (const n of fast) assert.is(r.status[n], n === torn ? 'ran' : 'up-to-date', `${n} (torn: ${torn}): ${dump(r)}`)
    assert.is(r.status.slow, 'ran')
    assert.not.ok(existsSync(file), 'the dead run journal should be merged and deleted')
    assert.equal(journals(p), [], 'journals left after a compacting run')
    const again = await tasksJson(p.dir, ['all', '--no-cache'])
    for (const n of fast) assert.is(again.status[n], 'up-to-date', dump(again))
  } finally {
    if (slowPid && alive(slowPid))
      try {
        process.kill(slowPid, 'SIGKILL')
      } catch {}
    p.cleanup()
  }
})

test("a failure's delete outranks the older set in another run's journal", async () => {
  const p = project(
    `{
    flaky: { run: 'echo x >> runs/flaky; grep -q ok src/flaky.txt && cp src/flaky.txt out/flaky.txt', inputs: ['src/flaky.txt'], outputs: ['out/flaky.txt'] },
  }`,
    { 'src/flaky.txt': 'ok\n', 'out/.keep': '', 'runs/.keep': '' },
  )
  try {
    holdCompactionLock(p)
    assert.is((await tasksJson(p.dir, ['flaky', '--no-cache'])).status.flaky, 'ran')
    p.write('src/flaky.txt', 'bad\n')
    assert.is((await tasksJson(p.dir, ['flaky', '--no-cache'])).status.flaky, 'failed')
    // Two journals (no compaction while the lock is held): the set, then the delete.
    assert.is(journals(p).length, 2)
    assert.equal(
      journalLines(p)
        .map((l) => [l.k, l.s, l.d === 1 ? 'delete' : 'set'])
        .sort((x, y) => x[1] - y[1]),
      [
        ['flaky', 1, 'set'],
        ['flaky', 2, 'delete'],
      ],
    )
    // Back to the content of the successful run: its fingerprint again, but the failure came after.
    p.write('src/flaky.txt', 'ok\n')
    const r = await tasksJson(p.dir, ['flaky', '--no-cache'])
    assert.is(r.status.flaky, 'ran', dump(r))
    assert.is(count(p.path('runs/flaky')), 3)
  } finally {
    p.cleanup()
  }
})

test('compaction: journals of finished runs are merged into the snapshot and deleted; a live lock holder defers it, a dead one is taken over', async () => {
  const list = names('c', 30)
  const p = project(
    `{\n    ${list.map((n) => task(n)).join('\n    ')}\n    all: { deps: [${list.map((n) => `'${n}'`).join(', ')}] },\n  }`,
    files(list),
  )
  try {
    const first = await tasksJson(p.dir, ['all'])
    assert.is(first.code, 0, dump(first))
    assert.ok(p.exists('.tasks/state/snapshot.json'))
    assert.equal(journals(p), [], 'the first run compacts (there was no snapshot)')
    // One changed task per run: small journals stay until there are enough of them.
    let most = 0
    let compacted = false
    for (let i = 0; i < COMPACT_JOURNALS + 2; i++) {
      p.write(`src/c${i}.txt`, `changed ${i}\n`)
      const r = await tasksJson(p.dir, ['all'])
      assert.is(r.code, 0, dump(r))
      assert.is(r.status[`c${i}`], 'ran', dump(r))
      const n = journals(p).length
      most = Math.max(most, n)
      if (i > 0 && n === 0) compacted = true
      assert.ok(n <= COMPACT_JOURNALS, `${n} journals`)
    }
    assert.ok(most > 1, 'journals should accumulate between compactions')
    assert.ok(compacted, 'a run should have compacted')
    const all = await tasksJson(p.dir, ['all'])
    for (const n of list) assert.is(all.status[n], 'up-to-date', dump(all))

    // A live holder of the compaction lock: the run leaves its journal (and stays correct).
    holdCompactionLock(p)
    const before = journals(p).length
    for (let i = 0; i < COMPACT_JOURNALS; i++) {
      p.write(`src/c${i}.txt`, `again ${i}\n`)
      assert.is((await tasksJson(p.dir, ['all'])).status[`c${i}`], 'ran')
    }
    assert.is(journals(p).length, before + COMPACT_JOURNALS)
    assert.ok(existsSync(compactionLock(p)), 'the live holder keeps its lock')
    // Its holder died (a pid that no longer runs): the next run takes the lock over and compacts.
    writeFileSync(
      compactionLock(p),
      JSON.stringify({ pid: spawnSync('true').pid, start: '1', task: 'test', since: Date.now() }),
    )
    const after = await tasksJson(p.dir, ['all'])
    for (const n of list) assert.is(after.status[n], 'up-to-date', dump(after))
    assert.equal(journals(p), [])
    assert.not.ok(existsSync(compactionLock(p)), 'the lock is released')
    for (const n of list) assert.ok(count(p.path(`runs/${n}`)) <= 3)
  } finally {
    p.cleanup()
  }
})

test('a workspace of the earlier layout (a state file per task) stays up to date and is imported once', async () => {
  const list = names('l', 5)
  const p = project(
    `{\n    ${list.map((n) => task(n)).join('\n    ')}\n    all: { deps: [${list.map((n) => `'${n}'`).join(', ')}] },\n  }`,
    files(list),
  )
  try {
    assert.is((await tasksJson(p.dir, ['all'])).code, 0)
    // Rewrite the states as the earlier version kept them: .tasks/state/tasks/<sha256(task)[:32]>.json.
    const snap = JSON.parse(readFileSync(p.path('.tasks/state/snapshot.json'), 'utf8'))
    const legacy = p.path('.tasks/state/tasks')
    mkdirSync(legacy, { recursive: true })
    for (const [k, , , v] of snap.entries)
      if (v)
        writeFileSync(
          join(legacy, `${createHash('sha256').update(k).digest('hex').slice(0, 32)}.json`),
          JSON.stringify(v),
        )
    rmSync(p.path('.tasks/state/snapshot.json'))
    rmSync(journalDir(p), { recursive: true, force: true })
    const r = await tasksJson(p.dir, ['all'])
    for (const n of list) assert.is(r.status[n], 'up-to-date', dump(r))
    assert.ok(p.exists('.tasks/state/snapshot.json'), 'imported into a snapshot')
    assert.equal(
      readdirSync(legacy).filter((n) => /^[0-9a-f]{32}\.json$/.test(n)),
      [],
      'the earlier state files are removed once imported',
    )
    p.write('src/l1.txt', 'changed\n')
    const c = await tasksJson(p.dir, ['all'])
    for (const n of list) assert.is(c.status[n], n === 'l1' ? 'ran' : 'up-to-date', dump(c))
    assert.is(c.task('l1').runReasonData?.code, 'input-changed', JSON.stringify(c.task('l1')))
  } finally {
    p.cleanup()
  }
})

test.run()
