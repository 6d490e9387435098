// Bad configs through the real CLI (issue 9, section 5 and the config checks of section 4): each
// case is a fixture project with one mistake, run as `tasks <args>`, and must be refused with exit
// code 2 and a message that names the config file (with line:col where the mistake has a place in
// the file), the task and the fix (a `help:` line). Nothing of the project may run. The last test
// prints `bad configs: refused N / total M`.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fixture, LIB_URL, tasks, dump, count } from '../rig.mjs'

/** 1-based line of the first line of `text` containing `needle` (0 when none). */
const lineOf = (text, needle) => text.split('\n').findIndex((l) => l.includes(needle)) + 1
/** 1-based line and column of the first occurrence of `needle` in `text`. */
const posOf = (text, needle) => {
  const i = text.indexOf(needle)
  if (i < 0) throw new Error(`fixture has no ${needle}`)
  const before = text.slice(0, i)
  return { line: before.split('\n').length, column: i - before.lastIndexOf('\n') }
}
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** A `.ts` (default) or `.mjs` config exporting `defineConfig(<body>)`. */
const ts = (body, head = '') => ({
  'tasks.config.ts': `import { defineConfig } from '${LIB_URL}'\n${head}export default defineConfig(${body})\n`,
})
const mjs = (body, head = '') => ({
  'tasks.config.mjs': `import { defineConfig } from '${LIB_URL}'\n${head}export default defineConfig(${body})\n`,
})

/**
 * The cases. `at`: a needle in the config file whose line (and, with `col: true`, column) the error
 * must point at; `task`: the task the message must name; `msg`/`help`: what the error and its
 * `help:` line must say.
 */
const cases = [
  // top-level keys
  {
    name: 'misspelt top-level key `task`',
    files: ts(`{ task: { build: { run: 'echo ran >> runs' } } }`),
    msg: /unknown top-level key `task`/,
    at: 'task:',
    col: true,
    help: /did you mean `tasks`/,
  },
  {
    name: 'misspelt top-level key `concurency`',
    files: ts(`{\n  concurency: 2,\n  tasks: { build: { run: 'echo ran >> runs' } },\n}`),
    msg: /unknown top-level key `concurency`/,
    at: 'concurency',
    col: true,
    help: /did you mean `concurrency`/,
  },
  {
    name: 'an unknown top-level key with no near name',
    files: mjs(`{\n  tasks: { build: { run: 'echo ran >> runs' } },\n  banana: true,\n}`),
    msg: /unknown top-level key `banana`/,
    at: 'banana',
    help: /known keys: tasks, concurrency/,
  },
  {
    name: 'misspelt top-level key in a .json config',
    files: { 'tasks.config.json': '{\n  "tasks": { "build": { "run": "echo ran >> runs" } },\n  "concurrenc": 2\n}\n' },
    file: 'tasks.config.json',
    msg: /unknown top-level key `concurrenc`/,
    at: '"concurrenc"',
    help: /did you mean `concurrency`/,
  },
  {
    name: '`concurrency: 0`',
    files: ts(`{\n  concurrency: 0,\n  tasks: { build: { run: 'echo ran >> runs' } },\n}`),
    msg: /`concurrency` must be a whole number >= 1, got 0/,
    at: 'concurrency: 0',
    col: true,
    help: /whole number/,
  },
  {
    name: '`concurrency: 1.5`',
    files: mjs(`{\n  tasks: { build: { run: 'echo ran >> runs' } },\n  concurrency: 1.5,\n}`),
    msg: /got 1\.5/,
    at: 'concurrency: 1.5',
    help: /whole number/,
  },
  {
    name: "`concurrency: '4'` (a string)",
    files: mjs(`{\n  concurrency: '4',\n  tasks: { build: { run: 'echo ran >> runs' } },\n}`),
    msg: /got "4"/,
    at: "concurrency: '4'",
    help: /whole number/,
  },
  {
    name: 'no `tasks` export',
    files: { 'tasks.config.mjs': 'export default { }\n' },
    file: 'tasks.config.mjs',
    msg: /must export `\{ tasks: \{ \.\.\. \} \}`/,
    help: /defineConfig/,
  },

  // duplicate keys in a .ts or .mjs config (esbuild's warning, now an error)
  {
    name: 'a duplicate task key in a .ts config',
    files: ts(
      `{\n  tasks: {\n    build: { run: 'echo one >> runs' },\n    test: { run: 'true' },\n    build: { run: 'echo two >> runs' },\n  },\n}`,
    ),
    msg: /Duplicate key "build"/,
    atLast: 'build:',
    col: true,
    help: /rename or remove one/,
  },
  {
    name: 'a duplicate key inside a task of a .ts config',
    files: ts(
      `{\n  tasks: {\n    build: {\n      run: 'echo one >> runs',\n      inputs: [],\n      run: 'echo two >> runs',\n    },\n  },\n}`,
    ),
    msg: /Duplicate key "run"/,
    atLast: 'run:',
    col: true,
    help: /rename or remove one/,
  },
  {
    name: 'a duplicate task key in a .mjs config',
    files: mjs(
      `{\n  tasks: {\n    build: { run: 'echo one >> runs' },\n    build: { run: 'echo two >> runs' },\n  },\n}`,
    ),
    msg: /Duplicate key "build"/,
    atLast: 'build:',
    col: true,
    help: /rename or remove one/,
  },

  // syntax errors
  {
    name: 'a syntax error in a .ts config',
    files: ts(`{\n  tasks: {\n    build: { run: 'true' inputs: [] },\n  },\n}`),
    msg: /Expected/,
    at: 'inputs: []',
    help: /./,
  },
  {
    name: 'a syntax error in a .mjs config',
    files: mjs(`{\n  tasks: {\n    build: { run: 'true' \n    test: { run: 'true' } },\n  },\n}`),
    msg: /Unexpected identifier|Expected/,
    at: 'test:',
    col: true,
    help: /fix the syntax/,
  },
  {
    name: 'an unclosed string in a .mjs config',
    files: mjs(`{\n  tasks: {\n    build: { run: 'echo ran >> runs },\n  },\n}`),
    msg: /Invalid or unexpected token|Unterminated|Expected/,
    at: "run: '",
    help: /fix the syntax/,
  },
  {
    name: 'a syntax error in a .json config',
    files: { 'tasks.config.json': '{\n  "tasks": {\n    "build": { "run": "echo ran >> runs", }\n  }\n}\n' },
    file: 'tasks.config.json',
    msg: /invalid JSON/,
    at: '"build"',
    help: /fix the JSON/,
  },
  {
    name: 'a .json config with a missing comma',
    files: {
      'tasks.config.json':
        '{\n  "tasks": {\n    "build": { "run": "echo ran >> runs" }\n    "test": { "run": "true" }\n  }\n}\n',
    },
    file: 'tasks.config.json',
    msg: /invalid JSON/,
    at: '"test"',
    col: true,
    help: /fix the JSON/,
  },

  // the config throws or imports what is missing
  {
    name: 'a .mjs config that throws at import',
    files: {
      'tasks.config.mjs': `const x = 1\nfunction boom() {\n  throw new Error('CONFIG-THREW')\n}\nboom()\nexport default { tasks: {} }\n`,
    },
    file: 'tasks.config.mjs',
    msg: /CONFIG-THREW/,
    at: 'throw new Error',
    help: /fix the error above/,
  },
  {
    name: 'a .ts config that throws at import (source-mapped to the .ts line)',
    files: ts(`{ tasks: {} }`, `const port: number = 1\nif (port) {\n  throw new Error('TS-CONFIG-THREW')\n}\n`),
    msg: /TS-CONFIG-THREW/,
    at: 'throw new Error',
    help: /fix the error above/,
  },
  {
    name: 'a .ts config importing a missing package',
    files: ts(`{ tasks: { build: { run: 'true' } } }`, `import { thing } from 'no-such-package-xyz'\nvoid thing\n`),
    msg: /imports the package `no-such-package-xyz`, which is not installed/,
    at: "'no-such-package-xyz'",
    col: true,
    help: /npm install --save-dev no-such-package-xyz/,
  },
  {
    name: 'a .mjs config importing a missing scoped package subpath',
    files: mjs(`{ tasks: { build: { run: 'true' } } }`, `import '@nope/pkg-xyz/sub'\n`),
    msg: /the package `@nope\/pkg-xyz`, which is not installed/,
    at: "'@nope/pkg-xyz/sub'",
    help: /npm install --save-dev @nope\/pkg-xyz`/,
  },
  {
    name: 'a .mjs config importing a missing relative file',
    files: mjs(`{ tasks: { build: { run: 'true' } } }`, `import { x } from './helpers/missing.mjs'\n`),
    msg: /does not exist/,
    at: './helpers/missing.mjs',
    help: /fix the import path/,
  },
  {
    name: 'a .ts config importing a missing relative file',
    files: ts(`{ tasks: { build: { run: 'true' } } }`, `import { x } from './lib/nope'\nvoid x\n`),
    msg: /Could not resolve|does not exist/,
    at: './lib/nope',
    help: /./,
  },

  // the graph
  {
    name: 'a dependency cycle',
    files: ts(
      `{\n  tasks: {\n    a: { run: 'echo ran >> runs', deps: ['b'] },\n    b: { run: 'echo ran >> runs', deps: ['a'] },\n  },\n}`,
    ),
    args: ['a'],
    msg: /dependency cycle: a -> b -> a/,
    at: "deps: ['b']",
    task: 'a',
    help: /remove one of these edges/,
  },
  {
    name: 'a task depending on itself',
    files: mjs(`{\n  tasks: {\n    a: { run: 'echo ran >> runs', deps: ['a'] },\n  },\n}`),
    args: ['a'],
    msg: /dependency cycle: a -> a/,
    at: "deps: ['a']",
    task: 'a',
    help: /remove one of these edges/,
  },
  {
    name: '`--list` on a cyclic config',
    files: mjs(
      `{\n  tasks: {\n    x: { run: 'true', deps: ['y'] },\n    y: { run: 'true', deps: ['z'] },\n    z: { run: 'true', deps: ['x'] },\n  },\n}`,
    ),
    args: ['--list'],
    msg: /dependency cycle: x -> y -> z -> x/,
    at: "deps: ['y']",
    task: 'x',
    help: /`x` -> `y`/,
  },
  {
    name: '`--graph` on a cyclic config',
    files: mjs(`{\n  tasks: {\n    p: { run: 'true', deps: ['q'] },\n    q: { run: 'true', deps: ['p'] },\n  },\n}`),
    args: ['--graph'],
    msg: /dependency cycle: p -> q -> p/,
    at: "deps: ['q']",
    task: 'p',
    help: /remove one/,
  },
  {
    name: 'a cycle not reached from the requested task, with --list',
    files: mjs(
      `{\n  tasks: {\n    ok: { run: 'true' },\n    m: { run: 'true', deps: ['n'] },\n    n: { run: 'true', deps: ['m'] },\n  },\n}`,
    ),
    args: ['--list'],
    msg: /dependency cycle: m -> n -> m/,
    task: 'm',
    at: "deps: ['n']",
    help: /remove one/,
  },
  {
    name: 'an unknown dependency',
    files: ts(
      `{\n  tasks: {\n    build: { run: 'true' },\n    test: { run: 'echo ran >> runs', deps: ['biuld'] },\n  },\n}`,
    ),
    args: ['test'],
    msg: /task `test` depends on unknown task `biuld`/,
    at: "'biuld'",
    col: true,
    task: 'test',
    help: /did you mean `build`/,
  },
  {
    name: 'an unknown task on the command line',
    files: mjs(`{ tasks: { build: { run: 'echo ran >> runs' } } }`),
    args: ['buidl'],
    msg: /unknown task `buidl`/,
    help: /did you mean `build`/,
  },

  // task shapes
  {
    name: 'an unknown task key',
    files: ts(`{\n  tasks: {\n    build: { run: 'true', input: ['a.txt'] },\n  },\n}`),
    msg: /task `build` has an unknown key `input`/,
    at: 'input:',
    task: 'build',
    help: /did you mean `inputs`/,
  },
  {
    name: '`deps` as a string',
    files: mjs(`{\n  tasks: {\n    other: { run: 'true' },\n    build: { run: 'true', deps: 'other' },\n  },\n}`),
    msg: /`deps` must be an array of task names/,
    at: "deps: 'other'",
    task: 'build',
    help: /write it as|rename the task/,
  },
  {
    name: '`inputs` as a string',
    files: mjs(`{\n  tasks: {\n    build: { run: 'true', inputs: 'src/**' },\n  },\n}`),
    msg: /`inputs` must be an array of glob strings/,
    at: "inputs: 'src/**'",
    task: 'build',
    help: /write it as|rename the task/,
  },
  {
    name: 'an unknown fingerprint mode',
    files: mjs(`{\n  tasks: {\n    build: { run: 'true', inputs: [], fingerprint: 'hash' },\n  },\n}`),
    msg: /`fingerprint` must be 'content', 'mtime' or false/,
    at: 'fingerprint:',
    task: 'build',
    help: /write it as|rename the task/,
  },
  {
    name: 'a task that is a string',
    files: mjs(`{\n  tasks: {\n    build: 'echo ran >> runs',\n  },\n}`),
    msg: /task `build` must be an object/,
    at: 'build:',
    task: 'build',
    help: /write it as|rename the task/,
  },
  {
    name: 'a task name with a space',
    files: mjs(`{\n  tasks: {\n    'build all': { run: 'true' },\n  },\n}`),
    msg: /task name "build all" is not valid/,
    at: "'build all'",
    task: 'build all',
    help: /write it as|rename the task/,
  },
  {
    name: '`setEnv` with a number value',
    files: mjs(`{\n  tasks: {\n    build: { run: 'true', setEnv: { PORT: 8080 } },\n  },\n}`),
    msg: /`setEnv\.PORT` must be an object of string values/,
    at: 'setEnv:',
    task: 'build',
    help: /write it as|rename the task/,
  },
  {
    name: '`env` as a string',
    files: ts(`{\n  tasks: {\n    build: { run: 'true', env: 'HOME' as any },\n  },\n}`),
    msg: /`env` must be an array of environment variable names/,
    at: 'env:',
    task: 'build',
    help: /write it as|rename the task/,
  },

  // paths
  {
    name: 'an output outside the root',
    files: mjs(`{\n  tasks: {\n    build: { run: 'echo ran >> runs', inputs: [], outputs: ['../x'] },\n  },\n}`),
    msg: /output `\.\.\/x` is outside the project root/,
    at: "'../x'",
    col: true,
    task: 'build',
    help: /inside the folder of the config file/,
  },
  {
    name: 'an absolute output',
    files: mjs(`{\n  tasks: {\n    build: { run: 'true', inputs: [], outputs: ['/tmp/evil-output'] },\n  },\n}`),
    msg: /outside the project root/,
    at: "'/tmp/evil-output'",
    task: 'build',
    help: /inside the folder/,
  },
  {
    name: 'a `cwd` outside the root',
    files: mjs(`{\n  tasks: {\n    build: { run: 'echo ran >> runs', cwd: '../elsewhere' },\n  },\n}`),
    msg: /`cwd` "\.\.\/elsewhere" is outside the project root/,
    at: 'cwd:',
    col: true,
    task: 'build',
    help: /relative to the folder of the config file/,
  },
  {
    name: 'a `cwd` that does not exist (not `spawn /bin/sh ENOENT`)',
    files: mjs(`{\n  tasks: {\n    build: { run: 'echo ran >> runs', cwd: 'packages/missing' },\n  },\n}`),
    msg: /task `build`: `cwd` "packages\/missing" does not exist/,
    at: 'cwd:',
    col: true,
    task: 'build',
    help: /create the folder/,
  },
  {
    name: 'a `cwd` that is a file',
    files: {
      ...mjs(`{\n  tasks: {\n    build: { run: 'echo ran >> runs', cwd: 'notes.txt' },\n  },\n}`),
      'notes.txt': 'x',
    },
    msg: /`cwd` "notes\.txt" does not exist/,
    at: 'cwd:',
    task: 'build',
    help: /fix the path/,
  },

  // declarations (section 4)
  {
    name: 'an in-place task: README.md both input and output',
    files: {
      ...mjs(
        `{\n  tasks: {\n    docs: { run: 'echo ran >> runs', inputs: ['README.md'], outputs: ['README.md'] },\n  },\n}`,
      ),
      'README.md': '# hi\n',
    },
    msg: /task `docs` declares `README\.md` as both an input \(`README\.md`\) and an output/,
    at: "inputs: ['README.md']",
    task: 'docs',
    help: /drop it from `outputs`.*exclude it from `inputs` with `'!README\.md'`/,
  },
  {
    name: 'an in-place task: a glob input covering a literal output',
    files: ts(
      `{\n  tasks: {\n    codegen: { run: 'echo ran >> runs', inputs: ['src/**'], outputs: ['src/gen.ts'] },\n  },\n}`,
    ),
    msg: /task `codegen` declares `src\/gen\.ts` as both an input \(`src\/\*\*`\)/,
    at: "'src/**'",
    col: true,
    task: 'codegen',
    help: /'!src\/gen\.ts'/,
  },
  {
    name: 'an in-place task: two globs, in a cwd',
    files: {
      ...mjs(
        `{\n  tasks: {\n    fmt: { run: 'echo ran >> runs', cwd: 'web', inputs: ['**/*.js'], outputs: ['dist/**'] },\n  },\n}`,
      ),
      'web/a.js': '1',
    },
    args: ['fmt'],
    msg: /task `fmt` declares files like `web\/dist\/x\.js` as both an input/,
    at: "'**/*.js'",
    task: 'fmt',
    help: /exclude it from `inputs` with `'!dist\/\*\*'`/,
  },
  {
    name: 'an in-place task found on an existing file',
    files: {
      ...mjs(`{\n  tasks: {\n    gen: { run: 'echo ran >> runs', inputs: ['gen/a*'], outputs: ['gen/*b'] },\n  },\n}`),
      'gen/ab': 'x',
    },
    msg: /task `gen` declares `gen\/ab` as both an input/,
    at: "'gen/a*'",
    task: 'gen',
    help: /'!gen\/ab'/,
  },
  {
    name: 'two tasks with the same output',
    files: mjs(
      `{\n  tasks: {\n    a: { run: 'echo ran >> runs', inputs: [], outputs: ['dist/app.js'] },\n    b: { run: 'echo ran >> runs', inputs: [], outputs: ['dist/app.js'] },\n  },\n}`,
    ),
    msg: /tasks `a` and `b` both declare `dist\/app\.js` as an output/,
    atLast: "'dist/app.js'",
    task: 'b',
    help: /one producing task/,
  },
  {
    name: 'two tasks with overlapping output globs',
    files: ts(
      `{\n  tasks: {\n    all: { run: 'true', inputs: [], outputs: ['out/**'] },\n    objs: { run: 'true', inputs: [], outputs: ['out/*.o'] },\n  },\n}`,
    ),
    msg: /tasks `all` and `objs` both declare files like `out\/x\.o` as an output \(`out\/\*\*` and `out\/\*\.o`\)/,
    at: "'out/*.o'",
    col: true,
    task: 'objs',
    help: /add `'!out\/\*\.o'` to `all`'s outputs/,
  },
  {
    name: 'overlapping outputs across cwds',
    files: {
      ...mjs(
        `{\n  tasks: {\n    pkg: { run: 'true', cwd: 'pkg', inputs: [], outputs: ['dist/**'] },\n    copy: { run: 'true', inputs: [], outputs: ['pkg/dist/index.js'] },\n  },\n}`,
      ),
      'pkg/.keep': '',
    },
    msg: /tasks `pkg` and `copy` both declare `pkg\/dist\/index\.js`/,
    task: 'copy',
    at: "'pkg/dist/index.js'",
    help: /one producing task/,
  },
  {
    name: "reading another task's output without depending on it",
    files: mjs(
      `{\n  tasks: {\n    gen: { run: 'true', inputs: ['spec.txt'], outputs: ['gen/code.c'] },\n    compile: { run: 'echo ran >> runs', inputs: ['gen/*.c'], outputs: ['app'] },\n  },\n}`,
    ),
    args: ['compile'],
    msg: /task `compile` reads `gen\/code\.c` \(input `gen\/\*\.c`\), an output of task `gen`, without depending on it/,
    at: "'gen/*.c'",
    col: true,
    task: 'compile',
    help: /add "gen" to `deps` of `compile`/,
  },
  {
    name: 'an undeclared dependency between globs (`add "obj:cjson" to deps`)',
    files: ts(
      `{\n  tasks: {\n    'obj:cjson': { run: 'true', inputs: ['vendor/cjson/*.c'], outputs: ['build/cjson/*.o'] },\n    link: { run: 'echo ran >> runs', inputs: ['build/**/*.o'], outputs: ['bin/app'] },\n  },\n}`,
    ),
    args: ['link'],
    msg: /task `link` reads files like `build\/cjson\/x\.o` \(input `build\/\*\*\/\*\.o`\), outputs of task `obj:cjson`/,
    at: "'build/**/*.o'",
    task: 'link',
    help: /add "obj:cjson" to `deps` of `link`/,
  },
  {
    name: 'an undeclared dependency through a task cwd',
    files: {
      ...mjs(
        `{\n  tasks: {\n    lib: { run: 'true', cwd: 'lib', inputs: ['src/**'], outputs: ['dist/lib.js'] },\n    app: { run: 'echo ran >> runs', cwd: 'app', inputs: ['../lib/dist/*.js', 'main.js'] },\n  },\n}`,
      ),
      'lib/src/a.js': '1',
      'app/main.js': '1',
    },
    args: ['app'],
    msg: /task `app` reads `lib\/dist\/lib\.js`.*an output of task `lib`/,
    at: "'../lib/dist/*.js'",
    task: 'app',
    help: /add "lib" to `deps` of `app`/,
  },
]

let refused = 0

for (const c of cases) {
  test(c.name, async () => {
    const p = fixture(c.files)
    try {
      const file = c.file ?? Object.keys(c.files).find((f) => f.startsWith('tasks.config.'))
      const r = await tasks(p.dir, c.args ?? ['build'])
      assert.is(r.code, 2, dump(r))
      assert.not.match(r.stderr, /internal error/, dump(r))
      assert.match(r.stderr, c.msg, dump(r))
      // the file (and the line:col) of the mistake
      const src = p.read(file)
      let where = esc(file)
      const needle = c.at ?? c.atLast
      if (needle) {
        const i = c.atLast ? src.lastIndexOf(needle) : src.indexOf(needle)
        assert.ok(i >= 0, `fixture has ${needle}`)
        const { line, column } = posOf(src.slice(0, i) + '\u0000' + src.slice(i + 1), '\u0000')
        where += `:${line}:${c.col ? column : '\\d+'}\\b`
      }
      assert.match(r.stderr, new RegExp(`--> ${where}`), `expected --> ${where}\n${dump(r)}`)
      if (c.task) assert.match(r.stderr, new RegExp(`task \`${esc(c.task)}\``), dump(r))
      if (c.help !== null) {
        assert.match(r.stderr, /\n {2}help: /, `no help line\n${dump(r)}`)
        assert.match(r.stderr.slice(r.stderr.indexOf('help: ')), c.help, dump(r))
      }
      assert.is(count(p.path('runs')), 0, 'nothing ran')
      refused++
    } finally {
      p.cleanup()
    }
  })
}

test('closing figure', () => {
  console.log(`\n  bad configs: refused ${refused} / total ${cases.length}`)
  assert.ok(cases.length >= 40, `at least 40 bad configs (have ${cases.length})`)
  assert.is(refused, cases.length)
})

test.run()
