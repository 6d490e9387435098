/** "Did you mean" suggestions (leven's edit distance). */
import leven from 'leven'

/**
 * The candidate nearest to `name`, when it is close enough to be a likely typo: an edit distance
 * of at most max(2, a third of the name's length) (a swapped pair of letters is 2). Undefined otherwise.
 */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const c of candidates) {
    const d = leven(name, c)
    if (d < bestD) [best, bestD] = [c, d]
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) && bestD < name.length ? best : undefined
}
