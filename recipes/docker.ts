/**
 * Docker recipes: build images (`image`), run a command in an image (`run`) and push an image to a
 * registry (`push`), all through the Docker Engine API with dockerode.
 *
 * dockerode is an optional peer dependency: it is imported when a Docker task runs, never when the
 * config loads (it costs ~230 ms). The `check` that validates a stored result on later runs ("does
 * the image still exist?") talks to the daemon with `node:http` directly, so a no-op run stays fast.
 *
 * @example
 * import { defineConfig } from 'typed-tasks'
 * import { docker } from 'typed-tasks/recipes'
 * export default defineConfig({
 *   tasks: {
 *     ...docker.image({ name: 'api', context: 'services/api', tags: ['api:dev'], stages: ['build', 'test', 'runtime'] }),
 *     ...docker.run({ name: 'api-smoke', image: 'api:dev', cmd: ['/api', '--version'], deps: ['docker:api'] }),
 *   },
 * })
 */
import { existsSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { homedir } from 'node:os'
import { join, posix, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { globSync } from 'tinyglobby'
import type Dockerode from 'dockerode'
import { TaskCommandError, type CheckContext, type TaskContext, type TaskDefinition } from '../lib/index.js'
import { findProjectRoot, lineWriter, RecipeError } from './util.js'

/** Bump when the way a recipe builds changes, so old cache entries stop matching. */
const RECIPE_VERSION = 'v1'

// ---------------------------------------------------------------------------------------------
// Public option and value types
// ---------------------------------------------------------------------------------------------

/** Options shared by every Docker recipe. */
export interface DockerTaskOptions {
  /**
   * The task name is `docker:<name>` (for `image` with `stages`: `docker:<name>:<stage>` per stage
   * plus the aggregate `docker:<name>`). Letters, digits, `-`, `_`, `.`, `/`, `:`.
   */
  name: string
  /** One line shown by `tasks --list`. @default a summary of the options */
  description?: string
  /** Tasks that must succeed first (e.g. the task that builds a binary the Dockerfile copies). @default [] */
  deps?: readonly string[]
  /**
   * Extra environment variable names whose values enter the fingerprint. `DOCKER_HOST` is always
   * included (another daemon means other images). @default []
   */
  env?: readonly string[]
}

/** Options of {@link image}. */
export interface ImageOptions extends DockerTaskOptions {
  /**
   * The build context folder, relative to the project root (the folder of `tasks.config.*`).
   * It becomes the task's `cwd`. @default '.'
   */
  context?: string
  /** The Dockerfile, relative to `context`. It must be inside the context. @default 'Dockerfile' */
  dockerfile?: string
  /**
   * The stage to build (`docker build --target`). Without it the last stage is built. Not allowed
   * together with `stages` (the last of `stages` is the target then). @default undefined
   */
  target?: string
  /**
   * Build these stages as separate tasks `docker:<name>:<stage>`, each depending on the previous
   * one, plus an aggregate task `docker:<name>` depending on the last. A `test` stage can then run
   * in parallel with other work, and the final image waits for it. `tags` go on the last stage only.
   * @default undefined (one task `docker:<name>`)
   * @example stages: ['build', 'test', 'runtime']
   */
  stages?: readonly string[]
  /**
   * Tags to apply to the image (`repo:tag`, `registry:5000/repo:tag`). A stored result is only
   * reused while every tag still points at the built image. @default []
   */
  tags?: readonly string[]
  /** Build arguments (`--build-arg`). They enter the fingerprint (and the image history: no secrets). @default {} */
  buildArgs?: Readonly<Record<string, string>>
  /** Labels set on the image (`--label`). They enter the fingerprint. @default {} */
  labels?: Readonly<Record<string, string>>
  /** Target platform, e.g. `'linux/amd64'` (`--platform`). @default the daemon's platform */
  platform?: string
  /** Always try to pull newer versions of the base images (`--pull`). @default false */
  pull?: boolean
  /** Do not use the daemon's layer cache (`--no-cache`). @default false */
  noCache?: boolean
  /**
   * Input globs relative to `context` (tinyglobby syntax). Replaces the default: every file of the
   * context minus the `.dockerignore` patterns. @default derived from the context and `.dockerignore`
   */
  inputs?: readonly string[]
  /**
   * The project root, absolute, used to read `.dockerignore` while the config loads. Only needed
   * when the config was given with `--config` from outside the project's folders.
   * @default the nearest folder from the current directory upwards holding `tasks.config.*`
   */
  root?: string
}

/** The value an {@link image} task returns (shown in `--json`, stored with the cache entry). */
export interface ImageValue {
  /** The image ID, `sha256:<hex>`. */
  imageId: string
  /** The tags applied. */
  tags: string[]
  /** The stage built, when one was named. */
  target?: string
}

/** Options of {@link run}. */
export interface RunOptions extends DockerTaskOptions {
  /** The image to run: a tag or an image ID. Add the task that builds it to `deps`. */
  image: string
  /** The command (`docker run IMAGE cmd...`). @default the image's CMD */
  cmd?: readonly string[]
  /** Override the image's ENTRYPOINT. @default the image's ENTRYPOINT */
  entrypoint?: readonly string[]
  /** Environment variables set inside the container. They enter the fingerprint. @default {} */
  containerEnv?: Readonly<Record<string, string>>
  /** Working directory inside the container. @default the image's WORKDIR */
  workdir?: string
  /** User inside the container (`uid[:gid]` or name). @default the image's USER */
  user?: string
  /** Network mode (`'none'`, `'bridge'`, `'host'`, ...). @default 'bridge' */
  network?: string
  /**
   * Cache the result: the task is skipped while its definition, its deps and the image ID are the
   * same as in a stored successful run. `false`: it runs every time. @default true
   */
  cache?: boolean
  /** Kill the container after this many ms (the task fails). @default no limit */
  timeoutMs?: number
}

/** The value a {@link run} task returns. */
export interface RunValue {
  image: string
  imageId: string
  exitCode: number
  /** The container's standard output (the first 64 KiB). */
  stdout: string
  /** The container's standard error (the first 64 KiB). */
  stderr: string
}

/** Credentials for a registry, in the Docker Engine API's shape. */
export interface RegistryAuth {
  username?: string
  password?: string
  /** An OAuth identity token (what `docker login` stores for some registries). */
  identitytoken?: string
  /** The registry host, e.g. `'localhost:5000'`; filled in from the image reference when omitted. */
  serveraddress?: string
}

/** Options of {@link push}. */
export interface PushOptions extends DockerTaskOptions {
  /** The reference to push, with its registry: `'registry.example.com/team/api:1.2'`. */
  image: string
  /**
   * A local image (tag or ID) to tag as `image` before pushing, e.g. the tag an {@link image} task
   * applied. @default undefined (`image` must already exist locally)
   */
  source?: string
  /**
   * Credentials. @default read from the Docker config (`$DOCKER_CONFIG/config.json` or
   * `~/.docker/config.json`): `auths` entries, `credHelpers` and `credsStore` helpers
   */
  auth?: RegistryAuth
  /** Docker config file to read credentials from. @default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` */
  dockerConfig?: string
}

/** The value a {@link push} task returns. */
export interface PushValue {
  image: string
  imageId: string
  /** The manifest digest the registry reported, `sha256:<hex>`. */
  digest: string
}

// ---------------------------------------------------------------------------------------------
// Recipes
// ---------------------------------------------------------------------------------------------

/**
 * Build a Dockerfile through the Docker Engine API (classic builder, `forcerm`).
 *
 * Returns one task `docker:<name>`, or with `stages` one task per stage (`docker:<name>:<stage>`,
 * chained) plus the aggregate `docker:<name>`. Each build task:
 * - has the context folder as `cwd` and, as inputs, every file of the context minus the
 *   `.dockerignore` patterns (an exclusion is dropped when a later `!exception` line could undo
 *   it, so the inputs are never narrower than what Docker sends);
 * - has `DOCKER_HOST` and the build options (Dockerfile, target, tags, build args, labels,
 *   platform, pull, no-cache) in its fingerprint;
 * - streams the build log into the task's output and returns {@link ImageValue};
 * - reuses a stored result only while the image (and each tag) still exists in the daemon;
 *   otherwise it builds again (fast: the daemon's layer cache usually still holds the steps).
 *
 * Errors (the task fails with one of these messages):
 * - daemon unreachable: names the socket or `DOCKER_HOST` tried and how to fix it;
 * - a step failed: names the step (`step 4/7 RUN make`, with its Dockerfile line) and shows its output;
 * - base image missing: says it is not in the daemon and could not be pulled;
 * - dockerode not installed: `install dockerode: npm i -D dockerode`.
 * @throws {RecipeError} at config time when `name` is empty or `target` and `stages` are both given.
 */
export function image(options: ImageOptions): Record<string, TaskDefinition> {
  checkName(options.name)
  if (options.target && options.stages?.length) {
    throw new RecipeError('invalid-options', `docker.image \`${options.name}\`: give \`target\` or \`stages\`, not both (the last stage is the target)`)
  }
  const context = normaliseRel(options.context ?? '.')
  const dockerfile = posix.normalize((options.dockerfile ?? 'Dockerfile').replace(/\\/g, '/'))
  const base = `docker:${options.name}`
  const inputs = options.inputs ? [...options.inputs] : contextInputs(resolve(options.root ?? findProjectRoot(), context), dockerfile)
  const env = ['DOCKER_HOST', ...(options.env ?? [])]
  const tags = [...(options.tags ?? [])]
  const common = {
    dockerfile,
    buildArgs: options.buildArgs ?? {},
    labels: options.labels ?? {},
    platform: options.platform,
    pull: options.pull ?? false,
    noCache: options.noCache ?? false,
  }
  const task = (target: string | undefined, taskTags: string[], deps: readonly string[], description: string): TaskDefinition => {
    const spec: BuildSpec = { ...common, context, target, tags: taskTags }
    return {
      description,
      cwd: context,
      deps: [...deps],
      inputs,
      env,
      version: `docker.image/${RECIPE_VERSION} ${stableJson(spec)}`,
      run: (ctx) => buildImage(ctx, spec),
      check: (ctx) => imageStillValid(ctx),
    }
  }
  const what = `${context === '.' ? '.' : context}/${dockerfile}`
  if (!options.stages?.length) {
    return { [base]: task(options.target, tags, options.deps ?? [], options.description ?? `docker build ${what}${options.target ? ` --target ${options.target}` : ''}`) }
  }
  const out: Record<string, TaskDefinition> = {}
  let prev: string | undefined
  options.stages.forEach((stage, i) => {
    const last = i === options.stages!.length - 1
    const name = `${base}:${stage}`
    out[name] = task(stage, last ? tags : [], prev ? [prev] : options.deps ?? [], `docker build ${what} --target ${stage}`)
    prev = name
  })
  out[base] = { description: options.description ?? `docker build ${what}, stages ${options.stages.join(', ')}`, deps: [prev!] }
  return out
}

/**
 * Run a command in a container (like `docker run --rm IMAGE cmd...`) and wait for it. Returns one
 * task `docker:<name>`. The container's stdout and stderr stream into the task's log; the container
 * is removed afterwards (also on abort). The task fails with the container's exit code when it is not 0.
 *
 * With `cache` (the default) the task has `inputs: []`: it is cached on its definition, its deps'
 * fingerprints and `DOCKER_HOST`, and a stored result is reused only while `image` still resolves to
 * the same image ID. Returns {@link RunValue}.
 * @throws {RecipeError} at run time: daemon unreachable, image not found (build it or add its task to `deps`).
 */
export function run(options: RunOptions): Record<string, TaskDefinition> {
  checkName(options.name)
  const spec: RunSpec = {
    image: options.image,
    cmd: options.cmd ? [...options.cmd] : undefined,
    entrypoint: options.entrypoint ? [...options.entrypoint] : undefined,
    containerEnv: options.containerEnv ?? {},
    workdir: options.workdir,
    user: options.user,
    network: options.network,
    timeoutMs: options.timeoutMs,
  }
  const def: TaskDefinition = {
    description: options.description ?? `docker run ${options.image}${spec.cmd ? ' ' + spec.cmd.join(' ') : ''}`,
    deps: [...(options.deps ?? [])],
    env: ['DOCKER_HOST', ...(options.env ?? [])],
    version: `docker.run/${RECIPE_VERSION} ${stableJson(spec)}`,
    run: (ctx) => runContainer(ctx, spec),
    check: (ctx) => sameImage(ctx),
  }
  if (options.cache !== false) def.inputs = []
  return { [`docker:${options.name}`]: def }
}

/**
 * Push an image to a registry (like `docker push`), with credentials from the Docker config unless
 * `auth` is given. Returns one task `docker:<name>` with `inputs: []`: it is cached on its definition
 * and its deps' fingerprints, and a stored result is reused only while the local image still has the
 * pushed ID and the registry still serves the pushed digest. Returns {@link PushValue}.
 *
 * A registry on `127.0.0.1`/`localhost` may use plain HTTP (Docker treats it as insecure by default);
 * any other plain-HTTP registry must be listed in the daemon's `insecure-registries`.
 * @throws {RecipeError} at run time: daemon unreachable, image missing, push refused (the registry's
 *   message, e.g. authentication required).
 */
export function push(options: PushOptions): Record<string, TaskDefinition> {
  checkName(options.name)
  const spec: PushSpec = { image: options.image, source: options.source, dockerConfig: options.dockerConfig }
  return {
    [`docker:${options.name}`]: {
      description: options.description ?? `docker push ${options.image}`,
      deps: [...(options.deps ?? [])],
      inputs: [],
      env: ['DOCKER_HOST', ...(options.env ?? [])],
      // Credentials never enter the fingerprint (only whether they were given).
      version: `docker.push/${RECIPE_VERSION} ${stableJson({ ...spec, auth: options.auth ? 'given' : 'docker-config' })}`,
      run: (ctx) => pushImage(ctx, spec, options.auth),
      check: (ctx) => pushStillValid(ctx, spec, options.auth),
    },
  }
}

/**
 * True when `ref` (an image ID or tag) exists in the daemon reached through `DOCKER_HOST` (or the
 * default socket). Uses `node:http` directly (no dockerode) for unix sockets and plain TCP.
 * @throws {RecipeError} `daemon-unreachable` naming the socket or `DOCKER_HOST`.
 */
export async function imageExists(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return (await inspectImageId(ref, env)) !== undefined
}

// ---------------------------------------------------------------------------------------------
// Internals: specs, inputs
// ---------------------------------------------------------------------------------------------

interface BuildSpec {
  context: string
  dockerfile: string
  target?: string
  tags: string[]
  buildArgs: Readonly<Record<string, string>>
  labels: Readonly<Record<string, string>>
  platform?: string
  pull: boolean
  noCache: boolean
}

interface RunSpec {
  image: string
  cmd?: string[]
  entrypoint?: string[]
  containerEnv: Readonly<Record<string, string>>
  workdir?: string
  user?: string
  network?: string
  timeoutMs?: number
}

interface PushSpec {
  image: string
  source?: string
  dockerConfig?: string
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !/^[\w.\-/:]+$/.test(name)) {
    throw new RecipeError('invalid-options', `docker recipe: \`name\` must be a non-empty string of letters, digits, - _ . / :, got ${JSON.stringify(name)}`)
  }
}

function normaliseRel(p: string): string {
  const n = posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '')
  return n === '' ? '.' : n
}

/** JSON with sorted object keys, so the fingerprint does not depend on the order options were written in. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v)
}

/** Folders never sent to the daemon nor fingerprinted: the engine's cache. */
const NEVER_SENT = ['.tasks/**']

/**
 * Inputs for a build context: everything, minus `.dockerignore` exclusions translated to tinyglobby
 * negations. Docker's rule is "the last matching line wins", and globs cannot re-include, so only the
 * exclusions after the last `!exception` line are used: the inputs may be wider than what Docker
 * sends (an extra rebuild), never narrower (a stale image).
 */
export function dockerignoreToGlobs(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  const lastException = lines.reduce((at, l, i) => (l.startsWith('!') ? i : at), -1)
  const out: string[] = []
  for (const line of lines.slice(lastException + 1)) {
    let p = posix.normalize(line.replace(/\\(?=[^*?[\]\\])/g, '/')).replace(/^\/+/, '').replace(/\/+$/, '')
    if (!p || p === '.') continue
    // Docker patterns are Go filepath.Match (+ `**`): `{}()` and extglob characters are literal there.
    p = p.replace(/[{}()!+@]/g, (c) => `\\${c}`)
    out.push(`!${p}`, `!${p}/**`)
  }
  return out
}

function contextInputs(contextAbs: string, dockerfile: string): string[] {
  let ignore: string[] = []
  try {
    ignore = dockerignoreToGlobs(readFileSync(join(contextAbs, '.dockerignore'), 'utf8'))
  } catch {
    // no .dockerignore (or the context was not found from the guessed root): everything is an input
  }
  // node_modules is skipped by the engine's globbing unless a pattern names it; Docker sends it.
  return ['**', '**/node_modules/**', dockerfile, ...ignore, ...NEVER_SENT.map((p) => `!${p}`)]
}

/** The files to put in the build context tar (dockerode then applies `.dockerignore` exactly). */
function contextFiles(contextAbs: string, dockerfile: string): string[] {
  let ignore: string[] = []
  try {
    ignore = dockerignoreToGlobs(readFileSync(join(contextAbs, '.dockerignore'), 'utf8')).map((p) => p.slice(1))
  } catch { /* none */ }
  const files = globSync(['**'], { cwd: contextAbs, dot: true, onlyFiles: true, ignore: [...ignore, ...NEVER_SENT], expandDirectories: false, followSymbolicLinks: false })
  if (!files.includes(dockerfile)) files.push(dockerfile)
  return files.sort()
}

// ---------------------------------------------------------------------------------------------
// Internals: connecting
// ---------------------------------------------------------------------------------------------

interface Endpoint {
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
    const socketPath = process.platform === 'win32' ? '//./pipe/docker_engine' : existsSync(user) ? user : '/var/run/docker.sock'
    return { where: `the default socket ${socketPath} (DOCKER_HOST is not set)`, socketPath, plainHttp: true, options: { socketPath, host: undefined } }
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
    throw new RecipeError('daemon-unreachable', `cannot reach the Docker daemon: ${where} is not a valid address\n  help: use unix:///var/run/docker.sock or tcp://host:2375`)
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

function unreachable(ep: Endpoint, err: unknown): RecipeError {
  const e = err as NodeJS.ErrnoException
  const code = e?.code ? `${e.code}: ` : ''
  const fix =
    e?.code === 'EACCES' ? `add your user to the \`docker\` group (then log in again), or run with access to ${ep.socketPath ?? 'the daemon'}`
    : ep.where.startsWith('DOCKER_HOST') ? 'start the Docker daemon there, or fix or unset DOCKER_HOST'
    : 'start the Docker daemon (e.g. `sudo systemctl start docker`), or set DOCKER_HOST to its socket (unix:///path/docker.sock or tcp://host:2375)'
  return new RecipeError('daemon-unreachable', `cannot reach the Docker daemon at ${ep.where}: ${code}${e?.message ?? String(err)}\n  help: ${fix}`)
}

const CONNECTION_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ECONNRESET', 'EPIPE', 'ENOTSOCK', 'EAI_AGAIN'])

/** Load dockerode, connect and ping. */
async function connect(env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<{ docker: Dockerode; ep: Endpoint }> {
  const ep = endpoint(env)
  let Docker: typeof Dockerode
  try {
    const mod = (await import('dockerode')) as unknown as { default?: typeof Dockerode }
    Docker = mod.default ?? (mod as unknown as typeof Dockerode)
  } catch (err) {
    throw new RecipeError('dockerode-missing', `the docker recipe needs the \`dockerode\` package, which could not be loaded (${(err as Error).message.split('\n')[0]})\n  help: install dockerode: npm i -D dockerode`)
  }
  let docker: Dockerode
  try {
    docker = new Docker(ep.options as Dockerode.DockerOptions)
  } catch (err) {
    throw unreachable(ep, err)
  }
  try {
    await docker.ping({ abortSignal: anySignal(signal, 15_000) } as never)
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
function apiError(ep: Endpoint, err: unknown, what: string): Error {
  const e = err as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } }
  if (e?.code && CONNECTION_CODES.has(e.code)) return unreachable(ep, err)
  const msg = e?.json?.message ?? e?.message ?? String(err)
  return new RecipeError('docker-api', `${what}: ${msg}`)
}

/**
 * GET a Docker API path with `node:http` (no dockerode), for checks on the no-op path.
 * Resolves `undefined` for 404. Falls back to dockerode for TLS and ssh daemons.
 */
async function apiGet(env: NodeJS.ProcessEnv, path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<unknown | undefined> {
  const ep = endpoint(env)
  if (!ep.plainHttp) {
    const { docker } = await connect(env, signal ?? new AbortController().signal)
    return new Promise((res, rej) => {
      ;(docker.modem as unknown as { dial(o: object, cb: (e: unknown, d: unknown) => void): void }).dial(
        { path, method: 'GET', statusCodes: { 200: true, 404: 'not found' }, headers },
        (e, d) => ((e as { statusCode?: number })?.statusCode === 404 ? res(undefined) : e ? rej(apiError(ep, e, `GET ${path}`)) : res(d)),
      )
    })
  }
  return new Promise((res, rej) => {
    const req = httpRequest(
      { socketPath: ep.socketPath, host: ep.host, port: ep.port, path, method: 'GET', headers: { ...headers, Host: 'docker' }, signal, timeout: 15_000 },
      (resp) => {
        let body = ''
        resp.setEncoding('utf8')
        resp.on('data', (d) => (body += d))
        resp.on('end', () => {
          if (resp.statusCode === 404) return res(undefined)
          if (resp.statusCode !== 200) return rej(new RecipeError('docker-api', `GET ${path}: HTTP ${resp.statusCode}: ${body.trim()}`))
          try { res(JSON.parse(body)) } catch { rej(new RecipeError('docker-api', `GET ${path}: invalid JSON from the daemon`)) }
        })
      },
    )
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out after 15 s'), { code: 'ETIMEDOUT' })))
    req.on('error', (err) => rej(signal?.aborted ? err : unreachable(ep, err)))
    req.end()
  })
}

/** An image reference as a URL path segment (slashes kept, as the docker CLI sends them). */
function refPath(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/')
}

/** The image ID `ref` resolves to, or undefined when there is no such image. */
async function inspectImageId(ref: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string | undefined> {
  const info = (await apiGet(env, `/images/${refPath(ref)}/json`, {}, signal)) as { Id?: string } | undefined
  return info?.Id
}

// ---------------------------------------------------------------------------------------------
// Internals: build
// ---------------------------------------------------------------------------------------------

interface BuildEvent {
  stream?: string
  status?: string
  id?: string
  progress?: string
  error?: string
  errorDetail?: { message?: string; code?: number }
  aux?: { ID?: string }
}

interface Step {
  index: number
  total: number
  instruction: string
  output: string
}

async function buildImage(ctx: TaskContext, spec: BuildSpec): Promise<ImageValue> {
  const { docker, ep } = await connect(ctx.env, ctx.signal)
  const files = contextFiles(ctx.cwd, spec.dockerfile)
  ctx.log(`docker build ${spec.context} (${spec.dockerfile}${spec.target ? `, target ${spec.target}` : ''}, ${files.length} files) on ${ep.where}`)
  let stream: NodeJS.ReadableStream
  try {
    stream = await docker.buildImage({ context: ctx.cwd, src: files }, {
      dockerfile: spec.dockerfile,
      target: spec.target,
      t: spec.tags.length ? (spec.tags as unknown as string) : undefined,
      buildargs: { ...spec.buildArgs },
      labels: { ...spec.labels },
      platform: spec.platform,
      pull: spec.pull || undefined,
      nocache: spec.noCache || undefined,
      forcerm: true,
      rm: true,
      abortSignal: ctx.signal,
    })
  } catch (err) {
    throw apiError(ep, err, 'docker build could not start')
  }
  const out = lineWriter(ctx.log)
  let step: Step | undefined
  let imageId: string | undefined
  let error: string | undefined
  await follow(docker, stream, (e: BuildEvent) => {
    if (typeof e.stream === 'string') {
      const m = /^Step (\d+)\/(\d+) : (.*)$/s.exec(e.stream.replace(/\n$/, ''))
      if (m) step = { index: +m[1], total: +m[2], instruction: m[3].trim(), output: '' }
      else if (step && !/^ ---> /.test(e.stream) && !/^Removing intermediate container /.test(e.stream)) step.output += e.stream
      out.write(e.stream)
    } else if (e.status) {
      out.write(`${e.id ? `${e.id}: ` : ''}${e.status}${e.progress ? ` ${e.progress}` : ''}\n`)
    }
    if (e.aux?.ID) imageId = e.aux.ID
    if (e.error) error = e.errorDetail?.message ?? e.error
  })
  out.flush()
  if (error !== undefined) throw buildFailure(ctx.cwd, spec, step, error)
  if (!imageId) throw new RecipeError('build-failed', `docker build of ${spec.context}/${spec.dockerfile} ended without an image ID (the daemon reported no error); see the log above`)
  return { imageId, tags: [...spec.tags], ...(spec.target ? { target: spec.target } : {}) }
}

/** Consume a progress stream (build, push, import) until it ends. */
function follow(docker: Dockerode, stream: NodeJS.ReadableStream, onEvent: (e: BuildEvent) => void): Promise<void> {
  return new Promise((res, rej) => {
    docker.modem.followProgress(stream, (err: Error | null) => (err ? rej(err) : res()), onEvent)
  })
}

function buildFailure(contextAbs: string, spec: BuildSpec, step: Step | undefined, message: string): RecipeError {
  const file = `${spec.context === '.' ? '' : spec.context + '/'}${spec.dockerfile}`
  if (!step) return new RecipeError('build-failed', `docker build of ${file} failed before the first step: ${message}`)
  const line = dockerfileLine(join(contextAbs, spec.dockerfile), step.instruction)
  const at = `${file}${line ? `:${line}` : ''}`
  if (/^FROM\s/i.test(step.instruction)) {
    const baseImage = step.instruction.split(/\s+/)[1]
    return new RecipeError('base-image-missing',
      `base image \`${baseImage}\` (${at}) is not in the Docker daemon and could not be pulled: ${message}\n` +
      `  help: build or \`docker load\`/\`docker import\` it first (or make a task that does), or fix the name; with no registry reachable, only local images can be used`)
  }
  const output = step.output.replace(/^\n+/, '').trimEnd().split('\n').slice(-40).join('\n')
  return new RecipeError('build-failed',
    `docker build failed at step ${step.index}/${step.total} \`${step.instruction}\` (${at}): ${message}` +
    (output ? `\n--- output of that step ---\n${output}` : '\n(the step printed nothing)'))
}

/** 1-based line of the Dockerfile where `instruction` starts, when it can be found. */
function dockerfileLine(path: string, instruction: string): number | undefined {
  try {
    const want = instruction.replace(/\s+/g, ' ').toLowerCase()
    const lines = readFileSync(path, 'utf8').split(/\r?\n/)
    const i = lines.findIndex((l) => l.trim() && want.startsWith(l.trim().replace(/\\$/, '').trim().replace(/\s+/g, ' ').toLowerCase()))
    return i < 0 ? undefined : i + 1
  } catch {
    return undefined
  }
}

/** `check` of image tasks: the image still exists and every tag still points at it. */
async function imageStillValid(ctx: CheckContext): Promise<boolean> {
  const value = ctx.value as Partial<ImageValue> | undefined
  if (!value?.imageId) return false
  const id = await inspectImageId(value.imageId, process.env, ctx.signal)
  if (id !== value.imageId) return false
  for (const tag of value.tags ?? []) {
    if ((await inspectImageId(tag, process.env, ctx.signal)) !== value.imageId) return false
  }
  return true
}

// ---------------------------------------------------------------------------------------------
// Internals: run
// ---------------------------------------------------------------------------------------------

const VALUE_LIMIT = 64 * 1024

async function runContainer(ctx: TaskContext, spec: RunSpec): Promise<RunValue> {
  const { docker, ep } = await connect(ctx.env, ctx.signal)
  const imageId = await inspectImageId(spec.image, ctx.env, ctx.signal)
  if (!imageId) {
    throw new RecipeError('image-missing', `image \`${spec.image}\` is not in the Docker daemon (${ep.where})\n  help: add the task that builds it to \`deps\`, or pull/load it first`)
  }
  ctx.log(`docker run ${spec.image}${spec.cmd ? ' ' + spec.cmd.join(' ') : ''} (${imageId.slice(0, 19)})`)
  let container: Dockerode.Container
  try {
    container = await docker.createContainer({
      Image: imageId,
      Cmd: spec.cmd,
      Entrypoint: spec.entrypoint,
      Env: Object.entries(spec.containerEnv).map(([k, v]) => `${k}=${v}`),
      WorkingDir: spec.workdir,
      User: spec.user,
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      Labels: { 'typed-tasks.task': ctx.name },
      HostConfig: { NetworkMode: spec.network, AutoRemove: false },
    })
  } catch (err) {
    throw apiError(ep, err, `docker run ${spec.image}: could not create the container`)
  }
  let stdout = '', stderr = ''
  const outLog = lineWriter(ctx.log), errLog = lineWriter(ctx.log)
  const sink = (write: (s: string) => void, keep: (s: string) => void) => ({ write: (chunk: Buffer | string) => { const s = String(chunk); write(s); keep(s); return true } })
  const kill = () => { container.kill().catch(() => undefined) }
  let timer: NodeJS.Timeout | undefined
  let timedOut = false
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true })
    const ended = new Promise<void>((res) => { stream.on('end', res); stream.on('close', res); stream.on('error', () => res()) })
    docker.modem.demuxStream(stream,
      sink(outLog.write, (s) => { if (stdout.length < VALUE_LIMIT) stdout += s }) as unknown as NodeJS.WritableStream,
      sink(errLog.write, (s) => { if (stderr.length < VALUE_LIMIT) stderr += s }) as unknown as NodeJS.WritableStream)
    ctx.signal.addEventListener('abort', kill, { once: true })
    await container.start()
    if (spec.timeoutMs) timer = setTimeout(() => { timedOut = true; kill() }, spec.timeoutMs)
    const result = (await container.wait()) as { StatusCode: number }
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))])
    outLog.flush()
    errLog.flush()
    if (timedOut) throw new RecipeError('run-timeout', `docker run ${spec.image}: killed after ${spec.timeoutMs} ms (timeoutMs)`)
    if (result.StatusCode !== 0) throw new TaskCommandError(`docker run ${spec.image}${spec.cmd ? ' ' + spec.cmd.join(' ') : ''}`, result.StatusCode)
    return { image: spec.image, imageId, exitCode: result.StatusCode, stdout: stdout.slice(0, VALUE_LIMIT), stderr: stderr.slice(0, VALUE_LIMIT) }
  } catch (err) {
    if (err instanceof RecipeError || err instanceof TaskCommandError || ctx.signal.aborted) throw err
    throw apiError(ep, err, `docker run ${spec.image}`)
  } finally {
    if (timer) clearTimeout(timer)
    ctx.signal.removeEventListener('abort', kill)
    await container.remove({ force: true }).catch(() => undefined)
  }
}

/** `check` of run tasks: the image reference still resolves to the image the stored run used. */
async function sameImage(ctx: CheckContext): Promise<boolean> {
  const value = ctx.value as Partial<RunValue> | undefined
  if (!value?.image || !value.imageId) return false
  return (await inspectImageId(value.image, process.env, ctx.signal)) === value.imageId
}

// ---------------------------------------------------------------------------------------------
// Internals: push and registry credentials
// ---------------------------------------------------------------------------------------------

/** Split `registry:5000/team/app:1.0` into repository and tag (the tag defaults to `latest`). */
export function parseReference(ref: string): { repo: string; tag: string; registry: string } {
  const at = ref.indexOf('@')
  const base = at >= 0 ? ref.slice(0, at) : ref
  const slash = base.lastIndexOf('/')
  const colon = base.lastIndexOf(':')
  const hasTag = colon > slash
  const repo = hasTag ? base.slice(0, colon) : base
  const tag = at >= 0 ? ref.slice(at + 1) : hasTag ? base.slice(colon + 1) : 'latest'
  const first = repo.split('/')[0]
  const registry = repo.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? first : 'docker.io'
  return { repo, tag, registry }
}

/**
 * Credentials for `registry` from the Docker config (`auths`, `credHelpers`, `credsStore`), in the
 * Engine API's shape, or undefined when the config has none.
 * @param configPath @default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`
 * @throws {RecipeError} when a credential helper is configured but fails.
 */
export function registryAuth(registry: string, configPath?: string, env: NodeJS.ProcessEnv = process.env): RegistryAuth | undefined {
  const file = configPath ?? join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json')
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>; credHelpers?: Record<string, string>; credsStore?: string }
  try {
    config = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
  const keys = registry === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'] : [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`]
  const helper = config.credHelpers?.[registry] ?? config.credsStore
  if (helper) {
    const r = spawnSync(`docker-credential-${helper}`, ['get'], { input: registry === 'docker.io' ? keys[0] : registry, encoding: 'utf8' })
    if (r.status === 0) {
      const c = JSON.parse(r.stdout) as { Username: string; Secret: string }
      return c.Username === '<token>' ? { identitytoken: c.Secret, serveraddress: registry } : { username: c.Username, password: c.Secret, serveraddress: registry }
    }
    if (config.credHelpers?.[registry]) {
      throw new RecipeError('registry-auth', `credential helper docker-credential-${helper} failed for ${registry}: ${(r.stderr || r.stdout || r.error?.message || '').trim()}`)
    }
  }
  for (const k of keys) {
    const entry = config.auths?.[k]
    if (!entry) continue
    if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: registry }
    if (entry.auth) {
      const plain = Buffer.from(entry.auth, 'base64').toString('utf8')
      const i = plain.indexOf(':')
      return { username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: registry }
    }
    if (entry.username) return { username: entry.username, password: entry.password, serveraddress: registry }
  }
  return undefined
}

function authFor(ref: string, spec: PushSpec, given: RegistryAuth | undefined, env: NodeJS.ProcessEnv): RegistryAuth | undefined {
  const { registry } = parseReference(ref)
  if (given) return { serveraddress: registry, ...given }
  return registryAuth(registry, spec.dockerConfig, env)
}

async function pushImage(ctx: TaskContext, spec: PushSpec, given: RegistryAuth | undefined): Promise<PushValue> {
  const { docker, ep } = await connect(ctx.env, ctx.signal)
  const { repo, tag, registry } = parseReference(spec.image)
  if (spec.source) {
    if (!(await inspectImageId(spec.source, ctx.env, ctx.signal))) {
      throw new RecipeError('image-missing', `image \`${spec.source}\` (source of the push) is not in the Docker daemon (${ep.where})\n  help: add the task that builds it to \`deps\``)
    }
    try {
      await docker.getImage(spec.source).tag({ repo, tag })
    } catch (err) {
      throw apiError(ep, err, `docker tag ${spec.source} ${spec.image}`)
    }
  }
  const imageId = await inspectImageId(spec.image, ctx.env, ctx.signal)
  if (!imageId) throw new RecipeError('image-missing', `image \`${spec.image}\` is not in the Docker daemon (${ep.where})\n  help: add the task that builds it to \`deps\`, or give \`source\``)
  const auth = authFor(spec.image, spec, given, ctx.env)
  ctx.log(`docker push ${spec.image} (${imageId.slice(0, 19)}) to ${registry}${auth ? ` as ${auth.username ?? 'token'}` : ' without credentials'}`)
  let stream: NodeJS.ReadableStream
  try {
    const img = docker.getImage(`${repo}:${tag}`) as unknown as { push(o: object): Promise<NodeJS.ReadableStream> }
    stream = await img.push({ tag, authconfig: auth ?? {}, abortSignal: ctx.signal })
  } catch (err) {
    throw apiError(ep, err, `docker push ${spec.image}`)
  }
  const out = lineWriter(ctx.log)
  let digest: string | undefined
  let error: string | undefined
  await follow(docker, stream, (e: BuildEvent & { aux?: { Digest?: string } }) => {
    if (e.status) out.write(`${e.id ? `${e.id}: ` : ''}${e.status}${e.progress ? ` ${e.progress}` : ''}\n`)
    if (e.aux?.Digest) digest = e.aux.Digest
    if (e.error) error = e.errorDetail?.message ?? e.error
  })
  out.flush()
  if (error !== undefined) {
    const hint = /unauthorized|authentication|denied/i.test(error)
      ? `log in with \`docker login ${registry}\` (credentials are read from the Docker config) or pass \`auth\``
      : /server gave HTTP response to HTTPS client/i.test(error)
        ? `the registry speaks plain HTTP: add "${registry}" to "insecure-registries" in the daemon's daemon.json`
        : `check that ${registry} is reachable from the Docker daemon`
    throw new RecipeError('push-failed', `docker push ${spec.image} failed: ${error}\n  help: ${hint}`)
  }
  if (!digest) throw new RecipeError('push-failed', `docker push ${spec.image} ended without a digest (the daemon reported no error); see the log above`)
  return { image: spec.image, imageId, digest }
}

/** The `X-Registry-Auth` header: URL-safe base64 *with* padding (the daemon rejects unpadded base64url). */
function registryAuthHeader(auth: RegistryAuth): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')
}

/** `check` of push tasks: the local image is unchanged and the registry still serves the digest. */
async function pushStillValid(ctx: CheckContext, spec: PushSpec, given: RegistryAuth | undefined): Promise<boolean> {
  const value = ctx.value as Partial<PushValue> | undefined
  if (!value?.imageId || !value.digest) return false
  const source = spec.source ?? spec.image
  if ((await inspectImageId(source, process.env, ctx.signal)) !== value.imageId) return false
  const auth = authFor(spec.image, spec, given, process.env)
  const headers: Record<string, string> = auth ? { 'X-Registry-Auth': registryAuthHeader(auth) } : {}
  try {
    const dist = (await apiGet(process.env, `/distribution/${refPath(spec.image)}/json`, headers, ctx.signal)) as { Descriptor?: { digest?: string } } | undefined
    return dist?.Descriptor?.digest === value.digest
  } catch {
    return false
  }
}
