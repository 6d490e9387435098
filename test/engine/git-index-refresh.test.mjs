// A stale git index (a copied or `touch`ed tree: stat data stale, contents not) is refreshed by a
// run, as `git update-index -q --refresh` would: afterwards git no longer reports the files as
// stat-dirty (so its next `git status` does not hash them again), what is staged stays staged, and
// nothing happens while another git holds `index.lock` or in a dry run.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { gitCommitAll, project, tasksJson, dump } from '../rig.mjs'

function git(dir, ...args) {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
    cwd: dir,
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** Files git's index has stale stat data for (`git diff-files` compares stat data only, never contents). */
const statDirty = (dir) => git(dir, 'diff-files', '--name-only').split('\n').filter(Boolean).sort()

const config = `{
  build: { run: 'node -e "require(\\'fs\\').mkdirSync(\\'out\\',{recursive:true});require(\\'fs\\').writeFileSync(\\'out/b.txt\\',\\'b\\')"', inputs: ['src/**'], outputs: ['out/b.txt'] },
}`
const files = { '.gitignore': 'out/\n.tasks/\n' }
for (let i = 0; i < 40; i++) files[`src/f${String(i).padStart(2, '0')}.txt`] = `file ${i}\n`

async function staleProject() {
  const p = project(config, files)
  gitCommitAll(p.dir, 'fixture')
  const first = await tasksJson(p.dir, ['build'])
  assert.is(first.code, 0, dump(first))
  // Touch every source file after the index was written: same bytes, new mtime and ctime. Debian's
  // git is built without USE_NSEC, so it compares whole seconds: a touch to "now" in the same second
  // as the commit changes nothing it sees (the CI flake: 0 of 40 stale). An mtime an hour back
  // always differs, and is never "racily clean" against the index written after it.
  const past = new Date(Date.now() - 3600_000)
  for (const f of readdirSync(p.path('src'))) utimesSync(p.path(`src/${f}`), past, past)
  assert.is(statDirty(p.dir).length, 40, 'the touch left the index stale')
  return p
}

test('a run refreshes a stale index: git no longer sees the touched files as dirty, the task is up to date', async () => {
  const p = await staleProject()
  try {
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.build, 'up-to-date', dump(r))
    assert.equal(statDirty(p.dir), [], 'the index was refreshed')
    assert.not.ok(existsSync(p.path('.git/index.lock')), 'no lock left behind')
  } finally {
    p.cleanup()
  }
})

test('the refresh never changes what is staged, nor reports a real edit as clean', async () => {
  const p = await staleProject()
  try {
    writeFileSync(p.path('src/f00.txt'), 'staged edit\n')
    git(p.dir, 'add', 'src/f00.txt')
    writeFileSync(p.path('src/f01.txt'), 'unstaged edit\n')
    const stagedBefore = git(p.dir, 'ls-files', '-s', 'src/f00.txt')
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.code, 0, dump(r))
    assert.is(r.status.build, 'ran', dump(r))
    assert.is(git(p.dir, 'ls-files', '-s', 'src/f00.txt'), stagedBefore, 'the staged blob is unchanged')
    assert.equal(git(p.dir, 'diff', '--cached', '--name-only').trim(), 'src/f00.txt', 'still staged')
    assert.equal(statDirty(p.dir), ['src/f01.txt'], 'only the real unstaged edit is left')
  } finally {
    p.cleanup()
  }
})

test('no refresh while another git holds index.lock, nor in a dry run', async () => {
  const p = await staleProject()
  try {
    writeFileSync(p.path('.git/index.lock'), '')
    const locked = await tasksJson(p.dir, ['build'])
    assert.is(locked.code, 0, dump(locked))
    assert.is(locked.status.build, 'up-to-date', dump(locked))
    assert.ok(existsSync(p.path('.git/index.lock')), "the other git's lock is left alone")
    assert.is(statDirty(p.dir).length, 40, 'the index was not touched while locked')
    rmSync(p.path('.git/index.lock'))
    const dry = await tasksJson(p.dir, ['build', '--dry-run'])
    assert.is(dry.code, 0, dump(dry))
    assert.is(statDirty(p.dir).length, 40, "a dry run writes nothing, git's index included")
    const real = await tasksJson(p.dir, ['build'])
    assert.is(real.code, 0, dump(real))
    assert.equal(statDirty(p.dir), [], 'the next real run refreshes it')
  } finally {
    p.cleanup()
  }
})

test.run()
