/**
 * Shell quoting for one command-line argument, shared by the engine and the recipes (no dependency).
 * Plain words (`-s`, `./cmd/api`, `main.version=1.2`) are left as they are, so simple commands stay
 * readable and the same text runs under `sh` and `cmd.exe`.
 */

/** sh words that need no quotes. */
const SH_PLAIN = /^[\w@%+=:,./-]+$/
/** cmd.exe words that need no quotes (no `%`: cmd expands `%VAR%` even in quotes; `\` is a path separator there). */
const CMD_PLAIN = /^[\w@+=:,./\\-]+$/
/** Characters cmd.exe treats specially outside quotes, escaped with `^`. */
const CMD_META = /[()[\]%!^"`<>&|;, *?]/g

/**
 * Quote `arg` so the shell passes it to the program as one argument, unchanged.
 * - `'sh'` (POSIX sh, bash, zsh, dash): single quotes, a `'` inside written as `'\''`; `''` for the
 *   empty string. Same as Python's `shlex.quote`.
 * - `'cmd'` (`cmd.exe /d /s /c "..."`, Windows): the argument is quoted for the program's
 *   command-line parser (MSVCRT / `CommandLineToArgvW` rules: backslashes before a `"` doubled,
 *   `"` as `\"`), then every cmd metacharacter, quotes included, is escaped with `^` so cmd neither
 *   expands `%VAR%` nor splits on `&`/`|`. Same scheme as cross-spawn's; the command line must not
 *   be parsed by cmd twice (no `call`, no nested `cmd /c`).
 * - `'portable'`: the portable shell that runs a task's `run` string on every platform parses POSIX
 *   quoting, so this is `'sh'` quoting.
 * @example shellQuote('-s -w') // "'-s -w'"
 * @example shellQuote('a b', 'cmd') // '^"a^ b^"'
 */
export function shellQuote(arg: string, shell: 'sh' | 'cmd' | 'portable' = 'sh'): string {
  if (shell === 'cmd') {
    if (CMD_PLAIN.test(arg)) return arg
    const quoted = `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1')}"`
    return quoted.replace(CMD_META, '^$&')
  }
  if (SH_PLAIN.test(arg)) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}
