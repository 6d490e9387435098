/**
 * Pushing an image and reading registry credentials from the Docker config (`auths`,
 * `credHelpers`, `credsStore`); the `check` keeps a stored push while the registry serves its digest.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { RecipeError, type CheckContext, type TaskContext } from '../../lib/doors/recipe-kit.js'
import { lineWriter } from '../util.js'
import { apiError, apiGet, connect, follow, inspectImageId, refPath, type BuildEvent } from './daemon.js'
import type { PushSpec, PushValue, RegistryAuth } from './types.js'

/** Split `registry:5000/team/app:1.0` into repository and tag (the tag defaults to `latest`). */
export function parseReference(ref: string): { repo: string; tag: string; registry: string } {
  const at = ref.indexOf('@')
  const base = at >= 0 ? ref.slice(0, at) : ref
  const slash = base.lastIndexOf('/')
  const colon = base.lastIndexOf(':')
  const hasTag = colon > slash
  const repo = hasTag ? base.slice(0, colon) : base
  const tag = at >= 0 ? ref.slice(at + 1) : hasTag ? base.slice(colon + 1) : 'latest'
  const first = repo.split('/')[0]!
  const registry = repo.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? first : 'docker.io'
  return { repo, tag, registry }
}

/**
 * Credentials for `registry` from the Docker config (`auths`, `credHelpers`, `credsStore`), in the
 * Engine API's shape, or undefined when the config has none.
 * @param configPath @default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`
 * @throws {RecipeError} when a credential helper is configured but fails.
 */
export function registryAuth(
  registry: string,
  configPath?: string,
  env: NodeJS.ProcessEnv = process.env,
): RegistryAuth | undefined {
  const file = configPath ?? join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json')
  let config: {
    auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>
    credHelpers?: Record<string, string>
    credsStore?: string
  }
  try {
    config = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
  const keys =
    registry === 'docker.io'
      ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io']
      : [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`]
  const helper = config.credHelpers?.[registry] ?? config.credsStore
  if (helper) {
    const r = spawnSync(`docker-credential-${helper}`, ['get'], {
      input: registry === 'docker.io' ? keys[0] : registry,
      encoding: 'utf8',
    })
    if (r.status === 0) {
      const c = JSON.parse(r.stdout) as { Username: string; Secret: string }
      return c.Username === '<token>'
        ? { identitytoken: c.Secret, serveraddress: registry }
        : { username: c.Username, password: c.Secret, serveraddress: registry }
    }
    if (config.credHelpers?.[registry]) {
      throw new RecipeError(
        'registry-auth',
        `credential helper docker-credential-${helper} failed for ${registry}: ${(r.stderr || r.stdout || r.error?.message || '').trim()}`,
      )
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

function authFor(
  ref: string,
  spec: PushSpec,
  given: RegistryAuth | undefined,
  env: NodeJS.ProcessEnv,
): RegistryAuth | undefined {
  const { registry } = parseReference(ref)
  if (given) return { serveraddress: registry, ...given }
  return registryAuth(registry, spec.dockerConfig, env)
}

/** The `run` of a push task. */
export async function pushImage(ctx: TaskContext, spec: PushSpec, given: RegistryAuth | undefined): Promise<PushValue> {
  const { docker, ep } = await connect(ctx.env, ctx.signal)
  const { repo, tag, registry } = parseReference(spec.image)
  if (spec.source) {
    if (!(await inspectImageId(spec.source, ctx.env, ctx.signal))) {
      throw new RecipeError(
        'image-missing',
        `image \`${spec.source}\` (source of the push) is not in the Docker daemon (${ep.where})`,
        { hint: 'add the task that builds it to `deps`' },
      )
    }
    try {
      await docker.getImage(spec.source).tag({ repo, tag })
    } catch (err) {
      throw apiError(ep, err, `docker tag ${spec.source} ${spec.image}`)
    }
  }
  const imageId = await inspectImageId(spec.image, ctx.env, ctx.signal)
  if (!imageId)
    throw new RecipeError('image-missing', `image \`${spec.image}\` is not in the Docker daemon (${ep.where})`, {
      hint: 'add the task that builds it to `deps`, or give `source`',
    })
  const auth = authFor(spec.image, spec, given, ctx.env)
  ctx.log(
    `docker push ${spec.image} (${imageId.slice(0, 19)}) to ${registry}${auth ? ` as ${auth.username ?? 'token'}` : ' without credentials'}`,
  )
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
    throw new RecipeError('push-failed', `docker push ${spec.image} failed: ${error}`, { hint })
  }
  if (!digest)
    throw new RecipeError(
      'push-failed',
      `docker push ${spec.image} ended without a digest (the daemon reported no error); see the log above`,
    )
  return { image: spec.image, imageId, digest }
}

/** The `X-Registry-Auth` header: URL-safe base64 *with* padding (the daemon rejects unpadded base64url). */
function registryAuthHeader(auth: RegistryAuth): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')
}

/** `check` of push tasks: the local image is unchanged and the registry still serves the digest. */
export async function pushStillValid(
  ctx: CheckContext,
  spec: PushSpec,
  given: RegistryAuth | undefined,
): Promise<boolean> {
  const value = ctx.value as Partial<PushValue> | undefined
  if (!value?.imageId || !value.digest) return false
  const source = spec.source ?? spec.image
  if ((await inspectImageId(source, process.env, ctx.signal)) !== value.imageId) return false
  const auth = authFor(spec.image, spec, given, process.env)
  const headers: Record<string, string> = auth ? { 'X-Registry-Auth': registryAuthHeader(auth) } : {}
  try {
    const dist = (await apiGet(process.env, `/distribution/${refPath(spec.image)}/json`, headers, ctx.signal)) as
      { Descriptor?: { digest?: string } } | undefined
    return dist?.Descriptor?.digest === value.digest
  } catch {
    return false
  }
}
