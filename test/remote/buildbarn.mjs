// Buildbarn (bb_storage, bb_scheduler, bb_runner, bb_worker) for the remote execution tests, started
// on 127.0.0.1 with ephemeral ports from configs written into a temp folder, and SIGKILLed by the
// tests (all state is in memory). .ci/buildbarn.sh builds the binaries (../shared/PROTOCOLS.md,
// "Remote execution"); missing binaries are a failure under CI=true and a loud skip elsewhere.
//   bb_storage: the one endpoint clients use (Capabilities, CAS, ByteStream, AC, Execution), in-memory;
//   bb_scheduler: client port (bb_storage forwards Execute to it) and worker port;
//   per worker: a bb_runner on a unix socket and a bb_worker with its own build, cache and file pool.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO } from '../helpers.mjs'
import { freePort, waitFor } from './servers.mjs'

const BINARIES = ['bb_storage', 'bb_scheduler', 'bb_worker', 'bb_runner']

/**
 * The folder holding the four binaries (TASKS_BUILDBARN_DIR, else the one .ci/buildbarn.sh builds
 * for its pinned versions), or undefined when they are not built.
 */
export function buildbarnDir() {
  const candidates = []
  if (process.env.TASKS_BUILDBARN_DIR) candidates.push(process.env.TASKS_BUILDBARN_DIR)
  const r = spawnSync('bash', [join(REPO, '.ci', 'buildbarn.sh'), '--print-dir'], { encoding: 'utf8' })
  if (r.stdout?.trim()) candidates.push(r.stdout.trim())
  return candidates.find((d) => BINARIES.every((b) => existsSync(join(d, b))))
}

/** Skip loudly (or fail under CI=true) when Buildbarn is not built. Returns true when the test must be skipped. */
export function missingBuildbarn() {
  if (buildbarnDir()) return false
  const msg =
    'Buildbarn is not built: run `bash .ci/buildbarn.sh` (~5 min on an idle 2-core machine; `.ci/run` does it in its "remote execution servers" block)'
  if (process.env.CI === 'true') throw new Error(msg)
  console.warn(`SKIPPED (loudly): ${msg}`)
  return true
}

function spawnProcess(bin, config, cwd) {
  // Buildbarn's programs take the config path as their only argument; PWD is what std.extVar('PWD') reads.
  const child = spawn(bin, [config], { cwd, env: { ...process.env, PWD: cwd }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const keep = (d) => {
    out += d
    if (out.length > 200_000) out = out.slice(-100_000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  child.on('error', (err) => (out += String(err)))
  return { child, output: () => out }
}

const allow = { allow: {} }
const MESSAGE_BYTES = 16 * 1024 * 1024
/** An in-memory `local` blob store (the AC needs newBlocks 1). */
const inMemory = (blockSizeBytes, newBlocks) => ({
  local: {
    keyLocationMapInMemory: { entries: 1 << 16 },
    keyLocationMapMaximumGetAttempts: 8,
    keyLocationMapMaximumPutAttempts: 32,
    oldBlocks: 1,
    currentBlocks: 4,
    newBlocks,
    blocksInMemory: { blockSizeBytes },
  },
})

function storageConfig(p) {
  return {
    grpcServers: [{ listenAddresses: [`127.0.0.1:${p.storage}`], authenticationPolicy: allow }],
    maximumMessageSizeBytes: MESSAGE_BYTES,
    contentAddressableStorage: {
      backend: inMemory(64 * 1024 * 1024, 1),
      getAuthorizer: allow,
      putAuthorizer: allow,
      findMissingAuthorizer: allow,
    },
    actionCache: { backend: inMemory(4 * 1024 * 1024, 1), getAuthorizer: allow, putAuthorizer: allow },
    schedulers: { '': { endpoint: { address: `127.0.0.1:${p.client}` } } },
    executeAuthorizer: allow,
  }
}

function schedulerConfig(p) {
  return {
    clientGrpcServers: [{ listenAddresses: [`127.0.0.1:${p.client}`], authenticationPolicy: allow }],
    workerGrpcServers: [{ listenAddresses: [`127.0.0.1:${p.worker}`], authenticationPolicy: allow }],
    browserUrl: 'http://127.0.0.1/',
    contentAddressableStorage: { grpc: { address: `127.0.0.1:${p.storage}` } },
    maximumMessageSizeBytes: MESSAGE_BYTES,
    executeAuthorizer: allow,
    modifyDrainsAuthorizer: allow,
    killOperationsAuthorizer: allow,
    synchronizeAuthorizer: allow,
    actionRouter: {
      simple: {
        platformKeyExtractor: { action: {} },
        invocationKeyExtractors: [{ correlatedInvocationsId: {} }, { toolInvocationId: {} }],
        initialSizeClassAnalyzer: { defaultExecutionTimeout: '1800s', maximumExecutionTimeout: '7200s' },
      },
    },
    platformQueueWithNoWorkersTimeout: '900s',
  }
}

function workerConfigs(p, dir, i, opts) {
  const build = join(dir, 'build')
  const properties = Object.entries(opts.platform ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }))
  const runner = {
    buildDirectoryPath: build,
    grpcServers: [{ listenPaths: [join(dir, 'runner.sock')], authenticationPolicy: allow }],
  }
  const worker = {
    blobstore: {
      contentAddressableStorage: { grpc: { address: `127.0.0.1:${p.storage}` } },
      actionCache: { grpc: { address: `127.0.0.1:${p.storage}` } },
    },
    browserUrl: 'http://127.0.0.1/',
    maximumMessageSizeBytes: MESSAGE_BYTES,
    scheduler: { address: `127.0.0.1:${p.worker}` },
    buildDirectories: [
      {
        native: {
          buildDirectoryPath: build,
          cacheDirectoryPath: join(dir, 'cache'),
          maximumCacheFileCount: 10000,
          maximumCacheSizeBytes: 256 * 1024 * 1024,
          cacheReplacementPolicy: 'LEAST_RECENTLY_USED',
        },
        runners: [
          {
            endpoint: { address: `unix:${join(dir, 'runner.sock')}` },
            concurrency: opts.concurrency ?? 4,
            platform: { properties },
            workerId: { worker: `w${i}`, host: '127.0.0.1' },
          },
        ],
      },
    ],
    filePool: { blockDevice: { file: { path: join(dir, 'filepool'), sizeBytes: 256 * 1024 * 1024 } } },
    inputDownloadConcurrency: 8,
    outputUploadConcurrency: 8,
  }
  return { runner, worker }
}

/**
 * Wait until `Execute` of a trivial action (`/bin/true`, do_not_cache) on `platform` no longer
 * answers "No workers exist" (a worker registered), at most 30 s; fail early if a process exits.
 */
async function untilReady(endpoint, platform, procs) {
  const { RemoteExecutor } = await import('../../dist/lib/remote-exec/client.js')
  const { buildInputRoot } = await import('../../dist/lib/remote-exec/input-root.js')
  const client = new RemoteExecutor({ url: endpoint, requestTimeoutMs: 2000, maxReattach: 0 })
  const end = Date.now() + 30_000
  let last
  try {
    while (Date.now() < end) {
      const dead = procs.find((x) => x.child.exitCode !== null || x.child.signalCode)
      if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode})`)
      try {
        await client.execute({ arguments: ['/bin/true'], platform, doNotCache: true, inputs: buildInputRoot([]) })
        return
      } catch (err) {
        last = err
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`Buildbarn did not become ready within 30 s (${last?.message})`)
  } finally {
    client.close()
  }
}

/**
 * Start Buildbarn and wait until a worker takes actions (see `untilReady`).
 * @param {{ workers?: number, platform?: Record<string, string>, concurrency?: number }} [opts]
 *   workers: how many bb_worker (each with its own bb_runner, build, cache and file pool; default 1);
 *   platform: the runners' platform properties (default none); concurrency: actions per worker (default 4)
 * @returns {Promise<{ endpoint: string, instance: string, dir: string, output(): string,
 *   killWorkers(): Promise<void>, stop(): Promise<void> }>} endpoint `grpc://127.0.0.1:PORT`
 *   (bb_storage), instance `''`; stop SIGKILLs every process and removes the folder.
 */
export async function startBuildbarn(opts = {}) {
  const bin = buildbarnDir()
  if (!bin) throw new Error('Buildbarn is not built: run `bash .ci/buildbarn.sh`')
  const dir = mkdtempSync(join(tmpdir(), 'tasks-bb-'))
  const p = { storage: await freePort(), client: await freePort(), worker: await freePort() }
  const procs = []
  const write = (name, config) => {
    const f = join(dir, `${name}.jsonnet`)
    writeFileSync(f, JSON.stringify(config, null, 2)) // JSON is valid Jsonnet
    return f
  }
  const start = (name, config, cwd = dir) => {
    const proc = spawnProcess(join(bin, name.split('-')[0]), write(name, config), cwd)
    procs.push({ name, ...proc })
    return proc
  }
  const output = () => procs.map((x) => `--- ${x.name} ---\n${x.output().slice(-4000)}`).join('\n')
  const stopAll = async (which = procs) => {
    await Promise.all(
      which.map(
        ({ child }) =>
          new Promise((res) => {
            if (child.exitCode !== null || child.signalCode) return res()
            child.once('exit', res)
            child.kill('SIGKILL')
          }),
      ),
    )
  }
  try {
    start('bb_storage', storageConfig(p))
    start('bb_scheduler', schedulerConfig(p))
    const workers = []
    for (let i = 0; i < (opts.workers ?? 1); i++) {
      const wdir = join(dir, `w${i}`)
      for (const sub of ['build', 'cache']) mkdirSync(join(wdir, sub), { recursive: true })
      const { runner, worker } = workerConfigs(p, wdir, i, opts)
      start(`bb_runner-${i}`, runner, wdir)
      await waitFor(() => existsSync(join(wdir, 'runner.sock')), 10_000, `bb_runner ${i}`)
      workers.push(start(`bb_worker-${i}`, worker, wdir))
    }
    const endpoint = `grpc://127.0.0.1:${p.storage}`
    await untilReady(endpoint, opts.platform ?? {}, procs).catch((err) => {
      throw new Error(`${err.message}\n${output()}`)
    })
    return {
      endpoint,
      instance: '',
      dir,
      output,
      /** SIGKILL every bb_worker (and its runner), leaving storage and scheduler up. */
      killWorkers: () => stopAll(procs.filter((x) => x.name.startsWith('bb_worker') || x.name.startsWith('bb_runner'))),
      async stop() {
        await stopAll()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await stopAll()
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}
