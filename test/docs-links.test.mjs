// The documentation names files that exist. Scans README.md, CHANGELOG.md, docs/**/*.md, bench/*.md
// and examples/**/README*, outside fenced code blocks, for
// - relative Markdown links `[text](path)` and `[text](path#anchor)`: the path must exist (relative
//   to the Markdown file), and an anchor into a Markdown file must name one of its headings;
// - backticked repository paths such as `lib/run/decide.ts` or `docs/guide/`: a span whose first
//   segment is a top-level folder of the repository (lib, bin, test, docs, ...) must name a file or
//   folder, relative to the repository root or to the Markdown file. Spans with glob or placeholder
//   characters (`*`, `<`, `{`, `...`, spaces) are patterns, not paths, and are skipped; so are paths
//   that git ignores (build products such as `examples/c-calc/build/calc`).
// A backticked path is a promise that the reader can open it. Records of the past name the files of
// their time and are not rewritten when code moves: docs/design/history.md, bench/HISTORY.md and the
// generated bench/RESULTS*.md have their links checked, not their backticked paths.
// Source files (lib, bin, recipes, scripts; not test/, whose fixtures make up docs/ paths) that name
// a `docs/....md` page must name one that exists, so moving a page cannot leave a help text or a
// comment pointing nowhere.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Markdown files whose references are checked, as absolute paths. */
function docFiles() {
  const files = ['README.md', 'CHANGELOG.md'].map((f) => join(REPO, f))
  const walk = (dir, keep) => {
    if (!existsSync(dir)) return
    for (const e of readdirSync(dir)) {
      const p = join(dir, e)
      if (e === 'node_modules' || e === 'work') continue
      if (statSync(p).isDirectory()) walk(p, keep)
      else if (keep(e)) files.push(p)
    }
  }
  walk(join(REPO, 'docs'), (e) => e.endsWith('.md'))
  for (const e of readdirSync(join(REPO, 'bench'))) if (e.endsWith('.md')) files.push(join(REPO, 'bench', e))
  walk(join(REPO, 'examples'), (e) => /^README/i.test(e))
  return files.filter((f) => existsSync(f))
}

/** Files whose backticked paths are historical (see the header). */
const HISTORICAL = /^(docs\/design\/history\.md|bench\/HISTORY\.md|bench\/RESULTS[^/]*\.md)$/

/** Top-level folders of the repository (tracked ones; build output such as dist/ is not one). */
function topFolders() {
  const r = spawnSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' })
  const names =
    r.status === 0 ? r.stdout.split('\n').filter((l) => l.includes('/')) : readdirSync(REPO).map((e) => e + '/')
  const tops = new Set(names.map((l) => l.slice(0, l.indexOf('/'))))
  for (const skip of ['node_modules', 'dist', '.tasks', '.git']) tops.delete(skip)
  return tops
}

/** The lines of a Markdown file outside fenced code blocks, with their 1-based numbers. */
function proseLines(text) {
  const out = []
  let fence = null
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(```+|~~~+)/.exec(line)
    if (m) {
      if (!fence) fence = m[1][0]
      else if (m[1][0] === fence) fence = null
      return
    }
    if (!fence) out.push({ line, n: i + 1 })
  })
  return out
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-')

/** The anchors a Markdown file defines (duplicates get -1, -2 as on GitHub). */
function anchors(file) {
  const seen = new Map()
  const out = new Set()
  for (const { line } of proseLines(readFileSync(file, 'utf8'))) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const s = slug(m[1])
    const k = seen.get(s) ?? 0
    seen.set(s, k + 1)
    out.add(k ? `${s}-${k}` : s)
  }
  return out
}

const ignored = (path) => spawnSync('git', ['check-ignore', '-q', path], { cwd: REPO }).status === 0

/** Every broken reference of one Markdown file, as `file:line: message` strings. */
function brokenRefs(file, tops) {
  const dir = dirname(file)
  const rel = relative(REPO, file)
  const broken = []
  for (const { line, n } of proseLines(readFileSync(file, 'utf8'))) {
    // Markdown links and images: [text](target) with a relative target.
    for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:, file:
      const [path, anchor] = target.split('#')
      const abs = path ? resolve(dir, decodeURIComponent(path)) : file
      if (!existsSync(abs)) broken.push(`${rel}:${n}: link to ${path}, which does not exist`)
      else if (anchor && abs.endsWith('.md') && !anchors(abs).has(anchor))
        broken.push(`${rel}:${n}: link to ${target}: no heading with that anchor`)
    }
    // Backticked repository paths.
    if (HISTORICAL.test(rel.split('\\').join('/'))) continue
    for (const m of line.replace(/``[^`]*``/g, '').matchAll(/`([^`\n]+)`/g)) {
      const span = m[1]
      if (!span.includes('/') || /[\s*<>{}$|\\?[\]]|\.\.\./.test(span)) continue
      const first = span.replace(/^\.\//, '').split('/')[0]
      if (!tops.has(first)) continue
      const path = span.replace(/^\.\//, '').replace(/:\d+(:\d+)?$/, '')
      if (existsSync(join(REPO, path)) || existsSync(join(dir, path)) || ignored(path)) continue
      broken.push(`${rel}:${n}: \`${span}\` does not exist`)
    }
  }
  return broken
}

test('relative links and backticked repository paths in the docs name files that exist', () => {
  const tops = topFolders()
  assert.ok(tops.has('lib') && tops.has('docs'), `top-level folders: ${[...tops]}`)
  const files = docFiles()
  assert.ok(files.length >= 5, `docs scanned: ${files.map((f) => relative(REPO, f))}`)
  const broken = files.flatMap((f) => brokenRefs(f, tops))
  assert.equal(broken, [], `broken references:\n${broken.join('\n')}`)
})

test('docs pages named in the source code exist', () => {
  const broken = []
  const walk = (dir) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e)
      if (e === 'node_modules' || e.startsWith('.')) continue
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.(ts|mjs|js)$/.test(e) && !e.endsWith('.d.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(/\bdocs\/[\w./-]*?\.md\b/g))
          if (!existsSync(join(REPO, m[0]))) broken.push(`${relative(REPO, p)}: ${m[0]} does not exist`)
    }
  }
  for (const d of ['lib', 'bin', 'recipes', 'scripts']) if (existsSync(join(REPO, d))) walk(join(REPO, d))
  assert.equal(broken, [], `broken references:\n${broken.join('\n')}`)
})

test('the checks see a broken link, a broken anchor and a missing backticked path', () => {
  const tops = topFolders()
  const dir = join(REPO, 'test', '.artifacts')
  const probe = join(dir, 'docs-links-probe.md')
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    probe,
    [
      '# Probe',
      '[ok](../../README.md) [ok](#probe) `lib/index.ts` `lib/**/*.ts` `.tasks/cas/`',
      '[gone](../../docs/NOPE.md) [bad anchor](../../README.md#no-such-heading) `lib/nope.ts`',
      '```',
      '[inside a fence](nowhere.md) `lib/also-nope.ts`',
      '```',
    ].join('\n'),
  )
  try {
    const broken = brokenRefs(probe, tops).map((b) => b.replace(/^.*?:\d+: /, ''))
    assert.equal(broken, [
      'link to ../../docs/NOPE.md, which does not exist',
      'link to ../../README.md#no-such-heading: no heading with that anchor',
      '`lib/nope.ts` does not exist',
    ])
  } finally {
    rmSync(probe, { force: true })
  }
})

test.run()
