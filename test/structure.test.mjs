// The structure of the sources, computed from the files themselves (issue 18), as DESIGN.md's
// "Modules and the way dependencies point" draws it:
// - folder rules: folders of lib/ are floors and an import only goes down (FLOORS), plus the named
//   rules of FORBIDDEN. Every relative module specifier counts: `import`, `export ... from`,
//   `import type`, `import('x')` and the type `import('x').T`. The madge cycle test (cycles.test.mjs)
//   sees files; this one sees folders, where a cycle such as shell -> run -> shell hides.
// - sizes: no file of lib/ over MAX_FILE_LINES lines, no function of lib/ or bin/ over
//   MAX_FUNCTION_LINES lines, except the entries of KNOWN_OVER_LIMIT, which may only shrink.
// Each checker also runs on a small synthetic tree, to prove it finds what it looks for.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ts from 'typescript'
import { REPO } from './helpers.mjs'

/**
 * The floors of lib/, highest first: a file may import its own folder, a folder on a lower floor,
 * and (on the ground floor only) the other ground-floor modules. A folder or top-level module that
 * is not in this table fails the test: place it when you add it. `bin` and `recipes` sit above lib.
 */
const FLOORS = [
  ['bin', 'recipes'],
  ['index', 'doors'],
  ['prefetch'],
  ['watch'],
  ['run'],
  ['remote-exec'],
  ['graph'],
  ['config', 'report', 'cache'],
  ['fingerprint', 'import'],
  ['shell'],
  ['process'],
  ['model', 'util', 'errors', 'version', 'reason'],
]
/** Imports the floors would allow but the design forbids, `from -> to` (folders of lib/). */
const FORBIDDEN = [
  ['run', 'report', 'report only consumes events: the engine never imports a reporter'],
  ['shell', 'run', 'the shell runs one command; the engine drives it'],
  ['fingerprint', 'run', 'fingerprints know nothing of the engine'],
  ['cache', 'run', 'the cache knows nothing of the engine'],
  ['remote-exec', 'run', 'the REAPI client knows nothing of the engine: an executor in run/ drives it'],
]

const MAX_FILE_LINES = 500
const MAX_FUNCTION_LINES = 100
/**
 * issue 18: being split; remove entries as they shrink. Today's violators: a file of lib/ with its
 * line count, or `file#function` (see {@link functionsOf} for the names) with its length in lines.
 * The test fails on a violation missing here, on an entry that no longer violates (delete it), and
 * on an entry that grew past its recorded length (the list only shrinks).
 */
const KNOWN_OVER_LIMIT = {}

const walk = (dir, ext) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path, ext) : path.endsWith(ext) ? [path] : []
  })
const posix = (path) => path.split(sep).join('/')
const parse = (file) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)

/** Every module specifier of a source file: static, re-exports, type-only, `import()` and `import('x').T`. */
function specifiers(source) {
  const found = []
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier)
      found.push(node.moduleSpecifier.text)
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      found.push(node.moduleReference.expression.text)
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments
      if (arg && ts.isStringLiteralLike(arg)) found.push(arg.text)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) found.push(node.argument.literal.text)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/**
 * The folder-level import edges of `root`/lib that break a rule: `lib/x/a.ts -> lib/y/b.ts: why`.
 * A module's folder is its first directory under lib/, or its name for a top-level module.
 */
function folderViolations(root) {
  const lib = join(root, 'lib')
  const floorOf = new Map(FLOORS.flatMap((names, i) => names.map((n) => [n, FLOORS.length - 1 - i])))
  const folderOf = (file) => {
    const rel = posix(relative(lib, file))
    if (rel.startsWith('../')) return rel.split('/').find((s) => s !== '..')
    return rel.includes('/') ? rel.split('/')[0] : rel.replace(/\.[cm]?[jt]s$/, '')
  }
  const out = []
  for (const file of walk(lib, '.ts')) {
    const from = folderOf(file)
    const at = posix(relative(root, file))
    if (!floorOf.has(from)) {
      out.push(`${at}: folder \`${from}\` has no floor in FLOORS`)
      continue
    }
    for (const spec of specifiers(parse(file))) {
      if (!spec.startsWith('.')) continue
      const target = resolve(dirname(file), spec)
      const to = folderOf(target)
      if (to === from) continue
      const edge = `${at} -> ${posix(relative(root, target))}`
      const rule = FORBIDDEN.find(([a, b]) => a === from && b === to)
      if (rule) out.push(`${edge}: ${from}/ must not import ${to}/ (${rule[2]})`)
      else if (!floorOf.has(to)) out.push(`${edge}: \`${to}\` has no floor in FLOORS`)
      else if (floorOf.get(to) > floorOf.get(from) || (floorOf.get(to) === floorOf.get(from) && floorOf.get(to) > 0))
        out.push(`${edge}: ${to} is not below ${from}`)
    }
  }
  return out
}

/**
 * The function-like nodes of a file (declarations, methods, constructors, accessors, arrow functions,
 * function expressions) as [name, lines], lines counted from the first to the last line of the node
 * (its doc comment excluded). A name is the path of named scopes, e.g. `Scheduler.run`, `main>onAbort`;
 * an unnamed function is `<anonymous>` in its scope, numbered `#2`, `#3`, ... when a scope has several.
 */
function functionsOf(file) {
  const source = parse(file)
  const out = []
  const seen = new Map()
  const line = (pos) => source.getLineAndCharacterOfPosition(pos).line
  const nameOf = (node) => {
    if (node.name && !ts.isComputedPropertyName(node.name)) return node.name.getText(source)
    if (ts.isConstructorDeclaration(node)) return 'constructor'
    const p = node.parent
    if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name)
      return p.name.getText(source)
    return '<anonymous>'
  }
  // `prefix` is the scope's name and separator: `outer>` inside a function, `Engine.` inside a class.
  const visit = (node, prefix) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      let name = prefix + nameOf(node)
      const n = (seen.get(name) ?? 0) + 1
      seen.set(name, n)
      if (n > 1) name += `#${n}`
      out.push([name, line(node.getEnd()) - line(node.getStart(source)) + 1])
      ts.forEachChild(node, (child) => visit(child, name + '>'))
    } else if (ts.isClassLike(node)) {
      const name = prefix + (node.name?.text ?? '<class>')
      ts.forEachChild(node, (child) => visit(child, name + '.'))
    } else ts.forEachChild(node, (child) => visit(child, prefix))
  }
  visit(source, '')
  return out
}

/** Every file and function of `root` over the limits: `{ 'lib/x.ts': lines, 'lib/x.ts#f': lines }`. */
function oversized(root) {
  const found = {}
  for (const file of walk(join(root, 'lib'), '.ts')) {
    const lines = readFileSync(file, 'utf8').split('\n').length - 1
    if (lines > MAX_FILE_LINES) found[posix(relative(root, file))] = lines
  }
  for (const dir of ['lib', 'bin'])
    for (const file of walk(join(root, dir), '.ts'))
      for (const [name, lines] of functionsOf(file))
        if (lines > MAX_FUNCTION_LINES) found[`${posix(relative(root, file))}#${name}`] = lines
  return found
}

/** What is wrong with `found` against the allowlist: new violations, stale entries, grown entries. */
function sizeProblems(found, known) {
  const out = []
  for (const [key, lines] of Object.entries(found)) {
    if (!(key in known)) out.push(`${key}: ${lines} lines, over the limit (split it)`)
    else if (lines > known[key]) out.push(`${key}: ${lines} lines, grew past its recorded ${known[key]}`)
  }
  for (const key of Object.keys(known))
    if (!(key in found)) out.push(`${key}: within the limit now, delete it from KNOWN_OVER_LIMIT`)
  return out
}

test('lib/: every import goes down a floor, and no folder rule is broken', () => {
  assert.equal(folderViolations(REPO), [])
})

test('lib/process/ imports nothing of lib/ but util/ and the ground-floor modules', () => {
  const lib = join(REPO, 'lib')
  const allowed = new Set(['util', 'errors.ts', 'types.ts', 'model'])
  const bad = walk(join(lib, 'process'), '.ts').flatMap((file) =>
    specifiers(parse(file))
      .filter((s) => s.startsWith('.'))
      .map((s) => posix(relative(lib, resolve(dirname(file), s))))
      .filter((t) => !t.startsWith('process/') && !allowed.has(t.split('/')[0].replace(/\.js$/, '.ts')))
      .map((t) => `${posix(relative(REPO, file))} -> lib/${t}`),
  )
  assert.equal(bad, [])
})

test('the folder check finds an upward import, a forbidden one, a type-only one and an unplaced folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-structure-'))
  const write = (path, text) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  try {
    write('lib/process/kill.ts', "import type { Run } from '../run/run.js'\nexport const k = 1\n")
    write('lib/shell/exec.ts', "export const x = () => import('../run/run.js')\n")
    write('lib/run/run.ts', "import { f } from '../report/format.js'\nexport { k } from '../process/kill.js'\n")
    write('lib/report/format.ts', "export type T = import('../util/hash.js').H\nexport const f = 1\n")
    write('lib/util/hash.ts', 'export type H = string\n')
    write('lib/attic/old.ts', "import { k } from '../process/kill.js'\n")
    const found = folderViolations(dir)
    assert.equal(found, [
      'lib/attic/old.ts: folder `attic` has no floor in FLOORS',
      'lib/process/kill.ts -> lib/run/run.js: run is not below process',
      'lib/run/run.ts -> lib/report/format.js: run/ must not import report/ (report only consumes events: the engine never imports a reporter)',
      'lib/shell/exec.ts -> lib/run/run.js: shell/ must not import run/ (the shell runs one command; the engine drives it)',
    ])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('no file of lib/ over 500 lines, no function of lib/ or bin/ over 100, but the known ones (which only shrink)', () => {
  assert.equal(sizeProblems(oversized(REPO), KNOWN_OVER_LIMIT), [])
})

test('the size check measures functions of every kind and names them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-structure-'))
  const body = (n) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i}`).join('\n')
  try {
    mkdirSync(join(dir, 'lib'))
    mkdirSync(join(dir, 'bin'))
    writeFileSync(
      join(dir, 'lib', 'big.ts'),
      [
        `/** doc */\nexport function long() {\n${body(99)}\n}`, // 101 lines
        `export function short() {\n${body(98)}\n}`, // 100 lines: at the limit
        `export class Engine {\n  run() {\n${body(120)}\n  }\n}`,
        `export const arrow = () => {\n${body(150)}\n}`,
        `export function outer() {\n  return [1].map((x) => {\n${body(101)}\n  })\n}`,
        body(100),
      ].join('\n') + '\n',
    )
    writeFileSync(join(dir, 'bin', 'cli.ts'), `export const main = async function () {\n${body(200)}\n}\n`)
    const found = oversized(dir)
    assert.equal(found, {
      'lib/big.ts': 683,
      'lib/big.ts#long': 101,
      'lib/big.ts#Engine.run': 122,
      'lib/big.ts#arrow': 152,
      'lib/big.ts#outer': 105,
      'lib/big.ts#outer><anonymous>': 103,
      'bin/cli.ts#main': 202,
    })
    assert.equal(sizeProblems(found, { ...found, 'lib/big.ts#arrow': 151, 'lib/gone.ts': 600 }), [
      'lib/big.ts#arrow: 152 lines, grew past its recorded 151',
      'lib/gone.ts: within the limit now, delete it from KNOWN_OVER_LIMIT',
    ])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
