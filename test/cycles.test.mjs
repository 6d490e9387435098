// No import cycles between the TypeScript sources (madge --circular over lib, bin, recipes), as the
// design requires. Type-only imports (`import type`, `import('x').T`) and dynamic `import()` count:
// .madgerc sets detective-typescript's skipTypeImports and skipAsyncImports to false, and the
// second test proves a cycle made of a type-only import is found with that configuration.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO } from './helpers.mjs'

const MADGE = join(REPO, 'node_modules', 'madge', 'bin', 'cli.js')
const madge = (cwd, dirs) =>
  spawnSync(
    process.execPath,
    [MADGE, '--circular', '--no-spinner', '--extensions', 'ts', '--ts-config', 'tsconfig.json', ...dirs],
    { cwd, encoding: 'utf8' },
  )

test('lib, bin and recipes have no circular imports, type-only ones included', () => {
  const r = madge(REPO, ['lib', 'bin', 'recipes'])
  assert.is(r.status, 0, r.stdout + r.stderr)
  assert.match(r.stdout + r.stderr, /No circular dependency found/)
  // Every source file was read (a resolution problem would shrink the graph and hide cycles).
  const files = Number(/Processed (\d+) files/.exec(r.stdout + r.stderr)?.[1])
  assert.ok(files >= 100, `madge processed ${files} files`)
})

test('the same check finds a cycle closed by a type-only import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-cycles-'))
  try {
    copyFileSync(join(REPO, '.madgerc'), join(dir, '.madgerc'))
    copyFileSync(join(REPO, 'tsconfig.json'), join(dir, 'tsconfig.json'))
    writeFileSync(
      join(dir, 'checker.ts'),
      "import { Content } from './content.js'\nexport interface Checker { digest(): string }\nexport const make = (): Checker => new Content()\n",
    )
    writeFileSync(
      join(dir, 'content.ts'),
      "import type { Checker } from './checker.js'\nexport class Content implements Checker { digest() { return '' } }\n",
    )
    const r = madge(dir, ['.'])
    assert.is.not(r.status, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /checker\.ts > content\.ts/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
