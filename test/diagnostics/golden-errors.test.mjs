// Exact text of rendered config and usage errors (as `just` compares its diagnostics): the real CLI
// on a small config, stderr compared whole (the temp path normalised to <dir>), beside the regexp
// checks of test/engine/errors.test.mjs and test/reliability/bad-configs.test.mjs. A deliberate
// change of wording updates the expected text here.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fixture, tasks, dump } from '../rig.mjs'

/** A tasks.config.ts whose task entries are `body` (no import: line numbers stay fixed). */
const config = (body) => `export default {\n  tasks: {\n${body}\n  },\n}\n`

/** Register a test: `tasks <args>` on `config(body)` exits 2, prints nothing on stdout and exactly `expected` on stderr. */
function golden(title, body, args, expected) {
  test(`${title}: the exact diagnostic`, async () => {
    const f = fixture({ 'tasks.config.ts': config(body) })
    try {
      const r = await tasks(f.dir, args)
      assert.is(r.code, 2, dump(r))
      assert.is(r.stdout, '')
      assert.fixture(r.stderr.split(f.dir).join('<dir>'), expected)
    } finally {
      f.cleanup()
    }
  })
}

golden(
  'an unknown dependency, with a suggestion',
  "    build: { run: 'true' },\n    test: { run: 'true', deps: ['biuld'] },",
  ['test'],
  `error: task \`test\` depends on unknown task \`biuld\`
  --> tasks.config.ts:4:33 (task \`test\`, key \`deps\`)
  |
4 |     test: { run: 'true', deps: ['biuld'] },
  |                                 ^^^^^^^
  help: did you mean \`build\`?
`,
)

golden(
  'an unknown task key, with a suggestion and the known keys',
  "    build: { run: 'true', ouputs: ['dist/**'] },",
  ['build'],
  `error: task \`build\` has an unknown key \`ouputs\`
  --> tasks.config.ts:3:27 (task \`build\`, key \`ouputs\`)
  |
3 |     build: { run: 'true', ouputs: ['dist/**'] },
  |                           ^^^^^^
  help: did you mean \`outputs\`? known keys: description, run, shell, deps, inputs, outputs, depfile, env, passEnv, setEnv, cwd, fingerprint, platform, toolVersions, version, check, timeoutMs, retries, interactive, vars, service, interruptible
`,
)

golden(
  'a key of the wrong type',
  "    build: { run: 'true', deps: 'lint' },\n    lint: { run: 'true' },",
  ['build'],
  `error: task \`build\`: \`deps\` must be an array of task names, got "lint"
  --> tasks.config.ts:3:27 (task \`build\`, key \`deps\`)
  |
3 |     build: { run: 'true', deps: 'lint' },
  |                           ^^^^
  help: write it as \`deps: ['build']\`
`,
)

golden(
  'a dependency cycle',
  "    a: { run: 'true', deps: ['b'] },\n    b: { run: 'true', deps: ['a'] },",
  ['a'],
  `error: dependency cycle: a -> b -> a
  --> tasks.config.ts:3:30 (task \`a\`, key \`deps\`)
  |
3 |     a: { run: 'true', deps: ['b'] },
  |                              ^^^
  help: remove one of these edges: \`a\` -> \`b\`, \`b\` -> \`a\`
`,
)

golden(
  'a syntax error in the config',
  "    build: { run: 'true' ,,},",
  ['build'],
  `error: Expected identifier but found ","
  --> tasks.config.ts:3:27
  |
3 |     build: { run: 'true' ,,},
  |                           ^
  help: fix the syntax at the position shown
`,
)

golden(
  'an unknown task on the command line',
  "    build: { run: 'true' },\n    test: { run: 'true' },",
  ['tset'],
  `error: unknown task \`tset\`
  --> tasks.config.ts
  help: did you mean \`test\`? (\`tasks --list\` shows all tasks)
`,
)

test.run()
