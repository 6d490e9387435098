// A repository that is not JavaScript (no package.json, no node_modules): its config imports
// `typed-tasks` and `typed-tasks/recipes`, and the CLI run from its own install folder (as a global
// install or npx runs it) resolves them to itself; a project with a copy of its own gets that copy,
// with a warning when the versions differ (issue 20, "Install and start").
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fixture, runCli } from '../helpers.mjs'

const dump = (r) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
const CONFIG = (ext) =>
  `import { defineConfig } from 'typed-tasks'\nimport { go } from 'typed-tasks/recipes'\n` +
  `export default defineConfig({ tasks: { hi: { run: 'echo ' + typeof go.build + ' > out.txt', inputs: [], outputs: ['out.txt'] } } })\n` +
  (ext === 'ts' ? `const typed: number = 1\nvoid typed\n` : '')

for (const ext of ['ts', 'mjs']) {
  test(`tasks.config.${ext} importing typed-tasks in a project without node_modules runs on the running copy, then is up to date`, async () => {
    const p = fixture({ [`tasks.config.${ext}`]: CONFIG(ext), 'go.mod': 'module example.com/x\n' })
    try {
      const first = await runCli(p.dir, ['hi'])
      assert.is(first.code, 0, dump(first))
      assert.is(p.read('out.txt'), 'function\n')
      assert.not.match(first.stderr, /not installed|but this `tasks` is/, dump(first))
      const again = await runCli(p.dir, ['hi'])
      assert.is(again.code, 0, dump(again))
      assert.match(again.stdout + again.stderr, /up to date/)
    } finally {
      p.cleanup()
    }
  })
}

test("a project's own copy of typed-tasks is the one the config gets; another version than the running one is a warning", async () => {
  const p = fixture({
    'tasks.config.ts': `import { defineConfig, MARK } from 'typed-tasks'\nexport default defineConfig({ tasks: { hi: { run: 'echo ' + MARK + ' > out.txt', inputs: [], outputs: ['out.txt'] } } })\n`,
    'node_modules/typed-tasks/package.json': JSON.stringify({
      name: 'typed-tasks',
      version: '0.0.1-local',
      type: 'module',
      exports: { '.': './index.js' },
    }),
    'node_modules/typed-tasks/index.js': "export const defineConfig = (c) => c\nexport const MARK = 'project-copy'\n",
  })
  try {
    const r = await runCli(p.dir, ['hi'])
    assert.is(r.code, 0, dump(r))
    assert.is(p.read('out.txt'), 'project-copy\n')
    assert.match(r.stderr, /typed-tasks 0\.0\.1-local from .*node_modules\/typed-tasks, but this `tasks` is \d/)
  } finally {
    p.cleanup()
  }
})

test.run()
