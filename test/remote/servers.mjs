// Real cache servers for the remote cache tests, started on 127.0.0.1 with ephemeral ports and
// stopped by the tests: nginx WebDAV (Basic auth on writes), bazel-remote (HTTP + gRPC),
// turborepo-remote-cache (token; READ_ONLY instance), and a port that accepts and never answers.
// A missing server is a failure under CI=true and a loud skip elsewhere (.ci/run installs them).
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, chmodSync } from 'node:fs'
import { tmpdir, homedir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { REPO } from '../rig.mjs'

/** A free TCP port on 127.0.0.1 (asked of the OS). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.unref()
    s.on('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
  })
}

/** Poll `fn` until it resolves truthy, at most `ms`. */
export async function waitFor(fn, ms, what) {
  const end = Date.now() + ms
  let last
  while (Date.now() < end) {
    try {
      if (await fn()) return
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what} did not become ready within ${ms} ms${last ? ` (${last.message})` : ''}`)
}

function spawnServer(cmd, args, env, log) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  child.on('error', (err) => (out += String(err)))
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode) return res()
        child.once('exit', res)
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 3000).unref()
      }),
  }
}

/** Where .ci/run installs bazel-remote. */
export const BAZEL_REMOTE =
  process.env.TASKS_BAZEL_REMOTE || join(homedir(), '.cache', 'typed-tasks', 'bin', 'bazel-remote')

/** Which servers can run here: `{ nginx, bazelRemote, turbo }` booleans. */
export function available() {
  return {
    nginx: spawnSync('nginx', ['-v']).status === 0,
    bazelRemote: existsSync(BAZEL_REMOTE),
    turbo: existsSync(join(REPO, 'node_modules', 'turborepo-remote-cache', 'dist', 'cli.js')),
  }
}

/** Skip loudly (or fail under CI) when a server is missing. Returns true when the test must be skipped. */
export function missing(name, ok) {
  if (ok) return false
  const msg = `${name} is not installed: run \`bash .ci/run\` (or see its "remote cache servers" block)`
  if (process.env.CI === 'true') throw new Error(msg)
  console.warn(`SKIPPED (loudly): ${msg}`)
  return true
}

/**
 * nginx serving a WebDAV folder as a Bazel HTTP cache. Reads are anonymous; writes need Basic auth
 * `user:pass` (`limit_except GET HEAD`).
 * @returns {Promise<{ url: string, authUrl: string, dir: string, stop(): Promise<void> }>}
 */
export async function startNginx() {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-nginx-'))
  const store = join(dir, 'store')
  mkdirSync(store)
  chmodSync(dir, 0o755)
  chmodSync(store, 0o777) // nginx run as root serves as `nobody`
  const port = await freePort()
  // htpasswd entry user:pass ({PLAIN} is accepted by nginx's auth_basic_user_file).
  writeFileSync(join(dir, 'htpasswd'), 'user:{PLAIN}pass\n')
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${store};
    client_max_body_size 1G;
    location / {
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:rw all:r;
      limit_except GET HEAD {
        auth_basic "cache";
        auth_basic_user_file ${join(dir, 'htpasswd')};
      }
    }
  }
}
`,
  )
  const srv = spawnServer('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')], {})
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).status > 0, 10_000, `nginx (${srv.output()})`)
  return {
    url: `http://127.0.0.1:${port}`,
    authUrl: `http://user:pass@127.0.0.1:${port}`,
    dir: store,
    async stop() {
      await srv.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * bazel-remote over HTTP and gRPC on one storage folder.
 * @param {{ htpasswd?: boolean }} [opts] htpasswd: require Basic auth `user:pass` for everything
 */
export async function startBazelRemote(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-bazel-remote-'))
  const [http, grpc] = [await freePort(), await freePort()]
  const args = [
    '--dir',
    join(dir, 'data'),
    '--max_size',
    '1',
    '--http_address',
    `127.0.0.1:${http}`,
    '--grpc_address',
    `127.0.0.1:${grpc}`,
  ]
  if (opts.htpasswd) {
    writeFileSync(join(dir, 'htpasswd'), `user:{SHA}${createHash('sha1').update('pass').digest('base64')}\n`)
    args.push('--htpasswd_file', join(dir, 'htpasswd'))
  }
  const srv = spawnServer(BAZEL_REMOTE, args, {})
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${http}/status`)).status > 0,
    20_000,
    `bazel-remote (${srv.output()})`,
  )
  return {
    httpUrl: `http://127.0.0.1:${http}`,
    grpcUrl: `grpc://127.0.0.1:${grpc}`,
    dir: join(dir, 'data'),
    output: srv.output,
    async stop() {
      await srv.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * turborepo-remote-cache with `TURBO_TOKEN=token` (and READ_ONLY when asked). With `signing`, the
 * server stores and returns `x-artifact-tag`s, and answers 404 for an artifact stored without one.
 * @param {{ readOnly?: boolean, dir?: string, signing?: boolean }} [opts] dir: share a storage folder with another instance
 */
export async function startTurboCache(opts = {}) {
  const own = !opts.dir
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tasks-turbo-cache-'))
  const port = await freePort()
  const srv = spawnServer(process.execPath, [join(REPO, 'node_modules', 'turborepo-remote-cache', 'dist', 'cli.js')], {
    HOST: '127.0.0.1',
    PORT: String(port),
    STORAGE_PROVIDER: 'local',
    STORAGE_PATH: dir,
    STORAGE_PATH_USE_TMP_FOLDER: 'false',
    TURBO_TOKEN: 'token',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    ...(opts.signing ? { TURBO_REMOTE_CACHE_SIGNATURE_KEY: 'server-stores-tags' } : {}),
    ...(opts.readOnly ? { READ_ONLY: 'true' } : {}),
  })
  await waitFor(
    async () =>
      (await fetch(`http://127.0.0.1:${port}/v8/artifacts/status`, { headers: { authorization: 'Bearer token' } }))
        .status === 200,
    30_000,
    `turborepo-remote-cache (${srv.output()})`,
  )
  return {
    url: `turbo+http://127.0.0.1:${port}?team=team1`,
    pid: srv.child.pid,
    httpUrl: `http://127.0.0.1:${port}`,
    dir,
    output: srv.output,
    async stop() {
      await srv.stop()
      if (own) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A TCP server that accepts connections and never answers. */
export async function startHungServer() {
  const sockets = new Set()
  const s = createServer((sock) => {
    sockets.add(sock)
    sock.on('error', () => {})
    sock.on('close', () => sockets.delete(sock))
  })
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  return {
    port,
    async stop() {
      for (const x of sockets) x.destroy()
      await new Promise((r) => s.close(r))
    },
  }
}
