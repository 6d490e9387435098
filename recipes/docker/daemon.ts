/**
 * Talking to the Docker daemon: where it is (DOCKER_HOST or the default socket), dockerode loaded
 * on demand, `node:http` GETs for the checks on the no-op path, and errors that name the daemon tried.
 */
import { existsSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type Dockerode from 'dockerode'
import { RecipeError } from '../../lib/doors/recipe-kit.js'

export interface Endpoint {
  /** How to say where we tried, e.g. "DOCKER_HOST=unix:///x.sock" or "the default socket /var/run/docker.sock". */
  where: string
  socketPath?: string
  host?: string
  port?: number
  /** True when plain `node:http` can talk to it (unix socket, or tcp without TLS). */
  plainHttp: boolean
  /** dockerode constructor options. */
  options: Record<string, unknown>
}

function endpoint(env: NodeJS.ProcessEnv): Endpoint {
  const dockerHost = env.DOCKER_HOST
  if (!dockerHost) {
    const user = join(homedir(), '.docker', 'run', 'docker.sock')
    const socketPath =
      process.platform === 'win32' ? '//./pipe/docker_engine' : existsSync(user) ? user : '/var/run/docker.sock'
    return {
      where: `the default socket ${socketPath} (DOCKER_HOST is not set)`,
      socketPath,
      plainHttp: true,
      options: { socketPath, host: undefined },
    }
  }
  const where = `DOCKER_HOST=${dockerHost}`
  if (dockerHost.startsWith('unix://') || dockerHost.startsWith('npipe://')) {
    const socketPath = dockerHost.replace(/^(unix|npipe):\/\//, '') || '/var/run/docker.sock'
    return { where, socketPath, plainHttp: true, options: { socketPath, host: undefined, port: undefined } }
  }
  let url: URL
  try {
    url = new URL(dockerHost.includes('//') ? dockerHost : `tcp://${dockerHost}`)
  } catch {
    throw new RecipeError('daemon-unreachable', `cannot reach the Docker daemon: ${where} is not a valid address`, {
      hint: 'use unix:///var/run/docker.sock or tcp://host:2375',
    })
  }
  const tls = env.DOCKER_TLS_VERIFY === '1' || url.port === '2376'
  if (url.protocol === 'tcp:' || url.protocol === 'http:') {
    const port = Number(url.port || (tls ? 2376 : 2375))
    const options: Record<string, unknown> = { host: url.hostname, port, protocol: tls ? 'https' : 'http' }
    if (tls && env.DOCKER_CERT_PATH) {
      options.ca = readFileSync(join(env.DOCKER_CERT_PATH, 'ca.pem'))
      options.cert = readFileSync(join(env.DOCKER_CERT_PATH, 'cert.pem'))
      options.key = readFileSync(join(env.DOCKER_CERT_PATH, 'key.pem'))
    }
    return { where, host: url.hostname, port, plainHttp: !tls, options }
  }
  // ssh:// and the rest: let dockerode read DOCKER_HOST itself.
  return { where, plainHttp: false, options: {} }
}

export function unreachable(ep: Endpoint, err: unknown): RecipeError {
  const e = err as NodeJS.ErrnoException
  const code = e?.code ? `${e.code}: ` : ''
  const fix =
    e?.code === 'EACCES'
      ? `add your user to the \`docker\` group (then log in again), or run with access to ${ep.socketPath ?? 'the daemon'}`
      : ep.where.startsWith('DOCKER_HOST')
        ? 'start the Docker daemon there, or fix or unset DOCKER_HOST'
        : 'start the Docker daemon (e.g. `sudo systemctl start docker`), or set DOCKER_HOST to its socket (unix:///path/docker.sock or tcp://host:2375)'
  return new RecipeError(
    'daemon-unreachable',
    `cannot reach the Docker daemon at ${ep.where}: ${code}${e?.message ?? String(err)}`,
    { hint: fix },
  )
}

const CONNECTION_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ECONNRESET',
  'EPIPE',
  'ENOTSOCK',
  'EAI_AGAIN',
])

/** Load dockerode, connect and ping. */
export async function connect(
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<{ docker: Dockerode; ep: Endpoint }> {
  const ep = endpoint(env)
  let Docker: typeof Dockerode
  try {
    const mod = (await import('dockerode')) as unknown as { default?: typeof Dockerode }
    Docker = mod.default ?? (mod as unknown as typeof Dockerode)
  } catch (err) {
    throw new RecipeError(
      'tool-missing',
      `the docker recipe needs the \`dockerode\` package, which could not be loaded (${(err as Error).message.split('\n')[0]})`,
      { hint: 'install dockerode: npm i -D dockerode' },
    )
  }
  let docker: Dockerode
  try {
    docker = new Docker(ep.options as Dockerode.DockerOptions)
  } catch (err) {
    throw unreachable(ep, err)
  }
  try {
    // dockerode's types lack the options overload of ping (docker-modem takes `abortSignal`).
    const ping = docker.ping.bind(docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>
    await ping({ abortSignal: anySignal(signal, 15_000) })
  } catch (err) {
    if (signal.aborted) throw err
    throw unreachable(ep, err)
  }
  return { docker, ep }
}

function anySignal(signal: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(ms)])
}

/** Rethrow a dockerode error that is really a connection failure as "daemon unreachable". */
export function apiError(ep: Endpoint, err: unknown, what: string): Error {
  const e = err as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } }
  if (e?.code && CONNECTION_CODES.has(e.code)) return unreachable(ep, err)
  const msg = e?.json?.message ?? e?.message ?? String(err)
  return new RecipeError('docker-api', `${what}: ${msg}`)
}

/**
 * GET a Docker API path with `node:http` (no dockerode), for checks on the no-op path.
 * Resolves `undefined` for 404. Falls back to dockerode for TLS and ssh daemons.
 */
export async function apiGet(
  env: NodeJS.ProcessEnv,
  path: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<unknown | undefined> {
  const ep = endpoint(env)
  if (!ep.plainHttp) {
    const { docker } = await connect(env, signal ?? new AbortController().signal)
    return new Promise((res, rej) => {
      ;(docker.modem as unknown as { dial(o: object, cb: (e: unknown, d: unknown) => void): void }).dial(
        { path, method: 'GET', statusCodes: { 200: true, 404: 'not found' }, headers },
        (e, d) =>
          (e as { statusCode?: number })?.statusCode === 404
            ? res(undefined)
            : e
              ? rej(apiError(ep, e, `GET ${path}`))
              : res(d),
      )
    })
  }
  return new Promise((res, rej) => {
    const req = httpRequest(
      {
        socketPath: ep.socketPath,
        host: ep.host,
        port: ep.port,
        path,
        method: 'GET',
        headers: { ...headers, Host: 'docker' },
        signal,
        timeout: 15_000,
      },
      (resp) => {
        let body = ''
        resp.setEncoding('utf8')
        resp.on('data', (d) => (body += d))
        resp.on('end', () => {
          if (resp.statusCode === 404) return res(undefined)
          if (resp.statusCode !== 200)
            return rej(new RecipeError('docker-api', `GET ${path}: HTTP ${resp.statusCode}: ${body.trim()}`))
          try {
            res(JSON.parse(body))
          } catch {
            rej(new RecipeError('docker-api', `GET ${path}: invalid JSON from the daemon`))
          }
        })
      },
    )
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out after 15 s'), { code: 'ETIMEDOUT' })))
    req.on('error', (err) => rej(signal?.aborted ? err : unreachable(ep, err)))
    req.end()
  })
}

/** An image reference as a URL path segment (slashes kept, as the docker CLI sends them). */
export function refPath(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/')
}

/** The image ID `ref` resolves to, or undefined when there is no such image. */
export async function inspectImageId(
  ref: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const info = (await apiGet(env, `/images/${refPath(ref)}/json`, {}, signal)) as { Id?: string } | undefined
  return info?.Id
}

/** A progress event of a build or push stream. */
export interface BuildEvent {
  stream?: string
  status?: string
  id?: string
  progress?: string
  error?: string
  errorDetail?: { message?: string; code?: number }
  aux?: { ID?: string }
}

/** Consume a progress stream (build, push, import) until it ends. */
export function follow(
  docker: Dockerode,
  stream: NodeJS.ReadableStream,
  onEvent: (e: BuildEvent) => void,
): Promise<void> {
  return new Promise((res, rej) => {
    docker.modem.followProgress(stream, (err: Error | null) => (err ? rej(err) : res()), onEvent)
  })
}
