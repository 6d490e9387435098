/**
 * Running a container: create, attach, start, wait, remove (also on abort), with its output in the
 * task's log; the `check` keeps a stored run while the image reference resolves to the same ID.
 */
import type Dockerode from 'dockerode'
import { RecipeError, TaskCommandError, type CheckContext, type TaskContext } from '../../lib/doors/recipe-kit.js'
import { lineWriter } from '../util.js'
import { apiError, connect, inspectImageId } from './daemon.js'
import type { RunSpec, RunValue } from './types.js'

const VALUE_LIMIT = 64 * 1024

/** The `run` of a run task. */
export async function runContainer(ctx: TaskContext, spec: RunSpec): Promise<RunValue> {
  const { docker, ep } = await connect(ctx.env, ctx.signal)
  const imageId = await inspectImageId(spec.image, ctx.env, ctx.signal)
  if (!imageId) {
    throw new RecipeError('image-missing', `image \`${spec.image}\` is not in the Docker daemon (${ep.where})`, {
      hint: 'add the task that builds it to `deps`, or pull/load it first',
    })
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
  let stdout = '',
    stderr = ''
  const outLog = lineWriter(ctx.log),
    errLog = lineWriter(ctx.log)
  const sink = (write: (s: string) => void, keep: (s: string) => void) => ({
    write: (chunk: Buffer | string) => {
      const s = String(chunk)
      write(s)
      keep(s)
      return true
    },
  })
  const kill = () => {
    container.kill().catch(() => undefined)
  }
  let timer: NodeJS.Timeout | undefined
  let timedOut = false
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true })
    const ended = new Promise<void>((res) => {
      stream.on('end', res)
      stream.on('close', res)
      stream.on('error', () => res())
    })
    docker.modem.demuxStream(
      stream,
      sink(outLog.write, (s) => {
        if (stdout.length < VALUE_LIMIT) stdout += s
      }) as unknown as NodeJS.WritableStream,
      sink(errLog.write, (s) => {
        if (stderr.length < VALUE_LIMIT) stderr += s
      }) as unknown as NodeJS.WritableStream,
    )
    ctx.signal.addEventListener('abort', kill, { once: true })
    await container.start()
    if (spec.timeoutMs)
      timer = setTimeout(() => {
        timedOut = true
        kill()
      }, spec.timeoutMs)
    const result = (await container.wait()) as { StatusCode: number }
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))])
    outLog.flush()
    errLog.flush()
    if (timedOut)
      throw new RecipeError('run-timeout', `docker run ${spec.image}: killed after ${spec.timeoutMs} ms (timeoutMs)`)
    if (result.StatusCode !== 0)
      throw new TaskCommandError(
        `docker run ${spec.image}${spec.cmd ? ' ' + spec.cmd.join(' ') : ''}`,
        result.StatusCode,
      )
    return {
      image: spec.image,
      imageId,
      exitCode: result.StatusCode,
      stdout: stdout.slice(0, VALUE_LIMIT),
      stderr: stderr.slice(0, VALUE_LIMIT),
    }
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
export async function sameImage(ctx: CheckContext): Promise<boolean> {
  const value = ctx.value as Partial<RunValue> | undefined
  if (!value?.image || !value.imageId) return false
  return (await inspectImageId(value.image, process.env, ctx.signal)) === value.imageId
}
