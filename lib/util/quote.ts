/**
 * Quoting one argument for the shell a command string runs under: arguments after `--` and the
 * arguments recipes put into their commands. A leaf module.
 */

/**
 * Quote `arg` so the shell passes it to the program as exactly one argument, unchanged. Plain words
 * (letters, digits, `@%+=:,./-_`) are returned as they are, so commands stay readable.
 * - `'sh'` and `'portable'`: POSIX single quotes, a `'` inside written as `'\''` (the portable
 *   interpreter, `@yarnpkg/shell`, parses quotes the way `sh` does).
 * - `'cmd'`: for `cmd.exe /d /s /c "..."` running a program that splits its command line with the
 *   MSVC runtime's rules: backslashes before a `"` are doubled and the `"` escaped as `\"`, the
 *   argument is wrapped in `"..."`, then every cmd metacharacter (`( ) [ ] % ! ^ " < > & | ; , *
 *   ?` and backtick) is escaped with `^` so cmd.exe neither expands `%VAR%` nor splits on `&`. Same
 *   algorithm as cross-spawn's `escapeArgument` (after D. Colascione, "Everyone quotes command line
 *   arguments the wrong way"). A program that parses its command line otherwise (cmd's own builtins
 *   such as `echo`) sees the quotes.
 * @param arg one argument, any text (an empty string becomes `''` or `""`)
 * @param shell the shell the command string runs under @default 'sh'
 */
export function shellQuote(arg: string, shell: 'sh' | 'cmd' | 'portable' = 'sh'): string {
  if (/^[\w@%+=:,./-]+$/.test(arg) && !(shell === 'cmd' && /%/.test(arg))) return arg
  if (shell === 'cmd') {
    let q = arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1')
    q = `"${q}"`
    return q.replace(/([()\][%!^"`<>&|;, *?])/g, '^$1')
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`
}
