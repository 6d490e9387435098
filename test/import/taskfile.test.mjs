// `tasks import Taskfile.yml` (go-task v3): tasks with `sources` are cached as go-task's checksum
// method skips them; the others run every time; `generates` are outputs; vars, env, deps, dir.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, symlinkSync } from 'node:fs'
import { fixture, runCli, REPO } from '../helpers.mjs'

const TASKFILE = `version: '3'

vars:
  OUT: dist
  SHA:
    sh: echo deadbeef

env:
  MODE: release

tasks:
  default:
    deps: [build]

  gen:
    desc: generate code from the schema
    sources: ['./schema/*.txt']
    generates: ['./src/gen.txt']
    cmds:
      - cat schema/*.txt > src/gen.txt

  build:
    desc: build the app
    deps: [gen]
    sources:
      - src/**/*.txt
      - exclude: src/notes.txt
    generates: ['{{.OUT}}/app.txt']
    cmds:
      - mkdir -p {{.OUT}}
      - cat src/*.txt > {{.OUT}}/app.txt
      - echo "$MODE {{.SHA}} {{.TASK}}" >> {{.OUT}}/app.txt

  lint:
    cmds:
      - echo lint >> lint.log
      - cmd: exit 3
        ignore_error: true

  docs:
    dir: docs
    method: timestamp
    sources: ['*.md']
    generates: [index.html]
    cmds:
      - cat *.md > index.html

  greet:
    vars:
      NAME: World
    cmds:
      - echo "hi {{.NAME}}" > greet.txt
    preconditions:
      - test -f Taskfile.yml
`

function project() {
  const f = fixture({
    'Taskfile.yml': TASKFILE,
    'schema/a.txt': 's1\n',
    'src/main.txt': 'main\n',
    'src/notes.txt': 'notes\n',
    'docs/a.md': '# A\n',
  })
  mkdirSync(f.path('node_modules'), { recursive: true })
  symlinkSync(REPO, f.path('node_modules/typed-tasks'), 'dir')
  return f
}

const upToDate = (out, name) => out.includes(`[${name}] up to date`)

test('Taskfile.yml: first run correct, second up to date, an edit reruns what go-task would', async () => {
  const f = project()
  try {
    const imp = await runCli(f.dir, ['import', 'Taskfile.yml'])
    assert.is(imp.code, 0, imp.out)
    assert.match(imp.stderr, 'imported 6 tasks from Taskfile.yml')
    assert.match(imp.stderr, 'greet: `preconditions` is not translated')
    const config = f.read('tasks.config.ts')
    assert.match(config, "inputs: ['src/**/*.txt', '!src/notes.txt']")
    assert.match(config, "outputs: ['dist/app.txt']")
    assert.match(config, "vars: { OUT: { default: 'dist' } }")
    assert.match(config, "fingerprint: 'mtime'")
    assert.match(config, "cwd: 'docs'")
    assert.match(config, "setEnv: { MODE: 'release' }")

    const r = await runCli(f.dir, ['default'])
    assert.is(r.code, 0, r.out)
    assert.is(f.read('src/gen.txt'), 's1\n')
    assert.is(f.read('dist/app.txt'), 's1\nmain\nnotes\nrelease deadbeef build\n')
    // Second run: both tasks with sources are up to date.
    const again = await runCli(f.dir, ['default'])
    assert.is(again.code, 0, again.out)
    assert.ok(upToDate(again.out, 'gen') && upToDate(again.out, 'build'), again.out)
    // An edit of build's own source reruns build only; gen stays up to date.
    f.write('src/main.txt', 'main 2\n')
    const edited = await runCli(f.dir, ['default'])
    assert.is(edited.code, 0, edited.out)
    assert.ok(upToDate(edited.out, 'gen') && !upToDate(edited.out, 'build'), edited.out)
    assert.is(f.read('dist/app.txt'), 's1\nmain 2\nnotes\nrelease deadbeef build\n')
    // An excluded file is not a source.
    f.write('src/notes.txt', 'notes 2\n')
    const excluded = await runCli(f.dir, ['build'])
    assert.ok(upToDate(excluded.out, 'build'), excluded.out)
    // An edit of the schema reruns gen, and build, whose sources include gen's output.
    f.write('schema/a.txt', 's2\n')
    const schema = await runCli(f.dir, ['default'])
    assert.is(schema.code, 0, schema.out)
    assert.ok(!upToDate(schema.out, 'gen') && !upToDate(schema.out, 'build'), schema.out)
    assert.match(f.read('dist/app.txt'), /^s2\n/)
  } finally {
    f.cleanup()
  }
})

test('Taskfile.yml: tasks without sources run every time; ignore_error, vars, dir, timestamp', async () => {
  const f = project()
  try {
    assert.is((await runCli(f.dir, ['import', 'Taskfile.yml'])).code, 0)
    for (let i = 0; i < 2; i++) {
      const r = await runCli(f.dir, ['lint'])
      assert.is(r.code, 0, r.out)
    }
    assert.is(f.read('lint.log'), 'lint\nlint\n')
    const g = await runCli(f.dir, ['greet', '--var', 'NAME=go-task'])
    assert.is(g.code, 0, g.out)
    assert.is(f.read('greet.txt'), 'hi go-task\n')
    const d = await runCli(f.dir, ['docs'])
    assert.is(d.code, 0, d.out)
    assert.is(f.read('docs/index.html'), '# A\n')
    const d2 = await runCli(f.dir, ['docs'])
    assert.ok(upToDate(d2.out, 'docs'), d2.out)
    f.write('docs/b.md', '# B\n')
    const d3 = await runCli(f.dir, ['docs'])
    assert.ok(!upToDate(d3.out, 'docs'), d3.out)
    assert.is(f.read('docs/index.html'), '# A\n# B\n')
  } finally {
    f.cleanup()
  }
})

test.run()
