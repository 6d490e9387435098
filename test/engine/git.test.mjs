// Inputs from git's snapshot (lib/fingerprint/git.ts + inputs.ts) must be exactly what walking the
// tree finds, with the same digests, in every state a file can be in for git; and a run must see
// what its own tasks write (codegen into an ignored folder, restores) and what git would not report
// (assume-unchanged files).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, symlinkSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fixture, gitCommitAll, project, tasksJson, dump, count, REPO } from '../rig.mjs'

const dist = (p) => new URL(`../../dist/lib/${p}`, import.meta.url).href
const { takeGitSnapshot } = await import(dist('fingerprint/git.js'))
const { GitInputIndex } = await import(dist('fingerprint/inputs.js'))
const { expandGlobs, globWithTinyglobby, walkGlobs, walkFiles } = await import(dist('fingerprint/glob.js'))
const { ContentChecker } = await import(dist('fingerprint/content.js'))
const { HashMemo } = await import(dist('fingerprint/memo.js'))

function git(dir, ...args) {
  const r = spawnSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'protocol.file.allow=always', ...args],
    { cwd: dir, encoding: 'utf8' },
  )
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** A repository with a file in every state git knows, plus folders git lists as one entry. */
function messyRepo() {
  const p = fixture({
    '.gitignore': 'build/\n*.log\nnode_modules/\n',
    'src/a.c': 'a',
    'src/b.h': 'b',
    'src/deep/c.c': 'c',
    'src/deep-sorts-between.c': 'd',
    'src/deep.c': 'e',
    'src/.hidden.c': 'h',
    'src/modified.c': 'old',
    'src/deleted.c': 'gone soon',
    'src/staged.c': 'old staged',
    'docs/readme.md': 'r',
    'pkg/x/in.txt': 'x',
    'c++/main.cc': 'm',
    'weird name (1).c': 'w',
    'unchanged-but-touched.c': 't',
  })
  gitCommitAll(p.dir, 'initial')
  p.write('src/modified.c', 'new content')
  rmSync(p.path('src/deleted.c'))
  p.write('src/staged.c', 'new staged')
  git(p.dir, 'add', 'src/staged.c')
  p.write('src/untracked.c', 'u')
  p.write('src/untracked-dir/u.c', 'ud')
  p.write('build/gen.c', 'generated') // an ignored folder
  p.write('build/sub/gen.h', 'generated h')
  p.write('src/trace.log', 'ignored file')
  p.write('node_modules/m/index.c', 'never an input unless named')
  p.write('.tasks/cas/zz', 'never an input')
  writeFileSync(p.path('unchanged-but-touched.c'), 't') // same content, new mtime
  symlinkSync('a.c', p.path('src/link-to-file.c'))
  symlinkSync('deep', p.path('src/link-to-dir'))
  // a nested repository, reported by git as one folder
  p.write('vendor/nested/n.c', 'nested')
  git(join(p.dir, 'vendor/nested'), 'init', '-q')
  return p
}

const PATTERN_SETS = [
  ['**'],
  ['src/**'],
  ['src/**/*.c'],
  ['src/**/*.c', '!src/deep/**'],
  ['**/*.h'],
  ['src/*.c', 'docs/readme.md'],
  ['build/**'],
  ['build/gen.c', 'missing.c'],
  ['**/*.c', '!**/untracked*'],
  ['src/{a,b}.*'],
  ['**', '!src/**'],
  ['**/node_modules/**'],
  ['*.c'],
  ['src/link-to-dir/**'],
  ['vendor/**'],
  ['src/**', '!src/deep'],
  ['**', '!**/deep*', '!build'],
  ['**/*.{c,h}', '!src/link-*/**'],
  ['c++/main.cc', 'c++/missing.cc'],
  ['c++/**'],
]

test('git listing = walking, for every pattern set, from the root and from a sub folder; same digests', async () => {
  const p = messyRepo()
  try {
    const snap = await takeGitSnapshot(p.dir)
    assert.ok(snap, 'the fixture is a git repository')
    const index = new GitInputIndex(p.dir, snap)
    const checker = new ContentChecker(new HashMemo(join(p.dir, 'memo.json')))
    for (const cwd of ['.', 'src', 'pkg/x']) {
      for (const patterns of PATTERN_SETS) {
        const fromGit = index.list(cwd, patterns)
        const walked = expandGlobs(p.dir, cwd, patterns)
        const what = `cwd ${cwd}, patterns ${JSON.stringify(patterns)}`
        assert.ok(fromGit, what)
        assert.equal(fromGit.files, walked.files, what)
        assert.equal(fromGit.missingLiterals, walked.missingLiterals, what)
        assert.equal(
          checker.digest(p.dir, fromGit.files, fromGit.hints),
          checker.digest(p.dir, walked.files),
          `digests: ${what}`,
        )
      }
    }
    // the snapshot vouches for clean tracked files only
    assert.ok(index.vouches('src/a.c'))
    assert.ok(index.vouches('src/staged.c'), 'a staged edit equals the index')
    assert.not.ok(index.vouches('src/modified.c'))
    assert.not.ok(index.vouches('src/untracked.c'))
    assert.not.ok(index.vouches('src/link-to-file.c'), 'a symlink is hashed through the link')
    // patterns that leave the root are left to the walk
    assert.is(index.list('src', ['../../elsewhere/**']), undefined)
  } finally {
    p.cleanup()
  }
})

/**
 * Pattern sets whose `!` exclusions name a folder at or above a positive pattern's static base:
 * tinyglobby tests its ignore patterns only against folders below the base it crawls from, so the
 * walk leaves them to tinyglobby (the git index excludes the folder's files, as it did before).
 */
const DEFERRED_SETS = [
  ['src/a.c', '!src'],
  ['src/deep/c.c', '!src/deep'],
  ['src/deep/c.c', 'docs/**', '!src/deep'],
  ['src/**/*.c', '!src'],
  ['src/*.c', '!s*'],
  ['!(src)/**'],
]

/** More shapes for the walk: literal folders, trailing slashes, depth-limited globs, names tinyglobby skips, `..` inside the cwd. */
const WALK_SETS = [
  ['src'],
  ['src/', 'docs/'],
  ['src/deep/'],
  ['src/*', '!src/deep.c'],
  ['*/*.c'],
  ['src/{a.c,deep/c.c}'],
  ['**/*.md', 'docs/readme.md', 'docs/missing.md'],
  ['src/**', '!src/deep/**', '!src/*.h'],
  ['src/**', '!**/*.c'],
  ['src/**', '!src/deep/c.c', '!src/b.h'],
  ['src/../docs/**'],
  ['**', '!**'],
  ['src/a.c/**'],
  ['missing/**', 'missing/*.c'],
  ['.git/**', '.tasks/**'],
  ['**/node_modules/**', '!node_modules/m/index.c'],
  ['pkg/x/in.txt', 'pkg/x/in.txt'],
  ['{src,docs}/**'],
  ['{src,docs}/*.*', '!docs/*.md'],
  ['s*/deep/*.c', 'p*/*/in.txt'],
  ['*/x/*'],
  ['@(src|pkg)/**/*.c'],
  ['src/{deep,untracked-dir}/*.c'],
  ['{src/deep,docs}/*'],
  ['src/!(deep)/*.c'],
  ['?(s)rc/*.c', '[sp]*/*/*'],
  ['*/!weird/*'],
]

test('the walk = tinyglobby, for every pattern set and cwd, with and without symlinks in the tree', async () => {
  const p = messyRepo()
  try {
    p.write('src/node_modules', 'a file named like the skipped folder')
    p.write('docs/.tasks', 'a file named .tasks')
    p.write('src/.git', 'a file named .git (a worktree or submodule link)')
    p.write('src/empty/.keep', '')
    rmSync(p.path('src/empty/.keep'))
    const check = (label) => {
      for (const cwd of ['.', 'src', 'pkg/x', 'c++', 'missing']) {
        for (const patterns of [...PATTERN_SETS, ...DEFERRED_SETS, ...WALK_SETS]) {
          const what = `${label}: cwd ${cwd}, patterns ${JSON.stringify(patterns)}`
          assert.equal(expandGlobs(p.dir, cwd, patterns), globWithTinyglobby(p.dir, cwd, patterns), what)
        }
      }
      for (const dir of ['', 'src', 'build', 'vendor', 'missing']) {
        for (const nm of [false, true]) {
          const walked = walkFiles(join(p.dir, dir), nm).sort()
          // (a pattern naming node_modules is what makes tinyglobby's walk enter them; this one excludes nothing)
          const reference = globWithTinyglobby(
            join(p.dir, dir),
            '.',
            nm ? ['**', '!no-such-node_modules'] : ['**'],
          ).files
          assert.equal(walked, reference, `${label}: walkFiles ${dir || '.'} nodeModules ${nm}`)
        }
      }
    }
    check('with symlinks (the walk hands src/ to tinyglobby)')
    rmSync(p.path('src/link-to-file.c'))
    rmSync(p.path('src/link-to-dir'))
    check('without symlinks (the walk serves src/)')
    for (const patterns of [
      ['src/**'],
      ['src/**/*.c', '!src/deep/**'],
      ['**', '!src/**'],
      ['src/*.c', 'docs/readme.md'],
      ['src/deep'],
      ['src/**', '!src/deep'],
      ['build/gen.c', 'missing.c'],
    ]) {
      assert.ok(walkGlobs(p.dir, '.', patterns), `the walk serves ${JSON.stringify(patterns)} itself`)
    }
    for (const patterns of DEFERRED_SETS)
      assert.is(walkGlobs(p.dir, '.', patterns), undefined, `tinyglobby decides ${JSON.stringify(patterns)}`)
  } finally {
    p.cleanup()
  }
})

test('a literal path through a symlinked folder, a symlink as the literal, a dangling one, a folder: as tinyglobby says', async () => {
  const p = fixture({ 'real/r.txt': 'r', 'src/a.txt': 'a', 'dist/out.txt': 'o', 'dist/sub/x.txt': 'x' })
  try {
    symlinkSync('../real', p.path('src/link'))
    symlinkSync('a.txt', p.path('src/flink'))
    symlinkSync('nowhere', p.path('src/broken'))
    const sets = [
      ['src/link/r.txt'],
      ['src/link'],
      ['src/flink'],
      ['src/broken'],
      ['dist'],
      ['dist/out.txt', 'dist/missing.txt'],
      ['dist/out.txt', '!dist/out.txt'],
      ['src/a.txt/x'],
      ['src/**'],
      ['src/link/**'],
      ['dist/**', '!dist/sub'],
    ]
    for (const cwd of ['.', 'src']) {
      for (const patterns of sets) {
        assert.equal(
          expandGlobs(p.dir, cwd, patterns),
          globWithTinyglobby(p.dir, cwd, patterns),
          `cwd ${cwd}, patterns ${JSON.stringify(patterns)}`,
        )
      }
    }
    // the shapes themselves (not only agreement)
    assert.equal(expandGlobs(p.dir, '.', ['src/link/r.txt']).files, ['src/link/r.txt'])
    assert.equal(
      expandGlobs(p.dir, '.', ['dist']),
      { files: [], missingLiterals: ['dist'] },
      'a literal folder is no file',
    )
    assert.equal(expandGlobs(p.dir, '.', ['dist/out.txt', 'dist/gone.txt']), {
      files: ['dist/out.txt'],
      missingLiterals: ['dist/gone.txt'],
    })
    assert.equal(expandGlobs(p.dir, 'dist', ['out.txt']).files, ['dist/out.txt'])
    assert.equal(expandGlobs(p.dir, '.', ['dist/**', '!dist/sub']).files, ['dist/out.txt'])
  } finally {
    p.cleanup()
  }
})

test('outside a repository, and with the root inside an ignored folder, there is no snapshot', async () => {
  const plain = fixture({ 'a.txt': 'a' })
  const repo = fixture({ '.gitignore': 'out/\n', 'a.txt': 'a' })
  try {
    assert.is(await takeGitSnapshot(plain.dir), undefined)
    gitCommitAll(repo.dir)
    repo.write('out/proj/b.txt', 'b')
    assert.is(await takeGitSnapshot(repo.path('out/proj')), undefined)
    assert.ok(await takeGitSnapshot(repo.dir))
  } finally {
    plain.cleanup()
    repo.cleanup()
  }
})

test('a committed repo: no-op is up to date; edits to tracked, untracked and ignored inputs rerun; a commit does not', async () => {
  const p = project(
    `{ t: { run: 'cat src/*.c gen/*.c > out.txt; echo ran >> runs', inputs: ['src/**', 'gen/**'], outputs: ['out.txt'] } }`,
    {
      '.gitignore': 'gen/\n.tasks/\nout.txt\nruns\n',
      'src/a.c': 'a',
      'gen/g.c': 'g',
    },
  )
  try {
    gitCommitAll(p.dir)
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'ran')
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'up-to-date')
    p.write('src/a.c', 'a2')
    const tracked = await tasksJson(p.dir, ['t'])
    assert.is(tracked.status.t, 'ran', dump(tracked))
    assert.match(tracked.task('t').reason, /src\/a\.c/)
    gitCommitAll(p.dir, 'commit the edit')
    const committed = await tasksJson(p.dir, ['t'])
    assert.is(committed.status.t, 'up-to-date', `committing a file does not change its digest: ${dump(committed)}`)
    p.write('src/new.c', 'n')
    assert.match((await tasksJson(p.dir, ['t'])).task('t').reason, /src\/new\.c/)
    p.write('gen/g.c', 'g2')
    const ignored = await tasksJson(p.dir, ['t'])
    assert.is(ignored.status.t, 'ran', dump(ignored))
    assert.match(ignored.task('t').reason, /gen\/g\.c/)
    assert.is(p.read('out.txt'), 'a2ng2')
    assert.is(count(p.path('runs')), 4)
  } finally {
    p.cleanup()
  }
})

test('assume-unchanged: git would not report the edit, the run still sees it', async () => {
  const p = project(`{ t: { run: 'cat in.txt > out.txt', inputs: ['in.txt'], outputs: ['out.txt'] } }`, {
    '.gitignore': '.tasks/\nout.txt\n',
    'in.txt': 'one',
  })
  try {
    gitCommitAll(p.dir)
    git(p.dir, 'update-index', '--assume-unchanged', 'in.txt')
    assert.is((await tasksJson(p.dir, ['t'])).status.t, 'ran')
    p.write('in.txt', 'two')
    assert.is(git(p.dir, 'status', '--porcelain'), '', 'git itself does not see the edit')
    const r = await tasksJson(p.dir, ['t'])
    assert.is(r.status.t, 'ran', dump(r))
    assert.is(p.read('out.txt'), 'two')
  } finally {
    p.cleanup()
  }
})

test('a dependency that writes into an ignored folder: the dependent sees the new files in the same run', async () => {
  const p = project(
    `{
    gen: { run: 'mkdir -p gen && cat spec.txt > gen/code.c && echo gen >> runs' },
    build: { deps: ['gen'], run: 'cat gen/*.c > out.txt && echo build >> runs', inputs: ['gen/**'], outputs: ['out.txt'] },
  }`,
    { '.gitignore': 'gen/\n.tasks/\nout.txt\nruns\n', 'spec.txt': 'v1' },
  )
  try {
    gitCommitAll(p.dir)
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    assert.is(p.read('out.txt'), 'v1')
    p.write('spec.txt', 'v2')
    // gen has no inputs (always runs); the snapshot taken before it ran knew only gen/code.c = v1
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.status.build, 'ran', dump(r))
    assert.match(r.task('build').reason, /gen\/code\.c/)
    assert.is(p.read('out.txt'), 'v2')
    const again = await tasksJson(p.dir, ['build'])
    assert.is(again.status.build, 'up-to-date', `gen rewrote the same content: ${dump(again)}`)
  } finally {
    p.cleanup()
  }
})

test('restored outputs are inputs of the next task: restore, then up to date, without walking stale lists', async () => {
  const p = project(
    `{
    gen: { run: 'mkdir -p gen && cat spec.txt > gen/code.c', inputs: ['spec.txt'], outputs: ['gen/code.c'] },
    build: { deps: ['gen'], run: 'cat gen/code.c > out.txt && echo build >> runs', inputs: ['gen/**'], outputs: ['out.txt'] },
  }`,
    { '.gitignore': 'gen/\n.tasks/\nout.txt\nruns\n', 'spec.txt': 'v1' },
  )
  try {
    gitCommitAll(p.dir)
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    rmSync(p.path('gen'), { recursive: true })
    const r = await tasksJson(p.dir, ['build'])
    assert.is(r.status.gen, 'cache-hit', dump(r))
    assert.is(r.status.build, 'up-to-date', `the restored gen/code.c has the recorded digest: ${dump(r)}`)
    p.write('spec.txt', 'v2')
    gitCommitAll(p.dir)
    assert.is((await tasksJson(p.dir, ['build'])).status.build, 'ran')
    p.write('spec.txt', 'v1')
    const back = await tasksJson(p.dir, ['build'])
    assert.is(back.status.gen, 'cache-hit', dump(back))
    assert.is(back.status.build, 'cache-hit', dump(back))
    assert.is(p.read('out.txt'), 'v1')
    assert.is(count(p.path('runs')), 2)
  } finally {
    p.cleanup()
  }
})

test('--no-git walks the tree and agrees with git (same fingerprint)', async () => {
  const p = project(`{ t: { run: 'cat src/* > out.txt', inputs: ['src/**'], outputs: ['out.txt'] } }`, {
    '.gitignore': '.tasks/\nout.txt\n',
    'src/a': 'a',
    'src/b': 'b',
  })
  try {
    gitCommitAll(p.dir)
    p.write('src/b', 'b2')
    const a = await tasksJson(p.dir, ['t'])
    const b = await tasksJson(p.dir, ['t', '--no-git'])
    assert.is(b.status.t, 'up-to-date', dump(b))
    assert.is(b.task('t').fingerprint, a.task('t').fingerprint)
  } finally {
    p.cleanup()
  }
})

test.run()
