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
import { posix, resolve } from 'node:path'
import { canonicalJson, type TaskDefinition } from '../../lib/doors/recipe-kit.js'
import {
  checkKeys,
  findProjectRoot,
  optBoolean,
  optPositiveInt,
  optString,
  optStringRecord,
  optStrings,
  optionError,
  relDir,
} from '../util.js'
import { buildImage, imageStillValid } from './build.js'
import { contextInputs } from './context.js'
import { inspectImageId } from './daemon.js'
import { pushImage, pushStillValid } from './push.js'
import { runContainer, sameImage } from './run.js'
import type { BuildSpec, DockerTaskOptions, ImageOptions, PushOptions, PushSpec, RunOptions, RunSpec } from './types.js'

export type {
  DockerTaskOptions,
  ImageOptions,
  ImageValue,
  RunOptions,
  RunValue,
  RegistryAuth,
  PushOptions,
  PushValue,
} from './types.js'
export { dockerignoreToGlobs } from './context.js'
export { parseReference, registryAuth } from './push.js'

/** Bump when the way a recipe builds changes, so old cache entries stop matching. */
const RECIPE_VERSION = 'v1'

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
 * @throws {RecipeError} at config time: `unknown-option` (a misspelt option, with the nearest name), `invalid-option`
 *   (a missing or empty `name`, `target` together with `stages`, an option of the wrong type).
 */
export function image(options: ImageOptions): Record<string, TaskDefinition> {
  const R = 'docker.image'
  checkKeys(R, options, [
    ...COMMON_KEYS,
    'context',
    'dockerfile',
    'target',
    'stages',
    'tags',
    'buildArgs',
    'labels',
    'platform',
    'pull',
    'noCache',
    'inputs',
    'root',
  ])
  const c = commonOptions(R, options)
  const target = optString(R, 'target', options.target)
  const stages = optStrings(R, 'stages', options.stages)
  if (target && stages?.length)
    throw optionError(
      R,
      'target',
      'cannot be given together with `stages` (the last stage is the target)',
      'give `target` or `stages`, not both',
    )
  for (const [i, st] of (stages ?? []).entries())
    if (stages!.indexOf(st) !== i) throw optionError(R, 'stages', `lists \`${st}\` twice`)
  const context = relDir(R, 'context', options.context)
  const dockerfile = posix.normalize(
    (optString(R, 'dockerfile', options.dockerfile) ?? 'Dockerfile').replace(/\\/g, '/'),
  )
  if (dockerfile.startsWith('../') || posix.isAbsolute(dockerfile))
    throw optionError(R, 'dockerfile', `must be inside the context, got ${JSON.stringify(options.dockerfile)}`)
  const root = optString(R, 'root', options.root)
  const userInputs = optStrings(R, 'inputs', options.inputs)
  const inputs = userInputs ?? contextInputs(resolve(root ?? findProjectRoot(), context), dockerfile)
  const tags = optStrings(R, 'tags', options.tags) ?? []
  const common = {
    dockerfile,
    buildArgs: optStringRecord(R, 'buildArgs', options.buildArgs) ?? {},
    labels: optStringRecord(R, 'labels', options.labels) ?? {},
    platform: optString(R, 'platform', options.platform),
    pull: optBoolean(R, 'pull', options.pull) ?? false,
    noCache: optBoolean(R, 'noCache', options.noCache) ?? false,
  }
  const task = (
    stage: string | undefined,
    taskTags: string[],
    deps: readonly string[],
    description: string,
  ): TaskDefinition => {
    const spec: BuildSpec = { ...common, context, target: stage, tags: taskTags }
    return {
      description,
      cwd: context,
      deps: [...deps],
      inputs,
      env: c.env,
      version: `docker.image/${RECIPE_VERSION} ${canonicalJson(spec)}`,
      run: (ctx) => buildImage(ctx, spec),
      check: (ctx) => imageStillValid(ctx),
    }
  }
  const what = `${context}/${dockerfile}`
  if (!stages?.length) {
    return {
      [c.base]: task(
        target,
        tags,
        c.deps,
        c.description ?? `docker build ${what}${target ? ` --target ${target}` : ''}`,
      ),
    }
  }
  const out: Record<string, TaskDefinition> = {}
  let prev: string | undefined
  stages.forEach((stage, i) => {
    const last = i === stages.length - 1
    const name = `${c.base}:${stage}`
    out[name] = task(stage, last ? tags : [], prev ? [prev] : c.deps, `docker build ${what} --target ${stage}`)
    prev = name
  })
  out[c.base] = { description: c.description ?? `docker build ${what}, stages ${stages.join(', ')}`, deps: [prev!] }
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
  const R = 'docker.run'
  checkKeys(R, options, [
    ...COMMON_KEYS,
    'image',
    'cmd',
    'entrypoint',
    'containerEnv',
    'workdir',
    'user',
    'network',
    'cache',
    'timeoutMs',
  ])
  const c = commonOptions(R, options)
  const imageRef = optString(R, 'image', options.image)
  if (imageRef === undefined) throw optionError(R, 'image', 'is required: a tag or image ID, e.g. `api:dev`')
  const spec: RunSpec = {
    image: imageRef,
    cmd: optStrings(R, 'cmd', options.cmd),
    entrypoint: optStrings(R, 'entrypoint', options.entrypoint),
    containerEnv: optStringRecord(R, 'containerEnv', options.containerEnv) ?? {},
    workdir: optString(R, 'workdir', options.workdir),
    user: optString(R, 'user', options.user),
    network: optString(R, 'network', options.network),
    timeoutMs: optPositiveInt(R, 'timeoutMs', options.timeoutMs),
  }
  const def: TaskDefinition = {
    description: c.description ?? `docker run ${spec.image}${spec.cmd ? ' ' + spec.cmd.join(' ') : ''}`,
    deps: c.deps,
    env: c.env,
    version: `docker.run/${RECIPE_VERSION} ${canonicalJson(spec)}`,
    run: (ctx) => runContainer(ctx, spec),
    check: (ctx) => sameImage(ctx),
  }
  if (optBoolean(R, 'cache', options.cache) !== false) def.inputs = []
  return { [c.base]: def }
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
  const R = 'docker.push'
  checkKeys(R, options, [...COMMON_KEYS, 'image', 'source', 'auth', 'dockerConfig'])
  const c = commonOptions(R, options)
  const imageRef = optString(R, 'image', options.image)
  if (imageRef === undefined)
    throw optionError(
      R,
      'image',
      'is required: the reference to push, with its registry, e.g. `localhost:5000/api:1.0`',
    )
  const auth = options.auth
  if (auth !== undefined) {
    checkKeys(`${R} auth`, auth, ['username', 'password', 'identitytoken', 'serveraddress'])
    for (const [k, v] of Object.entries(auth))
      if (typeof v !== 'string') throw optionError(R, `auth.${k}`, `must be a string, got ${typeof v}`)
  }
  const spec: PushSpec = {
    image: imageRef,
    source: optString(R, 'source', options.source),
    dockerConfig: optString(R, 'dockerConfig', options.dockerConfig),
  }
  return {
    [c.base]: {
      description: c.description ?? `docker push ${spec.image}`,
      deps: c.deps,
      inputs: [],
      env: c.env,
      // Credentials never enter the fingerprint (only whether they were given).
      version: `docker.push/${RECIPE_VERSION} ${canonicalJson({ ...spec, auth: auth ? 'given' : 'docker-config' })}`,
      run: (ctx) => pushImage(ctx, spec, auth),
      check: (ctx) => pushStillValid(ctx, spec, auth),
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

/** The options of {@link DockerTaskOptions}, which every Docker recipe takes. */
const COMMON_KEYS = ['name', 'description', 'deps', 'env']

/** Validated {@link DockerTaskOptions}: the task name, deps, hashed variables and description. */
function commonOptions(R: string, o: DockerTaskOptions) {
  const name = optString(R, 'name', o.name)
  if (name === undefined) throw optionError(R, 'name', 'is required: the task is `docker:<name>`')
  if (!/^[\w.\-/:]+$/.test(name))
    throw optionError(R, 'name', `must be letters, digits, - _ . / :, got ${JSON.stringify(name)}`)
  return {
    base: `docker:${name}`,
    description: optString(R, 'description', o.description),
    deps: optStrings(R, 'deps', o.deps) ?? [],
    env: ['DOCKER_HOST', ...(optStrings(R, 'env', o.env) ?? [])],
  }
}
