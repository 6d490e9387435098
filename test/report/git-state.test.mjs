// The git state of a run's history line (lib/report/git-info.ts): HEAD read from .git's files and
// dirtiness from the run's own git snapshot (no extra git process), else from git itself; both
// must say what `git rev-parse HEAD` and `git status --porcelain` say.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixture, runCli, LIB_URL } from '../rig.mjs'

const CONFIG = `import { defineConfig } from '${LIB_URL}'\nexport default defineConfig({ tasks: { build: { run: 'true', inputs: ['src.txt'] } } })\n`
const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
  GIT_CONFIG_NOSYSTEM: '1',
}
const git = (dir, ...args) => {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: ENV })
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}
const lastGit = (dir) => {
  const lines = readFileSync(join(dir, '.tasks', 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
  return JSON.parse(lines[lines.length - 1]).git
}
async function run(dir) {
  const r = await runCli(dir, ['build'], { timeoutMs: 45_000 })
  assert.is(r.code, 0, r.stderr)
  return lastGit(dir)
}

function repo(files = {}) {
  const p = fixture({ 'tasks.config.mjs': CONFIG, 'src.txt': 'a\n', '.gitignore': '.tasks/\n', ...files })
  git(p.dir, 'init', '-q', '-b', 'main')
  git(p.dir, 'add', '-A')
  git(p.dir, 'commit', '-q', '-m', 'one')
  return p
}

test('clean tree, loose ref: head and dirty false; an edit: dirty true', async () => {
  const p = repo()
  try {
    assert.equal(await run(p.dir), { head: git(p.dir, 'rev-parse', 'HEAD'), dirty: false })
    writeFileSync(p.path('src.txt'), 'b\n')
    assert.equal(await run(p.dir), { head: git(p.dir, 'rev-parse', 'HEAD'), dirty: true })
    writeFileSync(p.path('src.txt'), 'a\n')
    writeFileSync(p.path('new.txt'), 'untracked\n')
    assert.is((await run(p.dir)).dirty, true, 'an untracked file counts, as in git status --porcelain')
  } finally {
    p.cleanup()
  }
})

test('packed refs, a detached HEAD and a second commit', async () => {
  const p = repo()
  try {
    writeFileSync(p.path('src.txt'), 'two\n')
    git(p.dir, 'commit', '-q', '-am', 'two')
    git(p.dir, 'pack-refs', '--all')
    assert.equal(await run(p.dir), { head: git(p.dir, 'rev-parse', 'HEAD'), dirty: false })
    const first = git(p.dir, 'rev-parse', 'HEAD~1')
    git(p.dir, 'checkout', '-q', '--detach', first)
    assert.equal(await run(p.dir), { head: first, dirty: false })
  } finally {
    p.cleanup()
  }
})

test('a project below the top of its work tree: the same answers (asked from git)', async () => {
  const p = fixture({ 'top.txt': 'x\n', '.gitignore': '.tasks/\n' })
  try {
    mkdirSync(p.path('app'))
    writeFileSync(p.path('app/tasks.config.mjs'), CONFIG)
    writeFileSync(p.path('app/src.txt'), 'a\n')
    git(p.dir, 'init', '-q', '-b', 'main')
    git(p.dir, 'add', '-A')
    git(p.dir, 'commit', '-q', '-m', 'one')
    assert.equal(await run(p.path('app')), { head: git(p.dir, 'rev-parse', 'HEAD'), dirty: false })
    writeFileSync(p.path('top.txt'), 'changed outside the project\n')
    assert.is((await run(p.path('app'))).dirty, true, 'the whole work tree, as git status says')
  } finally {
    p.cleanup()
  }
})

test('no commit yet: no head', async () => {
  const p = fixture({ 'tasks.config.mjs': CONFIG, 'src.txt': 'a\n', '.gitignore': '.tasks/\n' })
  try {
    git(p.dir, 'init', '-q', '-b', 'main')
    const g = await run(p.dir)
    assert.is(g.head, undefined)
    assert.is(g.dirty, true)
  } finally {
    p.cleanup()
  }
})

test.run()
