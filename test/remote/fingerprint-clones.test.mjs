// Fingerprints are the same on every machine: two clones of one project in different folders, run
// by "different users" (HOME, USER, TMPDIR differ), in git and by walking, give identical keys for
// identical inputs, so one machine's upload is another's cache hit.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { project, tasksJson, dump, gitCommitAll } from '../rig.mjs'

const config = `{
    gen: { run: 'mkdir -p gen && cat src/a.txt > gen/a.out', inputs: ['src/**/*.txt'], outputs: ['gen/a.out'], env: ['MODE'] },
    sub: { run: 'cat x.txt > x.out', cwd: 'pkg/sub', inputs: ['x.txt'], outputs: ['x.out'], setEnv: { LEVEL: '2' } },
    fn: { run: async (ctx) => ctx.log('hi ' + ctx.name), version: '1', inputs: ['src/b/*.txt'], deps: ['gen'] },
    all: { deps: ['fn', 'sub'] },
  }`
const files = { 'src/a.txt': 'A\n', 'src/b/c.txt': 'C\n', 'pkg/sub/x.txt': 'X\n' }

function user(name) {
  const home = mkdtempSync(join(tmpdir(), `home-${name}-`))
  mkdirSync(join(home, 'tmp'))
  return { HOME: home, USER: name, LOGNAME: name, TMPDIR: join(home, 'tmp'), MODE: 'release' }
}

for (const git of [false, true]) {
  test(`two clones in different folders, different users${git ? ', in git' : ''}: identical fingerprints for every task`, async () => {
    const a = project(config, files),
      b = project(config, files)
    try {
      if (git) {
        gitCommitAll(a.dir)
        gitCommitAll(b.dir)
      }
      const ra = await tasksJson(a.dir, ['all'], { env: user('alice') })
      const rb = await tasksJson(b.dir, ['all'], { env: user('bob') })
      assert.is(ra.code, 0, dump(ra))
      assert.is(rb.code, 0, dump(rb))
      assert.is.not(a.dir, b.dir)
      for (const t of ['gen', 'sub', 'fn']) {
        assert.ok(ra.task(t).fingerprint, t)
        assert.is(rb.task(t).fingerprint, ra.task(t).fingerprint, `${t} differs between ${a.dir} and ${b.dir}`)
      }
      // And a real input difference does change the key (the test can fail).
      b.write('src/a.txt', 'A2\n')
      const rc = await tasksJson(b.dir, ['all'], { env: user('bob') })
      assert.is.not(rc.task('gen').fingerprint, ra.task('gen').fingerprint)
      assert.is(rc.task('sub').fingerprint, ra.task('sub').fingerprint)
    } finally {
      a.cleanup()
      b.cleanup()
    }
  })
}

test.run()
