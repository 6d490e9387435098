/**
 * `tasks completion bash|zsh|fish`: shell scripts that complete flags (listed here from the CLI's
 * own options), task names and workspace names (asked from `tasks __complete tasks|workspaces`
 * when completing, so they follow the config of the folder you are in, and `--cwd`/`--config`
 * given earlier on the line).
 */

/** A flag of the CLI, for completion scripts. */
export interface FlagInfo {
  /** Long name without dashes, e.g. `filter`. */
  name: string
  /** Short name without the dash, e.g. `v`. */
  short?: string
  description: string
  /** Takes a value (`--filter <workspaces>`). */
  value: boolean
}

/** The script for `shell`, ending with a newline. */
export function completionScript(shell: 'bash' | 'zsh' | 'fish', flags: readonly FlagInfo[]): string {
  if (shell === 'bash') return bash(flags)
  if (shell === 'zsh') return zsh(flags)
  return fish(flags)
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

function bash(flags: readonly FlagInfo[]): string {
  const words = flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]).join(' ')
  return `# bash completion for tasks (typed-tasks). Load it with: source <(tasks completion bash)
_tasks_complete() {
  local line="\${COMP_LINE:0:COMP_POINT}"
  local cur="\${line##*[[:space:]]}"
  local prev="" i extra=()
  # The word before the current one, and --cwd/--config given earlier on the line.
  local -a w=(\${line})
  [[ "$line" =~ [[:space:]]$ ]] && w+=("")
  (( \${#w[@]} > 1 )) && prev="\${w[\${#w[@]}-2]}"
  for (( i = 1; i < \${#w[@]} - 1; i++ )); do
    case "\${w[i]}" in --cwd|--config) extra+=("\${w[i]}" "\${w[i+1]}") ;; esac
  done
  local words
  case "$prev" in
    --filter) words="$(command tasks __complete workspaces "\${extra[@]}" 2>/dev/null)" ;;
    --explain) words="$(command tasks __complete tasks "\${extra[@]}" 2>/dev/null)" ;;
    --graph) words="dot mermaid" ;;
    completion) words="bash zsh fish" ;;
    import) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    --cwd) COMPREPLY=( $(compgen -d -- "$cur") ); return ;;
    --config|--profile) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    --concurrency) COMPREPLY=(); return ;;
    *)
      if [[ "$cur" == -* ]]; then words=${sq(words)}
      else
        words="$(command tasks __complete tasks "\${extra[@]}" 2>/dev/null)"
        (( \${#w[@]} == 2 )) && words+=" import init completion"
      fi ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  # bash splits words at ':' (COMP_WORDBREAKS): reply with the part after the last ':' only.
  if [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
    local pre="\${cur%"\${cur##*:}"}"
    COMPREPLY=( "\${COMPREPLY[@]#"$pre"}" )
  fi
}
complete -o default -F _tasks_complete tasks
`
}

function zsh(flags: readonly FlagInfo[]): string {
  const lines = flags.map((f) => `    ${sq(`--${f.name}:${f.description.replace(/:/g, '\\:')}`)}`).join('\n')
  return `#compdef tasks
# zsh completion for tasks (typed-tasks). Load it with: source <(tasks completion zsh)
# (after compinit), or save it as _tasks in a folder of $fpath.
_tasks() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  local -a extra flags
  local i
  for (( i = 2; i < CURRENT - 1; i++ )); do
    case \${words[i]} in --cwd|--config) extra+=(\${words[i]} \${words[i+1]}) ;; esac
  done
  flags=(
${lines}
  )
  case $prev in
    --filter) compadd -- \${(f)"$(command tasks __complete workspaces $extra 2>/dev/null)"}; return ;;
    --explain) compadd -- \${(f)"$(command tasks __complete tasks $extra 2>/dev/null)"}; return ;;
    --graph) compadd -- dot mermaid; return ;;
    completion) compadd -- bash zsh fish; return ;;
    import) _files; return ;;
    --cwd) _files -/; return ;;
    --config|--profile) _files; return ;;
    --concurrency) return ;;
  esac
  if [[ $cur == -* ]]; then
    _describe -t flags 'flag' flags
  else
    local -a names
    names=(\${(f)"$(command tasks __complete tasks $extra 2>/dev/null)"})
    (( CURRENT == 2 )) && names+=(import init completion)
    compadd -- $names
  fi
}
if (( $+functions[compdef] )); then compdef _tasks tasks; fi
`
}

function fish(flags: readonly FlagInfo[]): string {
  const lines = flags.map((f) => {
    const parts = ['complete -c tasks', `-l ${f.name}`]
    if (f.short) parts.push(`-s ${f.short}`)
    if (f.value) parts.push('-r')
    if (f.name === 'filter') parts.push("-f -a '(__tasks_names workspaces)'")
    if (f.name === 'explain') parts.push("-f -a '(__tasks_names tasks)'")
    if (f.name === 'graph') parts.push("-f -a 'dot mermaid'")
    if (f.name === 'cwd') parts.push("-f -a '(__fish_complete_directories)'")
    parts.push(`-d ${sq(f.description)}`)
    return parts.join(' ')
  })
  return `# fish completion for tasks (typed-tasks). Load it with: tasks completion fish | source
# (or save it as ~/.config/fish/completions/tasks.fish)
function __tasks_names
  set -l tokens (commandline -opc)
  set -l extra
  for i in (seq 2 (math (count $tokens) - 1))
    if contains -- $tokens[$i] --cwd --config
      set extra $extra $tokens[$i] $tokens[(math $i + 1)]
    end
  end
  command tasks __complete $argv[1] $extra 2>/dev/null
end
complete -c tasks -f
complete -c tasks -n 'not string match -q -- "-*" (commandline -ct)' -a '(__tasks_names tasks)'
complete -c tasks -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
complete -c tasks -n '__fish_seen_subcommand_from import' -F
complete -c tasks -n 'test (count (commandline -opc)) -eq 1' -a 'import init completion'
${lines.join('\n')}
`
}
