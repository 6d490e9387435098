// A cache entry is untrusted input: hand-tampered entries and trees (hash fields holding paths,
// absolute and `..` paths, symlinked folders leading outside, `.git/hooks` and `.tasks/` targets,
// wrong shapes and modes, flipped and missing blobs, half-valid entries whose later output is bad).
// For every case, through the real CLI: the tampered entry is refused (the task runs), nothing is
// written outside the project root, the command sees no half restore (the out/ folder it finds is
// exactly as the test left it), and the next run succeeds. Prints `tamper cases refused: N/M`.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import {
  closeSync,
  cpSync,
  existsSync,
  openSync,
  writeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, LIB_URL } from '../rig.mjs'

const CLI_TIMEOUT = 45_000

// gen.sh copies what it finds in out/ to seen/ (to detect half restores), then rebuilds out/.
const GEN = `#!/bin/sh
set -e
rm -rf seen
if [ -e out ] || [ -L out ]; then cp -a out seen; fi
rm -rf out
mkdir -p out/sub
cat src.txt > out/a.txt
echo B > out/b.txt
printf '#!/bin/sh\\necho hi\\n' > out/sub/tool.sh
chmod 755 out/sub/tool.sh
ln -s a.txt out/link
echo ran >> runs
printf 'GEN-LOG\\377\\n'
`
const CONFIG = `import { defineConfig } from '${LIB_URL}'
export default defineConfig({ tasks: {
  build: { run: 'sh gen.sh', inputs: ['src.txt', 'gen.sh'], outputs: ['out/**'] },
} })
`

/** Path -> description of everything under `p` (lstat: symlinks are not followed), or `{}` when missing. */
function tree(p) {
  const out = {}
  const visit = (abs, rel) => {
    let st
    try {
      st = lstatSync(abs)
    } catch {
      return
    }
    if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(abs)}`
    else if (st.isDirectory()) {
      out[rel] = 'dir'
      for (const e of readdirSync(abs)) visit(join(abs, e), rel ? `${rel}/${e}` : e)
    } else
      out[rel] = `file ${st.mode & 0o777} ${createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 16)}`
  }
  visit(p, '')
  return out
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex')

async function tasksJson(dir, args = []) {
  const r = await runCli(dir, [...args, '--json'], { timeoutMs: CLI_TIMEOUT })
  let json
  try {
    json = JSON.parse(r.stdout)
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr\n${r.stderr}`)
  }
  return { ...r, json, status: Object.fromEntries(json.tasks.map((t) => [t.name, t.status])) }
}

// One golden project, built once; every case works on a fresh copy of it.
const base = mkdtempSync(join(tmpdir(), 'tasks-tamper-'))
const golden = join(base, 'golden')
mkdirSync(golden)
writeFileSync(join(golden, 'tasks.config.mjs'), CONFIG)
writeFileSync(join(golden, 'gen.sh'), GEN)
writeFileSync(join(golden, 'src.txt'), 'source-1\n')
mkdirSync(join(golden, '.git', 'hooks'), { recursive: true })
let goldenReady

async function prepareGolden() {
  goldenReady ??= (async () => {
    const r = await tasksJson(golden, ['build'])
    if (r.code !== 0 || r.status.build !== 'ran') throw new Error(`golden build failed: ${r.stderr}`)
  })()
  return goldenReady
}

/**
 * A case: `tamper({ dir, entry, save, blobPath, outside })` edits the copy's single ac entry
 * (`entry` is its parsed JSON; call `save(value)` to write any JSON value, or write raw text) and/or
 * the tree. `seen`: what the command must find in out/ (default: nothing, out/ was removed).
 */
const cases = []
const tc = (name, tamper, opts = {}) => cases.push({ name, tamper, ...opts })

const hexOf = (c) => c.repeat(64)
const OTHER40 = '0123456789abcdef0123456789abcdef01234567'
const firstFile = (e) => e.outputs.find((o) => o.type === 'file')
const lastFile = (e) => [...e.outputs].reverse().find((o) => o.type === 'file')

// Hash fields holding paths (a restore must never join them into a file name, nor unlink them).
tc('hash holds ../../outside/victim.txt', ({ entry, save }) => {
  firstFile(entry).hash = '../../outside/victim.txt'
  save(entry)
})
tc('hash holds an absolute path', ({ entry, save, outside }) => {
  firstFile(entry).hash = join(outside, 'victim.txt')
  save(entry)
})
tc('hash is 64 chars ending in a path', ({ entry, save }) => {
  firstFile(entry).hash = '../../outside/victim.txt'.padStart(64, 'a')
  save(entry)
})
tc('log holds a path', ({ entry, save }) => {
  entry.log = '../../outside/victim.txt'
  save(entry)
})
tc('recordBlob holds a path', ({ entry, save }) => {
  entry.recordBlob = '../../outside/victim.txt'
  save(entry)
})
tc('hash in upper case', ({ entry, save }) => {
  const f = firstFile(entry)
  f.hash = f.hash.toUpperCase()
  save(entry)
})
tc('hash of 63 hex digits', ({ entry, save }) => {
  const f = firstFile(entry)
  f.hash = f.hash.slice(1)
  save(entry)
})
tc('blob id holds a path', ({ entry, save }) => {
  firstFile(entry).blob = '../../outside/victim.txt'
  save(entry)
})
tc('fingerprint field of another entry', ({ entry, save }) => {
  entry.fingerprint = hexOf('e')
  save(entry)
})
// Output paths.
tc('absolute output path', ({ entry, save, outside }) => {
  firstFile(entry).path = join(outside, 'abs.txt')
  save(entry)
})
tc('../ output path', ({ entry, save }) => {
  firstFile(entry).path = '../outside/dotdot.txt'
  save(entry)
})
tc('out/../../ output path', ({ entry, save }) => {
  firstFile(entry).path = 'out/../../outside/dotdot2.txt'
  save(entry)
})
tc('not normalised: out/./a.txt', ({ entry, save }) => {
  firstFile(entry).path = 'out/./a.txt'
  save(entry)
})
tc('not normalised: out//a.txt', ({ entry, save }) => {
  firstFile(entry).path = 'out//a.txt'
  save(entry)
})
tc('trailing slash', ({ entry, save }) => {
  firstFile(entry).path = 'out/a.txt/'
  save(entry)
})
tc('empty path', ({ entry, save }) => {
  firstFile(entry).path = ''
  save(entry)
})
tc('NUL in path', ({ entry, save }) => {
  firstFile(entry).path = 'out/a\0.txt'
  save(entry)
})
tc('backslash path climbing', ({ entry, save }) => {
  firstFile(entry).path = '..\\outside\\bs.txt'
  save(entry)
})
tc('drive-letter path', ({ entry, save }) => {
  firstFile(entry).path = 'C:/outside/drive.txt'
  save(entry)
})
tc('name longer than 255 bytes', ({ entry, save }) => {
  firstFile(entry).path = `out/${'n'.repeat(300)}`
  save(entry)
})
tc('path longer than 4096 bytes', ({ entry, save }) => {
  firstFile(entry).path = `out/${'d/'.repeat(2100)}x`
  save(entry)
})
tc('path not a string', ({ entry, save }) => {
  firstFile(entry).path = ['out', 'a.txt']
  save(entry)
})
// Into .git/ and .tasks/.
tc('.git/hooks/pre-commit target', ({ entry, save }) => {
  const f = firstFile(entry)
  f.path = '.git/hooks/pre-commit'
  f.mode = 0o755
  save(entry)
})
tc('nested sub/.git/hooks target', ({ entry, save }) => {
  firstFile(entry).path = 'sub/.git/hooks/post-checkout'
  save(entry)
})
tc('.GIT/hooks (case)', ({ entry, save }) => {
  firstFile(entry).path = '.GIT/hooks/pre-push'
  save(entry)
})
tc('.tasks/ac entry overwrite', ({ entry, save }) => {
  firstFile(entry).path = `.tasks/ac/${entry.fingerprint}.json`
  save(entry)
})
tc('.tasks/state target', ({ entry, save }) => {
  firstFile(entry).path = '.tasks/state/hashes.json'
  save(entry)
})
// Symlinked parent folders leading outside (tampered trees).
tc(
  'out/ is a symlink to a folder outside',
  ({ dir, outside }) => {
    symlinkSync(outside, join(dir, 'out'))
  },
  { seen: (outside) => ({ '': `link ${outside}` }) },
)
tc('entry writes through a symlinked folder outside', ({ dir, entry, save, outside }) => {
  symlinkSync(outside, join(dir, 'escape'))
  entry.outputs.push({ ...firstFile(entry), path: 'escape/evil.txt' })
  save(entry)
})
tc('entry writes through a symlink to .git', ({ dir, entry, save }) => {
  symlinkSync('.git', join(dir, 'gitlink'))
  entry.outputs.push({ ...firstFile(entry), path: 'gitlink/hooks/pre-commit', mode: 0o755 })
  save(entry)
})
tc('entry writes through a symlink to .tasks', ({ dir, entry, save }) => {
  symlinkSync('.tasks', join(dir, 'tlink'))
  entry.outputs.push({ ...firstFile(entry), path: `tlink/ac/${hexOf('f')}.json` })
  save(entry)
})
tc(
  'out/sub is a symlink outside',
  ({ dir, outside }) => {
    mkdirSync(join(dir, 'out'))
    symlinkSync(outside, join(dir, 'out', 'sub'))
  },
  { seen: (outside) => ({ '': 'dir', sub: `link ${outside}` }) },
)
tc('symlink output then a file through it', ({ entry, save, outside }) => {
  entry.outputs.push({ path: 'out/d', type: 'symlink', target: outside }, { ...firstFile(entry), path: 'out/d/x.txt' })
  save(entry)
})
tc(
  'a file is in the way of a folder',
  ({ dir }) => {
    writeFileSync(join(dir, 'out'), 'user file')
  },
  { seenFile: 'user file' },
)
tc(
  'a folder is in the place of an output',
  ({ dir }) => {
    mkdirSync(join(dir, 'out', 'b.txt'), { recursive: true })
  },
  { seen: () => ({ '': 'dir', 'b.txt': 'dir' }) },
)
// Wrong shapes.
tc('entry is an array', ({ save }) => save([]))
tc('entry is a string', ({ save }) => save('hello'))
tc('entry is null', ({ save }) => save(null))
tc('outputs is an object', ({ entry, save }) => {
  entry.outputs = { 0: entry.outputs[0] }
  save(entry)
})
tc('outputs is null', ({ entry, save }) => {
  entry.outputs = null
  save(entry)
})
tc('output of type dir', ({ entry, save }) => {
  firstFile(entry).type = 'dir'
  save(entry)
})
tc('output without a type', ({ entry, save }) => {
  delete firstFile(entry).type
  save(entry)
})
tc('symlink with an empty target', ({ entry, save }) => {
  entry.outputs.find((o) => o.type === 'symlink').target = ''
  save(entry)
})
tc('symlink target with NUL', ({ entry, save }) => {
  entry.outputs.find((o) => o.type === 'symlink').target = 'a\0b'
  save(entry)
})
tc('duplicate output paths', ({ entry, save }) => {
  entry.outputs.push({ ...firstFile(entry) })
  save(entry)
})
tc('durationMs is a string', ({ entry, save }) => {
  entry.durationMs = 'fast'
  save(entry)
})
tc('exitCode is a string', ({ entry, save }) => {
  entry.exitCode = '0'
  save(entry)
})
tc('size is negative', ({ entry, save }) => {
  firstFile(entry).size = -1
  save(entry)
})
tc('size does not match the blob', ({ entry, save }) => {
  firstFile(entry).size += 1
  save(entry)
})
tc('git blob id does not match the content', ({ entry, save }) => {
  firstFile(entry).blob = OTHER40
  save(entry)
})
tc(
  'schema 2',
  ({ entry, save }) => {
    entry.schema = 2
    save(entry)
  },
  { silent: true },
)
tc(
  'schema missing',
  ({ entry, save }) => {
    delete entry.schema
    save(entry)
  },
  { silent: true },
)
tc('truncated JSON', ({ raw, text }) => raw(text.slice(0, Math.floor(text.length / 2))))
// Wrong modes.
tc('mode with setuid', ({ entry, save }) => {
  firstFile(entry).mode = 0o4755
  save(entry)
})
tc('mode negative', ({ entry, save }) => {
  firstFile(entry).mode = -1
  save(entry)
})
tc('mode fractional', ({ entry, save }) => {
  firstFile(entry).mode = 420.5
  save(entry)
})
tc('mode as a string', ({ entry, save }) => {
  firstFile(entry).mode = '755'
  save(entry)
})
// Blobs.
tc('flipped bytes in the first output blob', ({ entry, blobPath }) => {
  const p = blobPath(firstFile(entry).hash)
  const b = readFileSync(p)
  b[0] ^= 0xff
  writeFileSync(p, b)
})
tc('missing blob of the last output', ({ entry, blobPath }) => {
  rmSync(blobPath(lastFile(entry).hash))
})
tc('missing log blob', ({ entry, blobPath }) => {
  rmSync(blobPath(entry.log))
})
tc('flipped log blob', ({ entry, blobPath }) => {
  const p = blobPath(entry.log)
  const b = readFileSync(p)
  b[b.length - 1] ^= 0x01
  writeFileSync(p, b)
})
tc('blob swapped for another valid blob', ({ entry, blobPath }) => {
  const [a, b] = entry.outputs.filter((o) => o.type === 'file')
  writeFileSync(blobPath(a.hash), readFileSync(blobPath(b.hash)))
})
tc('blob is a symlink to /dev/zero', ({ entry, blobPath }) => {
  const p = blobPath(lastFile(entry).hash)
  rmSync(p)
  symlinkSync('/dev/zero', p)
})
tc('ac entry is a symlink to /dev/zero', ({ dir, entry }) => {
  const p = join(dir, '.tasks', 'ac', `${entry.fingerprint}.json`)
  rmSync(p)
  symlinkSync('/dev/zero', p)
})
// Half-valid entries: every output fine but a later one.
tc('later output climbs out', ({ entry, save }) => {
  entry.outputs.push({ ...firstFile(entry), path: 'zz/../../outside/late.txt' })
  save(entry)
})
tc('later output into .git/hooks', ({ entry, save }) => {
  entry.outputs.push({ ...firstFile(entry), path: 'zz/.git/hooks/pre-commit' })
  save(entry)
})
tc('later output with a bad hash', ({ entry, save }) => {
  entry.outputs.push({ ...firstFile(entry), path: 'zz/late.txt', hash: hexOf('0') })
  save(entry)
})
// Rollback of a restore whose later output fails to write was tested here by a temp name too long
// beside the target; since restores stage under .tasks/tmp that no longer fails (see the closing
// note of the Engine v2 / trust work): a new way to make a later write fail is still to be found.

let refused = 0
test(`${cases.length} tampered entries and trees: refused, nothing outside the root, no half restore, next run fine`, async () => {
  await prepareGolden()
  assert.ok(cases.length >= 40, `only ${cases.length} cases`)
  const failures = []
  let i = 0
  for (const c of cases) {
    const caseDir = join(base, `case-${++i}`)
    const dir = join(caseDir, 'proj')
    const outside = join(caseDir, 'outside')
    mkdirSync(outside, { recursive: true })
    writeFileSync(join(outside, 'victim.txt'), 'victim\n')
    cpSync(golden, dir, { recursive: true, verbatimSymlinks: true })
    rmSync(join(dir, 'out'), { recursive: true, force: true })
    rmSync(join(dir, 'seen'), { recursive: true, force: true })
    const acDir = join(dir, '.tasks', 'ac')
    const [acName] = readdirSync(acDir).filter((f) => f.endsWith('.json'))
    const acFile = join(acDir, acName)
    const text = readFileSync(acFile, 'utf8')
    const entry = JSON.parse(text)
    const blobPath = (h) => join(dir, '.tasks', 'cas', h.slice(0, 2), h)
    const fail = (msg) => failures.push(`#${i} ${c.name}: ${msg}`)
    try {
      c.tamper({
        dir,
        entry,
        outside,
        blobPath,
        text,
        save: (v) => writeFileSync(acFile, JSON.stringify(v)),
        raw: (t) => writeFileSync(acFile, t),
      })
      const outsideBefore = tree(outside)
      const gitBefore = tree(join(dir, '.git'))
      const runsBefore = existsSync(join(dir, 'runs')) ? readFileSync(join(dir, 'runs'), 'utf8') : ''
      const r = await tasksJson(dir, ['build'])
      if (r.code !== 0) fail(`exit ${r.code}: ${r.stderr}`)
      if (r.status.build === 'ran') refused++
      else fail(`status ${r.status.build} (the tampered entry was used)`)
      if (!c.silent && !/warning/i.test(r.stderr)) fail(`no warning: ${r.stderr}`)
      if (readFileSync(join(dir, 'runs'), 'utf8') === runsBefore) fail('the command did not run')
      // 0 writes outside the root (the outside folder and .git are exactly as before)
      const outsideAfter = tree(outside)
      if (JSON.stringify(outsideAfter) !== JSON.stringify(outsideBefore))
        fail(`outside the root changed: ${JSON.stringify(outsideAfter)}`)
      if (JSON.stringify(tree(join(dir, '.git'))) !== JSON.stringify(gitBefore)) fail('.git changed')
      if (existsSync(join(caseDir, 'dotdot.txt')) || existsSync(join(outside, 'abs.txt')))
        fail('a file appeared outside the root')
      // 0 half restores: the command found out/ exactly as the tampered tree had it
      const expected = c.seen
        ? c.seen(outside)
        : c.seenFile !== undefined
          ? { '': `file 420 ${sha256(c.seenFile).slice(0, 16)}` }
          : {}
      const seen = tree(join(dir, 'seen'))
      if (JSON.stringify(seen) !== JSON.stringify(expected))
        fail(`half restore: the command found ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`)
      if (existsSync(join(dir, 'zz'))) fail('a folder of a refused restore was left behind')
      const leftovers = readdirSync(dir).filter((f) => f.includes('.tasks-tmp') || f.includes('.tasks-bak'))
      if (leftovers.length) fail(`temp files left: ${leftovers}`)
      // no permanent failure: the next run is up to date, and a restore after deleting out/ is a hit
      const next = await tasksJson(dir, ['build'])
      if (next.code !== 0 || next.status.build !== 'up-to-date')
        fail(`next run: exit ${next.code}, ${next.status.build}: ${next.stderr}`)
      rmSync(join(dir, 'out'), { recursive: true, force: true })
      const hit = await tasksJson(dir, ['build'])
      if (hit.status.build !== 'cache-hit')
        fail(`after the rerun, a restore should be a hit: ${hit.status.build} ${hit.stderr}`)
      if (readFileSync(join(dir, 'out', 'a.txt'), 'utf8') !== 'source-1\n') fail('restored content wrong')
    } catch (err) {
      fail(`threw: ${err.stack}`)
    } finally {
      rmSync(caseDir, { recursive: true, force: true })
    }
  }
  console.log(`  tamper cases refused: ${refused}/${cases.length}`)
  assert.equal(failures, [], failures.join('\n'))
})

test('a read-only .tasks/state: a cache hit still restores, with a warning, and the task does not fail', async () => {
  await prepareGolden()
  const dir = join(base, 'ro')
  cpSync(golden, dir, { recursive: true, verbatimSymlinks: true })
  try {
    rmSync(join(dir, 'out'), { recursive: true })
    // Running as root ignores permission bits: make the state folder unwritable by putting a file where its folder goes.
    rmSync(join(dir, '.tasks', 'state'), { recursive: true })
    writeFileSync(join(dir, '.tasks', 'state'), 'not a folder')
    const r = await tasksJson(dir, ['build'])
    assert.is(r.code, 0, r.stderr)
    assert.is(r.status.build, 'cache-hit', r.stderr)
    assert.match(r.stderr, /warning.*could not record/i)
    assert.is(readFileSync(join(dir, 'out', 'a.txt'), 'utf8'), 'source-1\n')
    // and a run that must execute (input changed) succeeds too, warning that nothing could be stored
    writeFileSync(join(dir, 'src.txt'), 'source-2\n')
    const r2 = await tasksJson(dir, ['build'])
    assert.is(r2.code, 0, r2.stderr)
    assert.is(r2.status.build, 'ran')
    assert.is(readFileSync(join(dir, 'out', 'a.txt'), 'utf8'), 'source-2\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a read-only cache folder (.tasks/ac and cas unwritable): the run succeeds with a warning', async () => {
  await prepareGolden()
  const dir = join(base, 'ro-cas')
  cpSync(golden, dir, { recursive: true, verbatimSymlinks: true })
  try {
    rmSync(join(dir, '.tasks', 'cas'), { recursive: true })
    writeFileSync(join(dir, '.tasks', 'cas'), 'not a folder')
    writeFileSync(join(dir, 'src.txt'), 'source-3\n')
    const r = await tasksJson(dir, ['build'])
    assert.is(r.code, 0, r.stderr)
    assert.is(r.status.build, 'ran')
    assert.match(r.stderr, /could not store the result in the cache/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a full .tasks/ (a small tmpfs filled up): a cache hit still restores with a warning, a run still succeeds', async () => {
  await prepareGolden()
  const dir = join(base, 'full')
  cpSync(golden, dir, { recursive: true, verbatimSymlinks: true })
  const tasksDir = join(dir, '.tasks')
  const saved = join(base, 'full-tasks')
  cpSync(tasksDir, saved, { recursive: true })
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', tasksDir], { encoding: 'utf8' })
  if (mount.status !== 0) {
    console.log(
      `  SKIP: full .tasks/ test: cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()}); needs root with CAP_SYS_ADMIN`,
    )
    rmSync(dir, { recursive: true, force: true })
    return
  }
  try {
    cpSync(saved, tasksDir, { recursive: true })
    // Fill the file system to the last byte.
    const chunk = Buffer.alloc(64 * 1024, 1)
    const fd = openSync(join(tasksDir, 'filler'), 'w')
    try {
      for (;;) writeSync(fd, chunk)
    } catch (err) {
      assert.is(err.code, 'ENOSPC')
    } finally {
      closeSync(fd)
    }
    try {
      const fd2 = openSync(join(tasksDir, 'filler2'), 'w')
      try {
        for (;;) writeSync(fd2, Buffer.alloc(512, 1))
      } finally {
        closeSync(fd2)
      }
    } catch {}
    rmSync(join(dir, 'out'), { recursive: true })
    const r = await tasksJson(dir, ['build'])
    assert.is(r.code, 0, r.stderr)
    assert.is(r.status.build, 'cache-hit', r.stderr)
    assert.match(r.stderr, /warning.*could not record/i)
    assert.is(readFileSync(join(dir, 'out', 'a.txt'), 'utf8'), 'source-1\n')
    writeFileSync(join(dir, 'src.txt'), 'source-4\n')
    const r2 = await tasksJson(dir, ['build'])
    assert.is(r2.code, 0, r2.stderr)
    assert.is(r2.status.build, 'ran', r2.stderr)
    assert.match(r2.stderr, /could not store the result in the cache.*ENOSPC|ENOSPC/)
    assert.is(readFileSync(join(dir, 'out', 'a.txt'), 'utf8'), 'source-4\n')
  } finally {
    spawnSync('umount', [tasksDir])
    rmSync(dir, { recursive: true, force: true })
  }
})

// The write phase of a restore fails half-way (its second output does not fit on the output
// folder's file system): the first output, already renamed into place, is rolled back, no temp
// file is left, the miss says which output and operation failed, and the task then runs on
// exactly the tree the user had.
test('a restore that fails on its second output rolls back the first (ENOSPC on a small output mount)', async () => {
  const dir = mkdtempSync(join(base, 'rollback-'))
  const out = join(dir, 'out')
  mkdirSync(out)
  // 96 KiB: room for one 60 KiB b.bin and a.txt, not for the old and the new b.bin side by side.
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', out], { encoding: 'utf8' })
  if (mount.status !== 0) {
    console.log(
      `  SKIP: restore rollback test: cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()}); needs root with CAP_SYS_ADMIN`,
    )
    rmSync(dir, { recursive: true, force: true })
    return
  }
  try {
    // Copies what it finds in out/ to seen/ (outside the mount), then rebuilds out/ in place.
    writeFileSync(
      join(dir, 'gen.sh'),
      [
        '#!/bin/sh',
        'set -e',
        'rm -rf seen',
        'mkdir seen',
        'cp -a out/. seen/',
        'rm -f out/a.txt out/b.bin',
        'cat src.txt > out/a.txt',
        'yes "$(cat src.txt)" | head -c 61440 > out/b.bin',
        'echo ran >> runs',
        '',
      ].join('\n'),
    )
    writeFileSync(
      join(dir, 'tasks.config.mjs'),
      `import { defineConfig } from '${LIB_URL}'
export default defineConfig({ tasks: {
  build: { run: 'sh gen.sh', shell: 'sh', inputs: ['src.txt', 'gen.sh'], outputs: ['out/a.txt', 'out/b.bin'] },
} })
`,
    )
    writeFileSync(join(dir, 'src.txt'), 'v1\n')
    const r1 = await tasksJson(dir, ['build'])
    assert.is(r1.status.build, 'ran', r1.stderr)
    writeFileSync(join(dir, 'src.txt'), 'v2\n')
    const r2 = await tasksJson(dir, ['build'])
    assert.is(r2.status.build, 'ran', r2.stderr)
    const before = tree(out)
    assert.is(readFileSync(join(out, 'a.txt'), 'utf8'), 'v2\n')
    // Back to v1: a cache hit whose restore writes a.txt, then fails staging b.bin (ENOSPC).
    writeFileSync(join(dir, 'src.txt'), 'v1\n')
    const r3 = await tasksJson(dir, ['build'])
    assert.is(r3.code, 0, r3.stderr)
    assert.is(r3.status.build, 'ran', `the failed restore is a miss: ${r3.stderr}`)
    assert.match(r3.stderr, /restoring `out\/b\.bin` failed \(write a temp file beside it[^)]*\): ENOSPC/, r3.stderr)
    // What the command found in out/ is the v2 tree exactly: a.txt was rolled back.
    assert.equal(tree(join(dir, 'seen')), before)
    assert.is(readFileSync(join(dir, 'seen', 'a.txt'), 'utf8'), 'v2\n')
    assert.equal(readdirSync(out).sort(), ['a.txt', 'b.bin'], 'no temp file is left in out/')
    assert.equal(readdirSync(join(dir, '.tasks', 'tmp')), [], 'no temp file is left in .tasks/tmp')
    assert.is(readFileSync(join(out, 'a.txt'), 'utf8'), 'v1\n')
    assert.is(readFileSync(join(dir, 'runs'), 'utf8'), 'ran\nran\nran\n')
  } finally {
    spawnSync('umount', [out])
    rmSync(dir, { recursive: true, force: true })
  }
})

test.after(() => rmSync(base, { recursive: true, force: true }))
test.run()
