/**
 * The portable shell: string commands run by `@yarnpkg/shell` (Yarn's POSIX-like interpreter, in
 * process) with the file builtins of `./builtins.ts`, the same on every OS. Programs that are not
 * builtins are spawned directly by cross-spawn (PATH, PATHEXT and `.cmd` shims on Windows).
 *
 * Every program the interpreter spawns is tracked per run, so an abort kills each one's whole tree
 * (own process group on POSIX, `taskkill /T /F` on Windows) and nothing new starts after it. The
 * interpreter has no hook for that: its spawn function (cross-spawn) is replaced, in the require
 * cache, by a wrapper before `@yarnpkg/shell` is first loaded. The wrapper finds the command's
 * {@link Execution} by an internal environment variable ({@link EXECUTION_ENV}, removed before the
 * program starts) rather than by an `AsyncLocalStorage`: once an `AsyncLocalStorage` runs, Node 20
 * installs promise hooks that make every later promise of the process several times slower (the
 * interpreter and the rest of the run create thousands). Without the variable (a command that
 * `unset` it, or a spawn outside a command) the wrapper is plain cross-spawn.
 *
 * Per run of `tasks`, not per command: the modules load once, and the syntax tree of each command
 * string is parsed once (the interpreter's parser is wrapped in the same way; the tree is never
 * changed by a run without extra arguments, which is how it is always run here). Everything here
 * loads on the first portable command, never on the no-op path (about 100 ms of imports).
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { constants, accessSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { PassThrough, type Duplex, type Readable, type Writable } from 'node:stream'
import type { ShellLine } from '@yarnpkg/parsers'
import { makeBuiltins, type Builtin } from './builtins.js'
import { killTree } from '../process/kill.js'
import { trackTree, treeEnv } from '../process/procs.js'

const isWindows = process.platform === 'win32'

/** Options of {@link runPortable}. */
export interface PortableOptions {
  /** Absolute, native working directory. */
  cwd: string
  env: NodeJS.ProcessEnv
  signal: AbortSignal
  onOutput(stream: 'stdout' | 'stderr', text: string): void
  /** When given, receives output as raw bytes instead of `onOutput` (binary output stays intact). */
  onBytes?(stream: 'stdout' | 'stderr', data: Buffer): void
  /** POSIX: ms between SIGTERM and SIGKILL on abort. @default 2000 */
  killGraceMs?: number
  /** Interactive task: stdin is this process's stdin and output goes to this process's stdout/stderr (not to `onOutput`). @default false */
  interactive?: boolean
}

type CrossSpawn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess

interface Loaded {
  execute(command: string, args: string[], options: Record<string, unknown>): Promise<number>
  /** The interpreter's glob option, with sh's rule for a pattern that matches nothing (see {@link shGlob}). */
  glob: ShellGlob
  parseShell(source: string): ShellLine
  toPortablePath(p: string): string
  fromPortablePath(p: string): string
  shelljs(): typeof import('shelljs')
  /** The interpreter's file system for one command (redirection targets checked, stream errors kept on `execution`). */
  fsFor(execution: Execution): unknown
}

/**
 * The environment variable that names a command's {@link Execution} to the spawn wrapper (never
 * seen by the programs it starts).
 */
const EXECUTION_ENV = '__TASKS_PORTABLE_EXECUTION'

/** One running portable command: the programs it spawned, killed together on abort. */
class Execution {
  readonly children = new Set<ChildProcess>()
  /** Errors of redirection streams (`> file`) that happened while the command ran. */
  readonly streamErrors: Error[] = []
  constructor(
    readonly signal: AbortSignal,
    readonly graceMs: number,
  ) {}

  spawn(real: CrossSpawn, command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    const env = treeEnv(options.env)
    delete env[EXECUTION_ENV]
    const child = real(command, args, { ...options, env, detached: !isWindows, windowsHide: true })
    trackTree(child, this.signal)
    this.children.add(child)
    const forget = () => this.children.delete(child)
    child.once('close', forget)
    child.once('error', forget)
    if (this.signal.aborted) killTree(child, this.graceMs)
    return child
  }

  killAll(): void {
    for (const c of this.children) killTree(c, this.graceMs)
  }
}

/** The commands running now, by their {@link EXECUTION_ENV} value. */
const running = new Map<string, Execution>()
let executionCounter = 0
let loaded: Loaded | undefined

/** Parsed command strings (`@yarnpkg/parsers` syntax trees with the interpreter's glob option), at most {@link PARSED_MAX}. */
const parsed = new Map<string, ShellLine>()
const PARSED_MAX = 4096
/** True only while {@link runPortable} calls the interpreter's `execute`, which parses synchronously before its first `await`. */
let parsingForExecute = false

/**
 * Load the interpreter, its parser and fslib (once), with cross-spawn wrapped first; shelljs loads
 * on the first file command.
 * @throws Error when `@yarnpkg/shell` was already loaded by someone else: its processes could not be tracked.
 */
function load(): Loaded {
  if (loaded) return loaded
  const req = createRequire(import.meta.url)
  const shellEntry = req.resolve('@yarnpkg/shell')
  const pipePath = createRequire(shellEntry).resolve('./pipe')
  if (req.cache[pipePath])
    throw new Error('@yarnpkg/shell was loaded before typed-tasks could track the processes it spawns')
  const crossSpawnPath = createRequire(pipePath).resolve('cross-spawn')
  const real = req(crossSpawnPath) as CrossSpawn & Record<string, unknown>
  const wrapped = Object.assign((command: string, args: readonly string[], options: SpawnOptions) => {
    const id = options.env?.[EXECUTION_ENV]
    const run = id === undefined ? undefined : running.get(id)
    return run ? run.spawn(real, command, args, options) : real(command, args, options)
  }, real)
  ;(wrapped as Record<string, unknown>).spawn = wrapped
  req.cache[crossSpawnPath]!.exports = wrapped
  // The interpreter calls `parsers_1.parseShell(...)` through the package's getter, which reads
  // `lib/shell.js`'s export at each call: wrapped there, the trees of repeated commands are reused.
  const parsersEntry = createRequire(shellEntry).resolve('@yarnpkg/parsers')
  const parserModule = req(createRequire(parsersEntry).resolve('./shell')) as {
    parseShell: (source: string, options?: unknown) => ShellLine
  }
  const parseOnce = parserModule.parseShell
  parserModule.parseShell = (source, options) => {
    if (!parsingForExecute) return parseOnce(source, options)
    parsingForExecute = false
    let ast = parsed.get(source)
    if (!ast) {
      ast = unsetExpandsEmpty(parseOnce(source, options))
      if (parsed.size >= PARSED_MAX) parsed.clear()
      parsed.set(source, ast)
    }
    return ast
  }
  const shell = req('@yarnpkg/shell') as {
    execute: Loaded['execute']
    ShellError: new (message: string) => Error
    globUtils: ShellGlob
  }
  const parsers = req(parsersEntry) as { parseShell: Loaded['parseShell'] }
  const fslib = req('@yarnpkg/fslib') as {
    NodeFS: new () => { createReadStream(...a: unknown[]): unknown; createWriteStream(...a: unknown[]): unknown }
    npath: { toPortablePath(p: string): string; fromPortablePath(p: string): string }
  }
  const { npath } = fslib

  /**
   * fslib's NodeFS, with redirection targets checked first: the interpreter pipes a `< file` stream
   * and waits for `> file` streams without an error listener, so a missing file would crash the
   * process or hang the command. A bad target is a ShellError instead (message, exit code 1).
   */
  class CheckedFS extends fslib.NodeFS {
    constructor(private readonly execution: Execution) {
      super()
    }
    override createReadStream(p: unknown, opts?: unknown) {
      const native = npath.fromPortablePath(String(p))
      try {
        if (statSync(native).isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' })
        accessSync(native, constants.R_OK)
      } catch (err) {
        throw new shell.ShellError(`${native}: ${describe(err)}`)
      }
      return super.createReadStream(p, opts)
    }
    override createWriteStream(p: unknown, opts?: unknown) {
      const native = npath.fromPortablePath(String(p))
      if (this.execution.signal.aborted) throw new shell.ShellError('interrupted')
      try {
        if (!statSync(dirname(native)).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' })
      } catch (err) {
        throw new shell.ShellError(`${native}: ${describe(err)}`)
      }
      const stream = super.createWriteStream(p, opts) as Writable
      stream.on('error', (err: Error) => this.execution.streamErrors.push(err))
      return endAfterSources(stream)
    }
  }
  loaded = {
    execute: shell.execute,
    glob: shGlob(shell.globUtils),
    parseShell: (source) => parsers.parseShell(source),
    toPortablePath: npath.toPortablePath,
    fromPortablePath: npath.fromPortablePath,
    shelljs: () => req('shelljs') as typeof import('shelljs'),
    fsFor: (execution) => new CheckedFS(execution),
  }
  return loaded
}

/** `@yarnpkg/shell`'s glob option (its `globUtils` shape). */
interface ShellGlob {
  isGlobPattern(pattern: string): boolean
  match(pattern: string, options: { cwd: string; baseFs: unknown }): Promise<string[]>
}

/**
 * The interpreter's glob with sh's rule for a pattern that matches nothing: the word stays as
 * written (POSIX 2.13.3, bash without `nullglob`/`failglob`), where the interpreter fails the command
 * with `No matches found` (so `rm -f build/*.o` on a clean tree, or `npm run x -w @scope/pkg*`,
 * failed under the portable shell and ran under sh).
 */
function shGlob(globUtils: ShellGlob): ShellGlob {
  return {
    isGlobPattern: (pattern) => globUtils.isGlobPattern(pattern),
    match: async (pattern, options) => {
      const found = await globUtils.match(pattern, options)
      return found.length ? found : [pattern]
    },
  }
}

/**
 * sh's rule for an unset variable: `$NAME` and `${NAME}` expand to nothing (POSIX 2.6.2, without
 * `set -u`), where the interpreter fails the command with `Unbound variable "NAME"`. Every variable
 * segment of the tree (arguments, redirections, assignments, `$(...)`, arithmetic, where an unset
 * name is then 0 as in sh) without a `:-`/`:+` operand gets an empty default: for a set variable
 * this changes nothing (an empty value and the empty default expand alike), for an unset one it
 * expands to nothing. `set -u` itself is refused before a task starts (the portable shell has no
 * `set`), so a task that wants it uses `shell: 'sh'`. Changes `ast` in place and returns it.
 */
export function unsetExpandsEmpty(ast: ShellLine): ShellLine {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (!node || typeof node !== 'object') return
    const n = node as Record<string, unknown>
    if (n.type === 'variable' && typeof n.name === 'string' && !n.defaultValue && !n.alternativeValue)
      n.defaultValue = []
    for (const v of Object.values(n)) visit(v)
  }
  visit(ast)
  return ast
}

/**
 * Make `stream.end()` wait until the streams piped into it have handed over everything they hold.
 * The interpreter ends a `> file` stream as soon as the command's process closed, while the
 * PassThrough that feeds it may still buffer output held back by the file's backpressure: the rest
 * was silently dropped and the file truncated (yarnpkg/berry#6733; here `head -c 200000 /dev/urandom
 * > o.bin` left 131,072 or 180,224 bytes in 17 of 18 runs). The pipe's own backpressure stays: the
 * sources resume on each `drain`, and the end comes after the last of their bytes.
 */
function endAfterSources(stream: Writable): Writable {
  const sources = new Set<Duplex | Readable>()
  stream.on('pipe', (src: Readable) => sources.add(src))
  stream.on('unpipe', (src: Readable) => sources.delete(src))
  const end = stream.end.bind(stream) as (...args: unknown[]) => Writable
  stream.end = ((...args: unknown[]) => {
    let polls = 0
    let last = -1
    const held = () =>
      [...sources].reduce((n, src) => n + src.readableLength + ('writableLength' in src ? src.writableLength : 0), 0)
    const settle = () => {
      const now = held()
      if (now === 0 || stream.destroyed) return void end(...args)
      // The file is busy: its 'drain' resumes the sources (their listeners were added by pipe(), before this one).
      if (stream.writableNeedDrain) return void stream.once('drain', settle)
      // The sources resume on the next tick after a 'drain' (Readable.resume): look again after it. A
      // source that holds bytes without moving for 1,000 turns is stuck elsewhere: end, as before.
      polls = now === last ? polls + 1 : 0
      last = now
      if (polls > 1000) return void end(...args)
      setImmediate(settle)
    }
    settle()
    return stream
  }) as Writable['end']
  return stream
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT'
    ? 'No such file or directory'
    : code === 'EISDIR'
      ? 'Is a directory'
      : code === 'ENOTDIR'
        ? 'Not a directory'
        : code === 'EACCES'
          ? 'Permission denied'
          : (err as Error).message
}

/** `@yarnpkg/parsers`'s parser, loaded on first use (for {@link unsupportedConstruct} checks). */
export function portableParser(): (source: string) => ShellLine {
  return load().parseShell
}

/**
 * Run one command string in the portable shell and resolve to its exit code (the last command's,
 * like `sh`; 127 for a program not found). Output is decoded as UTF-8 and passed to `onOutput` as
 * it arrives; stdin is empty. When `signal` aborts, every process the command spawned is killed with
 * its tree, nothing new starts, and the command resolves (with whatever code the killed processes
 * gave; callers treat an aborted run as interrupted).
 * Never throws for a failing command; an interpreter error becomes stderr text and exit code 1.
 */
export async function runPortable(command: string, options: PortableOptions): Promise<number> {
  const shell = load()
  const exec = new Execution(options.signal, options.killGraceMs ?? 2000)
  const streams = (['stdout', 'stderr'] as const).map((name) => {
    const s = new PassThrough()
    const onBytes = options.onBytes
    if (options.interactive) s.pipe(name === 'stdout' ? process.stdout : process.stderr, { end: false })
    else if (onBytes) s.on('data', (data: Buffer) => onBytes(name, data))
    else s.setEncoding('utf8').on('data', (text: string) => options.onOutput(name, text))
    return s
  }) as [PassThrough, PassThrough] // one per name: stdout, stderr
  const onAbort = () => exec.killAll()
  options.signal.addEventListener('abort', onAbort, { once: true })
  const builtins: Record<string, Builtin> = makeBuiltins({
    shelljs: shell.shelljs,
    fromPortablePath: shell.fromPortablePath,
    signal: options.signal,
  })
  const id = String(++executionCounter)
  running.set(id, exec)
  let code: number
  try {
    parsingForExecute = true
    const done = shell.execute(command, [], {
      baseFs: shell.fsFor(exec),
      builtins,
      cwd: shell.toPortablePath(options.cwd),
      env: { ...options.env, [EXECUTION_ENV]: id },
      stdin: options.interactive ? process.stdin : null,
      stdout: streams[0],
      stderr: streams[1],
      glob: shell.glob,
    })
    parsingForExecute = false
    code = await done
  } catch (err) {
    streams[1].write(`${(err as Error).message}\n`)
    code = 1
  } finally {
    parsingForExecute = false
    running.delete(id)
    options.signal.removeEventListener('abort', onAbort)
    if (options.interactive) process.stdin.pause()
  }
  for (const err of exec.streamErrors) {
    streams[1].write(`${err.message}\n`)
    if (code === 0) code = 1
  }
  await Promise.all(
    streams.map(
      (s) =>
        new Promise<void>((done) => {
          s.once('end', done)
          s.end()
        }),
    ),
  )
  return code
}
