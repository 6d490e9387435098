// One Turborepo cache server, one signing key, both tools: turbo 2.11's own x-artifact-tag on its
// artifact verifies with our implementation, and turbo's artifacts are never taken for ours.
// Needs turbo from bench/ (`npm install --prefix bench`); without it this test is skipped loudly
// (it is not installed in CI: bench/ is not part of the test dependencies).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO } from '../rig.mjs'
import { available, startTurboCache } from './servers.mjs'
import { verifyTurboTag } from '../../dist/lib/cache/remote/sign.js'
import { TurboStore } from '../../dist/lib/cache/remote/turbo.js'
import { parseRemoteUrl } from '../../dist/lib/cache/remote/url.js'

const TURBO = join(REPO, 'bench', 'node_modules', '.bin', 'turbo')
const KEY = 'a-signing-key-of-at-least-32-bytes!!'

test('turbo 2.x signs an artifact on turborepo-remote-cache; our x-artifact-tag check accepts it, and rejects it under another key', async () => {
  if (!existsSync(TURBO) || !available().turbo) {
    console.warn(
      `SKIPPED (loudly): turbo is not installed in bench/ (npm install --prefix bench): the turbo interop test did not run`,
    )
    return
  }
  const srv = await startTurboCache({ signing: true })
  const ws = mkdtempSync(join(tmpdir(), 'tasks-turbo-interop-'))
  try {
    mkdirSync(join(ws, 'pkgs', 'a'), { recursive: true })
    const npmV = spawnSync('npm', ['-v'], { encoding: 'utf8' }).stdout.trim()
    writeFileSync(
      join(ws, 'package.json'),
      JSON.stringify({ name: 'interop', private: true, packageManager: `npm@${npmV}`, workspaces: ['pkgs/*'] }),
    )
    writeFileSync(
      join(ws, 'pkgs', 'a', 'package.json'),
      JSON.stringify({ name: 'a', version: '1.0.0', scripts: { build: 'echo hi > out.txt' } }),
    )
    writeFileSync(
      join(ws, 'turbo.json'),
      JSON.stringify({ tasks: { build: { outputs: ['out.txt'] } }, remoteCache: { signature: true } }),
    )
    assert.is(
      spawnSync('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund', '--offline'], { cwd: ws }).status,
      0,
    )
    for (const args of [
      ['init', '-q'],
      ['add', '-A'],
      ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'commit', '-qm', 'i'],
    ])
      spawnSync('git', args, { cwd: ws })
    const r = spawnSync(TURBO, ['run', 'build'], {
      cwd: ws,
      encoding: 'utf8',
      env: {
        ...process.env,
        TURBO_API: srv.httpUrl,
        TURBO_TOKEN: 'token',
        TURBO_TEAM: 'team1',
        TURBO_REMOTE_CACHE_SIGNATURE_KEY: KEY,
        TURBO_TELEMETRY_DISABLED: '1',
        DO_NOT_TRACK: '1',
      },
    })
    assert.is(r.status, 0, r.stdout + r.stderr)
    const hashes = readdirSync(join(srv.dir, 'team1')).filter((f) => !f.endsWith('.tag'))
    assert.is(hashes.length, 1, hashes.join(','))
    const g = await fetch(`${srv.httpUrl}/v8/artifacts/${hashes[0]}?slug=team1`, {
      headers: { authorization: 'Bearer token' },
    })
    assert.is(g.status, 200)
    const body = Buffer.from(await g.arrayBuffer())
    const tag = g.headers.get('x-artifact-tag')
    assert.ok(tag, 'turbo sent a tag')
    assert.ok(
      verifyTurboTag(Buffer.from(KEY), hashes[0], '', body, tag),
      'turbo 2.x tag verifies with our implementation',
    )
    assert.not.ok(verifyTurboTag(Buffer.from('another key of at least 32 bytes...'), hashes[0], '', body, tag))
    // Our store reads turbo's artifact under the same key: signature fine, but not ours (a miss, never a restore).
    const store = new TurboStore(parseRemoteUrl(srv.url), { token: 'token', signatureKey: Buffer.from(KEY) })
    let err
    try {
      await store.getEntry(hashes[0])
    } catch (e) {
      err = e
    }
    assert.match(String(err?.message), /not written by typed-tasks|not a valid tar/)
    await store.close()
  } finally {
    rmSync(ws, { recursive: true, force: true })
    await srv.stop()
  }
})

test.run()
