/**
 * Find where a task, key or value is written in the config source, so errors can show
 * `tasks.config.ts:12:5`, the line and carets (like just and Wireit do). A heuristic over the text:
 * the task's key, then the first occurrence of the wanted key or quoted value after it.
 */
import type { ErrorLocation } from '../errors.js'

/**
 * @param source the config file's text
 * @param task the task name (its key in `tasks`)
 * @param needle a key name (`deps`) or a quoted value (`'biuld'`) to find after the task's key;
 *   omit it to point at the task's key itself
 * @returns line/column (1-based), length and line text; `{}` when not found.
 */
export function locate(
  source: string | undefined,
  task: string,
  needle?: { key?: string; value?: string },
): ErrorLocation {
  if (!source) return {}
  const esc = task.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  const taskRe = new RegExp(`(['"\`])${esc}\\1\\s*:|(?<![\\w$'"])${esc}\\s*:`)
  const t = taskRe.exec(source)
  if (!t) return {}
  let index = t.index
  let length = t[0].replace(/\s*:$/, '').length
  if (needle?.value !== undefined) {
    const v = source.indexOf(needle.value, t.index + t[0].length)
    const vq = [`'${needle.value}'`, `"${needle.value}"`, `\`${needle.value}\``]
      .map((q) => source.indexOf(q, t.index + t[0].length))
      .filter((i) => i >= 0)
    const best = vq.length ? Math.min(...vq) : v
    if (best < 0) return at(source, index, length)
    index = best
    length = vq.length ? needle.value.length + 2 : needle.value.length
  } else if (needle?.key) {
    const k = new RegExp(`(?<![\\w$])['"]?${needle.key}['"]?\\s*:`).exec(source.slice(t.index + t[0].length))
    if (k) {
      index = t.index + t[0].length + k.index
      length = needle.key.length
    }
  }
  return at(source, index, length)
}

/**
 * Where a top-level config key (`concurrency`) is written, by the same kind of heuristic: the
 * first `key:` (quoted or not) at the start of a line with the smallest indentation, else the first
 * `key:` anywhere (a one-line config).
 * @returns line/column (1-based) and line text; `{}` when not found.
 */
export function locateTopLevel(source: string | undefined, key: string): ErrorLocation {
  if (!source) return {}
  const esc = key.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  const re = new RegExp(`^([ \\t]*)(['"]?)${esc}\\2\\s*:`, 'gm')
  let best: { index: number; indent: number } | undefined
  for (let m = re.exec(source); m; m = re.exec(source)) {
    if (!best || m[1]!.length < best.indent) best = { index: m.index + m[1]!.length, indent: m[1]!.length }
  }
  if (!best) {
    const inline = new RegExp(`(?<![\\w$])(['"]?)${esc}\\1\\s*:`).exec(source)
    return inline ? at(source, inline.index, key.length) : {}
  }
  return at(source, best.index, key.length + (/['"]/.test(source[best.index]!) ? 2 : 0))
}

function at(source: string, index: number, length: number): ErrorLocation {
  const before = source.slice(0, index)
  const line = before.split('\n').length
  const lineStart = before.lastIndexOf('\n') + 1
  const lineEnd = source.indexOf('\n', index)
  return {
    line,
    column: index - lineStart + 1,
    length,
    lineText: source.slice(lineStart, lineEnd < 0 ? undefined : lineEnd),
  }
}
