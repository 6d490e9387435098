/**
 * Building an image: send the context, stream the log, name the failed step (with its Dockerfile
 * line), and the `check` that keeps a stored result only while the image and its tags exist.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { RecipeError, type CheckContext, type TaskContext } from '../../lib/doors/recipe-kit.js'
import { lineWriter } from '../util.js'
import { contextFiles } from './context.js'
import { apiError, connect, follow, inspectImageId, type BuildEvent } from './daemon.js'
import type { BuildSpec, ImageValue } from './types.js'

interface Step {
  index: number
  total: number
  instruction: string
  output: string
}

/** The `run` of an image task. */
export async function buildImage(ctx: TaskContext, spec: BuildSpec): Promise<ImageValue> {
  const { docker, ep } = await connect(ctx.env, ctx.signal)
  const files = contextFiles(ctx.cwd, spec.dockerfile)
  ctx.log(
    `docker build ${spec.context} (${spec.dockerfile}${spec.target ? `, target ${spec.target}` : ''}, ${files.length} files) on ${ep.where}`,
  )
  let stream: NodeJS.ReadableStream
  try {
    stream = await docker.buildImage(
      { context: ctx.cwd, src: files },
      {
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
      },
    )
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
      if (m) step = { index: +m[1]!, total: +m[2]!, instruction: m[3]!.trim(), output: '' }
      else if (step && !/^ ---> /.test(e.stream) && !/^Removing intermediate container /.test(e.stream))
        step.output += e.stream
      out.write(e.stream)
    } else if (e.status) {
      out.write(`${e.id ? `${e.id}: ` : ''}${e.status}${e.progress ? ` ${e.progress}` : ''}\n`)
    }
    if (e.aux?.ID) imageId = e.aux.ID
    if (e.error) error = e.errorDetail?.message ?? e.error
  })
  out.flush()
  if (error !== undefined) throw buildFailure(ctx.cwd, spec, step, error)
  if (!imageId)
    throw new RecipeError(
      'build-failed',
      `docker build of ${spec.context}/${spec.dockerfile} ended without an image ID (the daemon reported no error); see the log above`,
    )
  return { imageId, tags: [...spec.tags], ...(spec.target ? { target: spec.target } : {}) }
}

function buildFailure(contextAbs: string, spec: BuildSpec, step: Step | undefined, message: string): RecipeError {
  const file = `${spec.context === '.' ? '' : spec.context + '/'}${spec.dockerfile}`
  if (!step) return new RecipeError('build-failed', `docker build of ${file} failed before the first step: ${message}`)
  const line = dockerfileLine(join(contextAbs, spec.dockerfile), step.instruction)
  const at = `${file}${line ? `:${line}` : ''}`
  if (/^FROM\s/i.test(step.instruction)) {
    const baseImage = step.instruction.split(/\s+/)[1]
    return new RecipeError(
      'base-image-missing',
      `base image \`${baseImage}\` (${at}) is not in the Docker daemon and could not be pulled: ${message}`,
      {
        hint: 'build or `docker load`/`docker import` it first (or make a task that does), or fix the name; with no registry reachable, only local images can be used',
      },
    )
  }
  const output = step.output.replace(/^\n+/, '').trimEnd().split('\n').slice(-40).join('\n')
  return new RecipeError(
    'build-failed',
    `docker build failed at step ${step.index}/${step.total} \`${step.instruction}\` (${at}): ${message}` +
      (output ? `\n--- output of that step ---\n${output}` : '\n(the step printed nothing)'),
  )
}

/** 1-based line of the Dockerfile where `instruction` starts, when it can be found. */
function dockerfileLine(path: string, instruction: string): number | undefined {
  try {
    const want = instruction.replace(/\s+/g, ' ').toLowerCase()
    const lines = readFileSync(path, 'utf8').split(/\r?\n/)
    const i = lines.findIndex(
      (l) => l.trim() && want.startsWith(l.trim().replace(/\\$/, '').trim().replace(/\s+/g, ' ').toLowerCase()),
    )
    return i < 0 ? undefined : i + 1
  } catch {
    return undefined
  }
}

/** `check` of image tasks: the image still exists and every tag still points at it. */
export async function imageStillValid(ctx: CheckContext): Promise<boolean> {
  const value = ctx.value as Partial<ImageValue> | undefined
  if (!value?.imageId) return false
  const id = await inspectImageId(value.imageId, process.env, ctx.signal)
  if (id !== value.imageId) return false
  for (const tag of value.tags ?? []) {
    if ((await inspectImageId(tag, process.env, ctx.signal)) !== value.imageId) return false
  }
  return true
}
