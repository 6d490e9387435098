/**
 * One task definition, already checked for shape by `validate.ts`, resolved into a
 * {@link ResolvedTask}: paths (`cwd`, `outputs`, `depfile`) kept inside the project root, variable
 * defaults, the service settings, and the command text that enters the fingerprint. Every error is
 * a {@link TasksError} naming the file, the task and the key.
 */
import { isAbsolute, posix } from 'node:path'
import { TasksError } from '../errors.js'
import { toPosix } from '../util/fs.js'
import { locate } from './locate.js'
import type { TaskDefinition, TaskShell } from '../model/config.js'
import type { ResolvedTask } from '../model/internal.js'

/** Default readiness timeout of a service, ms (Nx uses 600 s; a minute says "broken" sooner). */
export const SERVICE_TIMEOUT_MS = 60_000

/**
 * Resolve task `name` (its definition `def` already valid in shape).
 * @param file absolute path of the config file (for messages)
 * @param source the config file's text, to point at lines (optional)
 * @param defaultShell the config's top-level `shell`
 * @throws {TasksError} `config-invalid` (cwd or depfile outside the root, a variable default not among its choices, a bad service) or `output-outside-root`.
 */
export function resolveTask(
  name: string,
  def: TaskDefinition,
  file: string,
  source?: string,
  defaultShell?: TaskShell,
): ResolvedTask {
  const cwd = normaliseRelative(def.cwd ?? '.')
  if (cwd === undefined) {
    throw new TasksError(
      'config-invalid',
      `task \`${name}\`: \`cwd\` ${JSON.stringify(def.cwd)} is outside the project root`,
      { file, task: name, key: 'cwd', ...locate(source, name, { key: 'cwd' }) },
      'use a path relative to the folder of the config file',
    )
  }
  for (const glob of def.outputs ?? []) {
    const pattern = glob.startsWith('!') ? glob.slice(1) : glob
    if (
      isAbsolute(pattern) ||
      /^[a-zA-Z]:/.test(pattern) ||
      normaliseRelative(posix.join(cwd, toPosix(pattern))) === undefined
    ) {
      throw new TasksError(
        'output-outside-root',
        `task \`${name}\`: output \`${glob}\` is outside the project root`,
        { file, task: name, key: 'outputs', ...locate(source, name, { value: glob }) },
        'outputs must be inside the folder of the config file, so a restore never writes elsewhere',
      )
    }
  }
  let depfile: string | undefined
  if (def.depfile !== undefined) {
    depfile = /^[a-zA-Z]:/.test(def.depfile) ? undefined : normaliseRelative(posix.join(cwd, toPosix(def.depfile)))
    if (depfile === undefined || depfile === '.' || isAbsolute(def.depfile)) {
      throw new TasksError(
        'config-invalid',
        `task \`${name}\`: \`depfile\` ${JSON.stringify(def.depfile)} is outside the project root`,
        { file, task: name, key: 'depfile', ...locate(source, name, { key: 'depfile' }) },
        "give a file path relative to the task's `cwd`, e.g. `depfile: 'build/main.d'`",
      )
    }
  }
  const mode = def.interactive ? false : (def.fingerprint ?? 'content')
  const run = def.run
  const vars = { ...(def.vars ?? {}) }
  for (const [k, d] of Object.entries(vars)) {
    if (d.default !== undefined && d.choices && !d.choices.includes(d.default)) {
      throw new TasksError(
        'config-invalid',
        `task \`${name}\`: variable \`${k}\` has default ${JSON.stringify(d.default)}, which is not one of its choices (${d.choices.join(', ')})`,
        { file, task: name, key: 'vars', ...locate(source, name, { key: 'vars' }) },
        `make the default one of the choices, or add it to \`choices\``,
      )
    }
  }
  // Variable defaults are environment variables like setEnv (so they enter the fingerprint); `--var` overrides (`vars.ts`).
  const varEnv = Object.fromEntries(
    Object.entries(vars)
      .filter(([, d]) => d.default !== undefined)
      .map(([k, d]) => [k, d.default!]),
  )
  const service = resolveService(name, def, file, source)
  let command = ''
  const shell = def.shell ?? defaultShell ?? 'portable'
  if (typeof run === 'string') command = run
  else if (Array.isArray(run)) command = run.join('\n')
  // A non-default shell enters the fingerprint with the command (the default leaves keys as they were).
  if (typeof run !== 'function' && run !== undefined && shell !== 'portable') command = `${command}\n# shell: ${shell}`
  else if (typeof run === 'function')
    command = def.version !== undefined ? `version:${def.version}` : `function:${run.toString()}`
  return {
    name,
    description: def.description,
    run: def.run,
    shell,
    deps: [...(def.deps ?? [])],
    inputs: mode === false || def.inputs === undefined ? undefined : def.inputs.map(toPosix),
    outputs: (def.outputs ?? []).map(toPosix),
    ...(depfile ? { depfile } : {}),
    env: [...(def.env ?? [])],
    passEnv: [...(def.passEnv ?? [])],
    setEnv: { ...(def.setEnv ?? {}), ...varEnv },
    cwd,
    fingerprint: mode,
    platform: def.platform ?? false,
    toolVersions: [...(def.toolVersions ?? [])],
    command: command.replace(/\r\n/g, '\n'),
    check: def.check,
    timeoutMs: def.timeoutMs,
    retries: def.retries ?? 0,
    interactive: def.interactive ?? false,
    vars,
    ...(service ? { service } : {}),
    ...(def.interruptible ? { interruptible: true } : {}),
  }
}

/** A task's `service` key checked and filled in (undefined: not a service). */
function resolveService(name: string, def: TaskDefinition, file: string, source?: string): ResolvedTask['service'] {
  const s = def.service
  if (!s) return undefined
  const at = { file, task: name, key: 'service', ...locate(source, name, { key: 'service' }) }
  if (def.run === undefined)
    throw new TasksError(
      'config-invalid',
      `task \`${name}\` is a service but has no \`run\``,
      at,
      "give the service the command that starts it, e.g. `run: 'node server.js'`",
    )
  if (def.interactive)
    throw new TasksError(
      'config-invalid',
      `task \`${name}\` is a service and \`interactive\`: a service runs beside other tasks, it cannot have the terminal alone`,
      at,
      'remove `interactive`, or make it a normal task',
    )
  if (def.timeoutMs !== undefined)
    throw new TasksError(
      'config-invalid',
      `task \`${name}\` is a service and has a task \`timeoutMs\`: a service runs until it is stopped`,
      at,
      'to bound the wait for its readiness, use `service: { timeoutMs: 30000 }`',
    )
  if (def.retries)
    throw new TasksError(
      'config-invalid',
      `task \`${name}\` is a service and has \`retries\`: a service is not retried (its early exit fails its dependents)`,
      at,
      'remove `retries` from the service',
    )
  if (def.outputs?.length)
    throw new TasksError(
      'config-invalid',
      `task \`${name}\` is a service and declares \`outputs\`: a service is never cached, so nothing would be stored`,
      at,
      'remove `outputs` from the service, or make it a normal task',
    )
  const o = s === true ? {} : s
  const ready = { ...(o.readyWhen ?? {}) }
  if (o.timeoutMs !== undefined && (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0))
    throw new TasksError(
      'config-invalid',
      `task \`${name}\`: \`service.timeoutMs\` must be a number of ms > 0, got ${o.timeoutMs}`,
      at,
      'e.g. `timeoutMs: 30000`',
    )
  if (ready.port !== undefined && (!Number.isInteger(ready.port) || ready.port < 1 || ready.port > 65535))
    throw new TasksError(
      'config-invalid',
      `task \`${name}\`: \`service.readyWhen.port\` must be a TCP port (1-65535), got ${ready.port}`,
      at,
      'e.g. `readyWhen: { port: 8080 }`',
    )
  if (ready.lineMatches !== undefined) {
    try {
      new RegExp(ready.lineMatches)
    } catch (err) {
      throw new TasksError(
        'config-invalid',
        `task \`${name}\`: \`service.readyWhen.lineMatches\` is not a valid regular expression: ${(err as Error).message}`,
        at,
        "e.g. `lineMatches: 'listening on'`",
      )
    }
  }
  if (ready.url !== undefined && !/^https?:\/\/./.test(ready.url))
    throw new TasksError(
      'config-invalid',
      `task \`${name}\`: \`service.readyWhen.url\` must be an http:// or https:// URL, got ${JSON.stringify(ready.url)}`,
      at,
      "e.g. `url: 'http://127.0.0.1:3000/health'`",
    )
  return { readyWhen: ready, timeoutMs: o.timeoutMs ?? SERVICE_TIMEOUT_MS }
}

/** POSIX-normalised relative path, or undefined when it is absolute or climbs out with `..`. */
function normaliseRelative(p: string): string | undefined {
  const q = toPosix(p)
  if (isAbsolute(p) || q.startsWith('/')) return undefined
  const n = posix.normalize(q)
  if (n === '..' || n.startsWith('../')) return undefined
  return n === '' ? '.' : n.replace(/\/$/, '')
}
