/**
 * Validate a config object and normalise it into a {@link LoadedConfig}. Shapes are checked with
 * valibot; names (unknown dependencies, with a did-you-mean) and paths (outputs outside the root)
 * by hand. Every error is a {@link TasksError} naming the file, the task and the key.
 */
import * as v from 'valibot'
import { suggest } from '../util/suggest.js'
import { TasksError } from '../errors.js'
import { locate, locateTopLevel } from './locate.js'
import { resolveTask } from './resolve-task.js'
import type { Config, TaskDefinition } from '../model/config.js'
import type { LoadedConfig, ResolvedTask } from '../model/internal.js'

/** Default readiness timeout of a service, ms; defined with the task resolution in `resolve-task.ts`. */
export { SERVICE_TIMEOUT_MS } from './resolve-task.js'

const strings = v.array(v.string())
const SHELLS = ['portable', 'sh', 'cmd'] as const
const TaskSchema = v.strictObject({
  description: v.optional(v.string()),
  run: v.optional(
    v.union([v.string(), strings, v.function()], 'a command string, an array of commands or an async function'),
  ),
  shell: v.optional(v.picklist(SHELLS)),
  deps: v.optional(strings),
  inputs: v.optional(strings),
  outputs: v.optional(strings),
  depfile: v.optional(v.string()),
  env: v.optional(strings),
  passEnv: v.optional(strings),
  setEnv: v.optional(v.record(v.string(), v.string())),
  cwd: v.optional(v.string()),
  fingerprint: v.optional(
    v.union([v.picklist(['content', 'mtime'] as const), v.literal(false)], "'content', 'mtime' or false"),
  ),
  platform: v.optional(v.boolean()),
  toolVersions: v.optional(strings),
  version: v.optional(v.string()),
  check: v.optional(v.function()),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  interactive: v.optional(v.boolean()),
  vars: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)),
      v.strictObject({
        default: v.optional(v.string()),
        choices: v.optional(v.pipe(strings, v.minLength(1))),
        description: v.optional(v.string()),
      }),
    ),
  ),
  service: v.optional(
    v.union(
      [
        v.boolean(),
        v.strictObject({
          readyWhen: v.optional(
            v.strictObject({
              lineMatches: v.optional(v.string()),
              url: v.optional(v.string()),
              port: v.optional(v.number()),
              command: v.optional(v.string()),
            }),
          ),
          timeoutMs: v.optional(v.number()),
        }),
      ],
      'true or { readyWhen: { lineMatches?, url?, port?, command? }, timeoutMs? }',
    ),
  ),
  interruptible: v.optional(v.boolean()),
})

const TASK_KEYS = Object.keys(TaskSchema.entries)

/**
 * Keys a config may have at the top level; anything else is a `config-invalid` error with a
 * did-you-mean (a misspelt `concurency` must not be ignored). A module adding a top-level key adds
 * it here.
 */
export const CONFIG_KEYS = [
  'tasks',
  'concurrency',
  'workspaces',
  'defaults',
  'dependsOn',
  'shell',
  'cache',
  'remoteCache',
]

/**
 * @param raw the config module's default export
 * @param file absolute path of the config file (for messages)
 * @param root absolute project root
 * @param source the config file's text, to point at lines (optional)
 * @throws {TasksError} `config-invalid` (also an unknown top-level key, with a did-you-mean), `unknown-dependency` or `output-outside-root`.
 */
export function validateConfig(raw: unknown, file: string, root: string, source?: string): LoadedConfig {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const key of Object.keys(raw)) {
      if (CONFIG_KEYS.includes(key)) continue
      const near = suggest(key, CONFIG_KEYS)
      throw new TasksError(
        'config-invalid',
        `the config has an unknown top-level key \`${key}\``,
        { file, key, ...locateTopLevel(source, key) },
        near
          ? `did you mean \`${near}\`? known keys: ${CONFIG_KEYS.join(', ')}`
          : `known keys: ${CONFIG_KEYS.join(', ')}; task definitions go under \`tasks\``,
      )
    }
  }
  if (
    !raw ||
    typeof raw !== 'object' ||
    !('tasks' in raw) ||
    typeof (raw as Config).tasks !== 'object' ||
    (raw as Config).tasks === null
  ) {
    throw new TasksError(
      'config-invalid',
      'the config must export `{ tasks: { ... } }` as its default export',
      { file },
      'write `export default defineConfig({ tasks: { build: { run: "..." } } })`',
    )
  }
  const cfg = raw as Config
  if (cfg.concurrency !== undefined && (!Number.isInteger(cfg.concurrency) || cfg.concurrency < 1)) {
    throw new TasksError(
      'config-invalid',
      `\`concurrency\` must be a whole number >= 1, got ${JSON.stringify(cfg.concurrency)}`,
      { file, key: 'concurrency', ...locateTopLevel(source, 'concurrency') },
      'set `concurrency` to a whole number such as 4, or remove it to use the number of CPUs',
    )
  }
  if (cfg.shell !== undefined && !SHELLS.includes(cfg.shell)) {
    throw new TasksError(
      'config-invalid',
      `\`shell\` must be 'portable', 'sh' or 'cmd', got ${JSON.stringify(cfg.shell)}`,
      { file, key: 'shell' },
    )
  }
  const { cacheMaxSize, remoteCache } = validateCacheSettings(cfg, file, source)
  const names = Object.keys(cfg.tasks)
  const tasks = new Map<string, ResolvedTask>()
  for (const name of names) {
    if (!name || /\s/.test(name)) {
      throw new TasksError(
        'config-invalid',
        `task name ${JSON.stringify(name)} is not valid: names cannot be empty or contain spaces`,
        { file, task: name, ...locate(source, name) },
        `rename the task${name.trim() ? `, e.g. \`${name.trim().replace(/\s+/g, '-')}\`` : ''} (names may contain \`:\` and \`/\`)`,
      )
    }
    const def = cfg.tasks[name] as unknown
    const parsed = v.safeParse(TaskSchema, def)
    if (!parsed.success) throw shapeError(parsed.issues[0], file, name, source)
    tasks.set(name, resolveTask(name, def as TaskDefinition, file, source, cfg.shell))
  }
  for (const task of tasks.values()) {
    for (const dep of task.deps) {
      if (tasks.has(dep)) continue
      const near = suggest(dep, names)
      throw new TasksError(
        'unknown-dependency',
        `task \`${task.name}\` depends on unknown task \`${dep}\``,
        { file, task: task.name, key: 'deps', ...locate(source, task.name, { value: dep }) },
        near ? `did you mean \`${near}\`?` : `define a task named \`${dep}\` or remove it from \`deps\``,
      )
    }
  }
  return { file, root, tasks, concurrency: cfg.concurrency, cacheMaxSize, remoteCache }
}

const RemoteCacheSchema = v.strictObject({
  url: v.string(),
  readOnly: v.optional(v.boolean()),
  maxUploadBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  team: v.optional(v.string()),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
})
const CacheSchema = v.strictObject({ maxSize: v.optional(v.union([v.pipe(v.number(), v.minValue(0)), v.string()])) })

/** `cache` and `remoteCache`: shapes, the size string, and no credentials in the config file. */
function validateCacheSettings(
  cfg: Config,
  file: string,
  source?: string,
): { cacheMaxSize?: number; remoteCache?: LoadedConfig['remoteCache'] } {
  const at = (key: string) => ({
    file,
    key,
    ...locateTopLevel(source, key === 'cache' || key === 'maxSize' ? 'cache' : 'remoteCache'),
  })
  let cacheMaxSize: number | undefined
  if (cfg.cache !== undefined) {
    const r = v.safeParse(CacheSchema, cfg.cache)
    if (!r.success) {
      throw new TasksError(
        'config-invalid',
        `\`cache\` must be \`{ maxSize?: number | string }\`, got ${JSON.stringify(cfg.cache)}`,
        at('cache'),
        "e.g. `cache: { maxSize: '5GB' }`",
      )
    }
    if (cfg.cache.maxSize !== undefined) {
      cacheMaxSize = parseSize(cfg.cache.maxSize)
      if (cacheMaxSize === undefined)
        throw new TasksError(
          'config-invalid',
          `\`cache.maxSize\` must be a number of bytes or a size like '5GB' or '500MiB', got ${JSON.stringify(cfg.cache.maxSize)}`,
          at('maxSize'),
        )
    }
  }
  let remoteCache: LoadedConfig['remoteCache']
  if (cfg.remoteCache !== undefined) {
    const r = v.safeParse(RemoteCacheSchema, cfg.remoteCache)
    if (!r.success) {
      const key = r.issues[0].path?.[0]?.key as string | undefined
      throw new TasksError(
        'config-invalid',
        key
          ? `\`remoteCache.${key}\` is not valid (${r.issues[0].message})`
          : '`remoteCache` must be `{ url, readOnly?, maxUploadBytes?, team?, timeoutMs? }`',
        at(key ?? 'remoteCache'),
        'known keys: url, readOnly, maxUploadBytes, team, timeoutMs; credentials go in TASKS_REMOTE_CACHE_TOKEN, never in the config',
      )
    }
    if (/^[a-z+]+:\/\/[^/@]*:[^/@]*@/i.test(cfg.remoteCache.url)) {
      throw new TasksError(
        'config-invalid',
        '`remoteCache.url` holds a password: credentials must not be written in the config file',
        at('url'),
        'pass the URL with user:password in TASKS_REMOTE_CACHE or --remote-cache, or use TASKS_REMOTE_CACHE_TOKEN',
      )
    }
    remoteCache = { ...cfg.remoteCache }
  }
  return { cacheMaxSize, remoteCache }
}

/** Bytes from a number or a size string (`'5GB'`, `'500 MiB'`, `'1.5g'`; K/M/G/T, decimal or binary), or undefined. */
export function parseSize(x: number | string): number | undefined {
  if (typeof x === 'number') return Number.isFinite(x) && x >= 0 ? Math.floor(x) : undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$/i.exec(x)
  if (!m) return undefined
  const power = ' kmgt'.indexOf(m[2]!.toLowerCase() || ' ')
  return Math.floor(Number(m[1]) * (m[3] ? 1024 : 1000) ** power)
}

function shapeError(issue: v.BaseIssue<unknown>, file: string, task: string, source?: string): TasksError {
  const path = issue.path?.map((p) => p.key as string | number) ?? []
  const key = path.length ? String(path[0]) : undefined
  if (issue.type === 'strict_object' && key && !TASK_KEYS.includes(key)) {
    const near = suggest(key, TASK_KEYS)
    return new TasksError(
      'config-invalid',
      `task \`${task}\` has an unknown key \`${key}\``,
      { file, task, key, ...locate(source, task, { key }) },
      near ? `did you mean \`${near}\`? known keys: ${TASK_KEYS.join(', ')}` : `known keys: ${TASK_KEYS.join(', ')}`,
    )
  }
  if (!key) {
    return new TasksError(
      'config-invalid',
      `task \`${task}\` must be an object, got ${issue.received}`,
      { file, task, ...locate(source, task) },
      `write it as an object, e.g. \`${task}: { run: 'make ${task}' }\``,
    )
  }
  const where = path.map((p, i) => (i === 0 ? p : typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')
  return new TasksError(
    'config-invalid',
    `task \`${task}\`: \`${where}\` must be ${describeExpected(key, issue.expected)}, got ${issue.received}`,
    { file, task, key, ...locate(source, task, { key }) },
    EXAMPLES[key] ? `write it as \`${EXAMPLES[key]}\`` : `see the \`${key}\` key in the README`,
  )
}

/** The fix of a wrongly typed key: an example of the right shape. */
const EXAMPLES: Record<string, string> = {
  run: "run: 'make build'",
  deps: "deps: ['build']",
  inputs: "inputs: ['src/**']",
  outputs: "outputs: ['dist/**']",
  depfile: "depfile: 'build/main.d'",
  env: "env: ['NODE_ENV']",
  passEnv: "passEnv: ['HOME']",
  setEnv: "setEnv: { NODE_ENV: 'production' }",
  toolVersions: "toolVersions: ['go version']",
  fingerprint: "fingerprint: 'mtime'",
  check: 'check: async (ctx) => true',
  platform: 'platform: true',
  cwd: "cwd: 'packages/app'",
  description: "description: 'build the app'",
  version: "version: '2'",
  timeoutMs: 'timeoutMs: 60000',
  retries: 'retries: 2',
  interactive: 'interactive: true',
  vars: "vars: { env: { default: 'dev', choices: ['dev', 'prod'] } }",
  service: 'service: { readyWhen: { port: 8080 }, timeoutMs: 30000 }',
  interruptible: 'interruptible: true',
}

function describeExpected(key: string, expected: string | null): string {
  const known: Record<string, string> = {
    run: 'a command string, an array of command strings or an async function',
    depfile: 'a path string',
    deps: 'an array of task names',
    inputs: 'an array of glob strings',
    outputs: 'an array of glob strings',
    env: 'an array of environment variable names',
    passEnv: 'an array of environment variable names',
    setEnv: 'an object of string values',
    toolVersions: 'an array of command strings',
    fingerprint: "'content', 'mtime' or false",
    check: 'a function',
    platform: 'true or false',
    shell: "'portable', 'sh' or 'cmd'",
    timeoutMs: 'a whole number of ms >= 1',
    retries: 'a whole number >= 0',
    interactive: 'true or false',
    vars: 'an object of variables (names like `env`: letters, digits, `_`), each `{ default?: string, choices?: string[] }`',
    service:
      'true or { readyWhen: { lineMatches?: string, url?: string, port?: number, command?: string }, timeoutMs?: number }',
    interruptible: 'true or false',
  }
  return known[key] ?? expected ?? 'valid'
}
