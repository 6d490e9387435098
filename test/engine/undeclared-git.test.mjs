// Undeclared writes in a git work tree (issue 8's "no re-walk"): the candidates come from one
// `git status` after the run instead of a JavaScript walk of the whole tree. Every kind of file
// git lists must still be found (an edited tracked file, an untracked file, a file in an ignored
// folder created by the run, an ignored file); what git vouches for is not a candidate (a tracked
// file rewritten with the same bytes: the sign this path, not the walk, was taken); a symlinked
// ignored folder is never entered; outside git the walk still finds everything.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gitCommitAll, project, LIB_URL } from '../rig.mjs'

const lib = await import(LIB_URL)

async function undeclared(dir, names, extra = {}) {
  const config = await lib.loadConfig({ cwd: dir })
  const events = []
  const result = await lib.run({ config, tasks: names, onEvent: (e) => events.push(e), ...extra })
  assert.is(result.ok, true, JSON.stringify(result.tasks))
  return events.filter((e) => e.type === 'warning' && e.code === 'undeclared-write')
}

// `gen` writes its declared output and, beside it: an edit of a tracked file, a new untracked file,
// a file in an ignored folder the run creates, an ignored file, the same bytes into a tracked file,
// and a file behind a symlinked ignored folder that points outside the project.
const config = `{
  gen: {
    run: [
      'mkdir -p dist && echo out > dist/out.txt',
      'echo edited >> tracked.txt',
      'echo new > untracked.txt',
      'mkdir -p build/deep && echo b > build/deep/b.txt',
      'echo log > debug.log',
      'cat same.txt > same.tmp && cat same.tmp > same.txt && rm same.tmp',
      'echo outside > linked/x.txt',
    ].join(' && '),
    inputs: ['src/**'],
    outputs: ['dist/**'],
  },
}`
const files = {
  '.gitignore': 'dist/\nbuild/\n*.log\nlinked\n.tasks/\n',
  'src/a.txt': 'a\n',
  'tracked.txt': 'tracked\n',
  'same.txt': 'same\n',
}

test('in git: edited, untracked, ignored-folder and ignored files are all found; a same-bytes rewrite is not a candidate', async () => {
  const p = project(config, files)
  const outside = mkdtempSync(join(tmpdir(), 'tasks-outside-'))
  try {
    symlinkSync(outside, p.path('linked'))
    gitCommitAll(p.dir, 'fixture')
    const ws = await undeclared(p.dir, ['gen'])
    assert.is(ws.length, 1, JSON.stringify(ws))
    assert.is(ws[0].task, 'gen')
    const msg = ws[0].message
    for (const f of ['tracked.txt', 'untracked.txt', 'build/deep/b.txt', 'debug.log'])
      assert.ok(msg.includes(f), `${f} reported: ${msg}`)
    assert.ok(msg.includes('4 files'), msg)
    assert.not.ok(msg.includes('dist/'), 'a declared output is not reported')
    assert.not.ok(msg.includes('same.txt'), 'git vouches for a tracked file with the same bytes (git path taken)')
    assert.not.ok(msg.includes('x.txt'), 'a symlinked folder is not entered')
  } finally {
    p.cleanup()
    rmSync(outside, { recursive: true, force: true })
  }
})

test('in git, a task in a sub-folder root: paths are relative to the project root, not the work tree top', async () => {
  const top = mkdtempSync(join(tmpdir(), 'tasks-top-'))
  try {
    const root = join(top, 'sub', 'proj')
    mkdirSync(join(root, 'src'), { recursive: true })
    writeFileSync(
      join(root, 'tasks.config.mjs'),
      `export default { tasks: { gen: { run: 'echo x > stray.txt && mkdir -p dist && echo o > dist/o.txt', inputs: ['src/**'], outputs: ['dist/**'] } } }\n`,
    )
    writeFileSync(join(root, 'src', 'a.txt'), 'a\n')
    writeFileSync(join(top, '.gitignore'), 'dist/\n.tasks/\n')
    writeFileSync(join(top, 'elsewhere.txt'), 'e\n')
    gitCommitAll(top, 'fixture')
    const ws = await undeclared(root, ['gen'])
    assert.is(ws.length, 1, JSON.stringify(ws))
    assert.match(ws[0].message, /outside its declared outputs: stray\.txt /)
  } finally {
    rmSync(top, { recursive: true, force: true })
  }
})

test('outside git (git: false): the walk finds the same-bytes rewrite too', async () => {
  const p = project(config, files)
  const outside = mkdtempSync(join(tmpdir(), 'tasks-outside-'))
  try {
    symlinkSync(outside, p.path('linked'))
    await new Promise((r) => setTimeout(r, 200)) // the fixture's own files predate the run's windows (20 ms slack)
    const ws = await undeclared(p.dir, ['gen'], { git: false })
    assert.is(ws.length, 1, JSON.stringify(ws))
    for (const f of ['tracked.txt', 'untracked.txt', 'build/deep/b.txt', 'debug.log', 'same.txt'])
      assert.ok(ws[0].message.includes(f), `${f} reported: ${ws[0].message}`)
    assert.not.ok(ws[0].message.includes('x.txt'), 'a symlinked folder is not entered')
  } finally {
    p.cleanup()
    rmSync(outside, { recursive: true, force: true })
  }
})

test.run()
