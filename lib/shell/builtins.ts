/**
 * The portable shell's file commands: `mkdir`, `rm`, `cp`, `mv`, `touch` from shelljs (same
 * behaviour on every OS), plus `cat`, `echo`, `test`/`[`, `sleep` and `export`, registered as
 * `@yarnpkg/shell` builtins. Paths are resolved against the shell's cwd (shelljs would use the
 * process's, which concurrent tasks share), and glob patterns were already expanded by the
 * interpreter, so shelljs's own globbing is off.
 */
import { accessSync, constants, createReadStream, lstatSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Readable, Writable } from 'node:stream'

/** The slice of `@yarnpkg/shell`'s builtin state these commands use. */
export interface BuiltinState {
  cwd: string
  environment: Record<string, string>
  stdin: Readable
  stdout: Writable
  stderr: Writable
}

/** A builtin as `@yarnpkg/shell` calls it; resolves to the exit code. */
export type Builtin = (args: string[], opts: unknown, state: BuiltinState) => Promise<number>

/** `cat [file|-]...`: copy files (or stdin) to stdout; 1 when a file cannot be read, 130 once `signal` aborted. */
function catBuiltin(signal: AbortSignal, cwdOf: (state: BuiltinState) => string): Builtin {
  return async (args, _opts, state) => {
    const files = args.length ? args : ['-']
    let code = 0
    for (const f of files) {
      if (signal.aborted) return 130
      const source = f === '-' ? state.stdin : createReadStream(resolve(cwdOf(state), f))
      try {
        await new Promise<void>((done, fail) => {
          source.on('error', fail)
          source.on('end', done)
          source.on('data', (chunk: Buffer | string) => state.stdout.write(chunk))
        })
      } catch (err) {
        const e = err as NodeJS.ErrnoException
        state.stderr.write(
          `cat: ${f}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.code === 'EISDIR' ? 'Is a directory' : e.message}\n`,
        )
        code = 1
      }
    }
    return code
  }
}

/** `sleep SECONDS` (fractions allowed): 0 after that time, 130 when `signal` aborts first, 1 on a bad interval. */
function sleepBuiltin(signal: AbortSignal): Builtin {
  return async (args, _opts, state) => {
    const seconds = Number(args[0])
    if (args.length !== 1 || !Number.isFinite(seconds) || seconds < 0) {
      state.stderr.write(`sleep: invalid time interval ${JSON.stringify(args.join(' '))}\n`)
      return 1
    }
    return new Promise<number>((done) => {
      if (signal.aborted) return done(130)
      const onAbort = () => {
        clearTimeout(t)
        done(130)
      }
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        done(0)
      }, seconds * 1000)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}

/** `export NAME=value...`: set variables of the command line's environment; 1 on another form. */
function exportBuiltin(): Builtin {
  return async (args, _opts, state) => {
    for (const a of args) {
      const eq = a.indexOf('=')
      if (eq <= 0) {
        state.stderr.write(`export: only \`export NAME=value\` is supported, got ${JSON.stringify(a)}\n`)
        return 1
      }
      state.environment[a.slice(0, eq)] = a.slice(eq + 1)
    }
    return 0
  }
}

/** What {@link makeBuiltins} needs: the lazily loaded libraries and the run's abort signal. */
export interface BuiltinDeps {
  /** shelljs, loaded on the first file command (about 20 ms of CPU). */
  shelljs(): typeof import('shelljs')
  /** `@yarnpkg/fslib`'s `npath.fromPortablePath`: the shell's cwd is a portable path (`/C:/x` on Windows). */
  fromPortablePath(p: string): string
  signal: AbortSignal
}

/**
 * The builtins by name. Options follow POSIX/GNU for the forms build scripts use:
 * `mkdir [-p]`, `rm [-rf]`, `cp [-rfn]`, `mv [-fn]`, `touch [-c]` (shelljs's option letters),
 * `cat [file|-]...` (bytes, unchanged; stdin when no file), `echo [-n]`, `true`, `false`, `:`, `test`/`[` with
 * `-e -f -d -s -r -w -x -L -z -n`, `= != -eq -ne -lt -le -gt -ge` and `!`, `sleep SECONDS`
 * (abortable), `export NAME=value`. Errors go to the command's stderr with a non-zero exit code.
 * Once `deps.signal` aborts, every builtin ends the command line with exit code 130.
 */
export function makeBuiltins(deps: BuiltinDeps): Record<string, Builtin> {
  let loaded: typeof import('shelljs') | undefined
  const shelljs = () => {
    if (!loaded) {
      loaded = deps.shelljs()
      loaded.config.silent = true
      loaded.config.fatal = false
      ;(loaded.config as { noglob?: boolean }).noglob = true
    }
    return loaded
  }
  const cwdOf = (state: BuiltinState) => deps.fromPortablePath(state.cwd)

  /** Run a shelljs command with its options first and every path made absolute. */
  const viaShelljs =
    (name: 'mkdir' | 'rm' | 'cp' | 'mv' | 'touch', minPaths: number): Builtin =>
    async (args, _opts, state) => {
      const { options, operands } = splitOptions(args)
      if (operands.length < minPaths) {
        state.stderr.write(`${name}: missing operand\n`)
        return 1
      }
      const cwd = cwdOf(state)
      const paths = operands.map((p) => resolve(cwd, p))
      const fn = shelljs()[name] as unknown as (...a: string[]) => { code: number; stderr: string }
      const result = options.length ? fn(`-${options.join('')}`, ...paths) : fn(...paths)
      if (result.code !== 0) state.stderr.write(`${result.stderr || `${name} failed`}`.replace(/\n?$/, '\n'))
      return result.code
    }

  const builtins: Record<string, Builtin> = {
    mkdir: viaShelljs('mkdir', 1),
    rm: viaShelljs('rm', 0),
    cp: viaShelljs('cp', 2),
    mv: viaShelljs('mv', 2),
    touch: viaShelljs('touch', 1),

    cat: catBuiltin(deps.signal, cwdOf),
    echo: async (args, _opts, state) => {
      const noNewline = args[0] === '-n'
      const words = noNewline ? args.slice(1) : args
      state.stdout.write(words.join(' ') + (noNewline ? '' : '\n'))
      return 0
    },

    test: async (args, _opts, state) => evaluateTest(args, cwdOf(state), state),
    '[': async (args, _opts, state) => {
      if (args[args.length - 1] !== ']') {
        state.stderr.write('[: missing `]`\n')
        return 2
      }
      return evaluateTest(args.slice(0, -1), cwdOf(state), state)
    },

    sleep: sleepBuiltin(deps.signal),
    export: exportBuiltin(),
    true: async () => 0,
    false: async () => 1,
    ':': async () => 0,
  }
  // After an abort nothing more runs: each builtin ends the whole command line (like `exit 130`).
  for (const [name, fn] of Object.entries(builtins)) {
    builtins[name] = async (args, opts, state) => {
      if (deps.signal.aborted) return ((state as BuiltinState & { exitCode: number | null }).exitCode = 130)
      return fn(args, opts, state)
    }
  }
  return builtins
}

/** Leading `-xyz` words as letters, up to the first operand or `--`. */
function splitOptions(args: string[]): { options: string[]; operands: string[] } {
  const options: string[] = []
  let i = 0
  for (; i < args.length; i++) {
    const a = args[i]!
    if (a === '--') {
      i++
      break
    }
    if (!/^-[A-Za-z]+$/.test(a)) break
    options.push(...a.slice(1))
  }
  return { options, operands: args.slice(i) }
}

/**
 * POSIX `test` for one primary (optionally negated with `!`): `test` exits 0 (true), 1 (false) or
 * 2 (bad expression, with a message). `-a`/`-o` and parentheses are not supported (use `&&`/`||`).
 */
function evaluateTest(args: string[], cwd: string, state: BuiltinState): number {
  let negate = false
  let a = args
  if (a[0] === '!' && a.length > 1) {
    negate = true
    a = a.slice(1)
  }
  const r = primary(a, cwd)
  if (typeof r === 'string') {
    state.stderr.write(`test: ${r}\n`)
    return 2
  }
  return r !== negate ? 0 : 1
}

function primary(a: string[], cwd: string): boolean | string {
  if (a.length === 0) return false
  if (a.length === 1) return a[0] !== ''
  if (a.length === 2) {
    const [op, operand] = a as [string, string]
    if (op === '-z') return operand === ''
    if (op === '-n') return operand !== ''
    const path = resolve(cwd, operand)
    const st = () => {
      try {
        return statSync(path)
      } catch {
        return undefined
      }
    }
    const can = (mode: number) => {
      try {
        accessSync(path, mode)
        return true
      } catch {
        return false
      }
    }
    switch (op) {
      case '-e':
        return st() !== undefined
      case '-f':
        return st()?.isFile() ?? false
      case '-d':
        return st()?.isDirectory() ?? false
      case '-s':
        return (st()?.size ?? 0) > 0
      case '-r':
        return can(constants.R_OK)
      case '-w':
        return can(constants.W_OK)
      case '-x':
        return can(constants.X_OK)
      case '-L':
      case '-h':
        try {
          return lstatSync(path).isSymbolicLink()
        } catch {
          return false
        }
    }
    return `unknown unary operator ${JSON.stringify(op)}`
  }
  if (a.length === 3) {
    const [l, op, r] = a as [string, string, string]
    if (op === '=' || op === '==') return l === r
    if (op === '!=') return l !== r
    const ints = ['-eq', '-ne', '-lt', '-le', '-gt', '-ge']
    if (ints.includes(op)) {
      if (!/^-?\d+$/.test(l.trim()) || !/^-?\d+$/.test(r.trim()))
        return `integer expression expected: ${JSON.stringify(/^-?\d+$/.test(l.trim()) ? r : l)}`
      const [x, y] = [Number(l), Number(r)]
      return op === '-eq'
        ? x === y
        : op === '-ne'
          ? x !== y
          : op === '-lt'
            ? x < y
            : op === '-le'
              ? x <= y
              : op === '-gt'
                ? x > y
                : x >= y
    }
    return `unknown binary operator ${JSON.stringify(op)}`
  }
  return 'too many arguments (`-a`, `-o` and parentheses are not supported: use `&&` and `||`)'
}
