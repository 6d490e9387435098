// The public types compile in a user's project with `skipLibCheck: false`: test/types/user-project
// (a tasks.config.ts with defineConfig and the recipes, and an embedder with its own Cache and
// Reporter) is copied to a temp dir, the package as `npm pack` makes it is unpacked into its
// node_modules beside exactly the package's runtime dependencies (linked from this repository's
// node_modules, with nothing of our devDependencies) and @types/node, and `tsc --noEmit` checks it
// with NodeNext, then with Bundler module resolution plus one deliberate error, which must be the
// only one reported. `preserveSymlinks` keeps module resolution in the user's node_modules, so a
// .d.ts that needs a package the user does not have (e.g. @types/fs-extra) is an error here as it
// would be for the user.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { REPO } from '../rig.mjs'

const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')

/** Link `name` (and, through its package.json, what it depends on) from the repo's node_modules into `modules`. */
function linkClosure(names, modules) {
  const linked = new Set()
  const queue = names.map((name) => ({ name, from: REPO }))
  while (queue.length) {
    const { name, from } = queue.shift()
    // Node's lookup: a copy nested in the dependent's own node_modules wins over the hoisted one.
    const nested = join(from, 'node_modules', name)
    const dir = existsSync(nested) ? nested : join(REPO, 'node_modules', name)
    if (!existsSync(dir)) continue // an optional dependency not installed on this platform
    if (dir === join(REPO, 'node_modules', name)) {
      if (linked.has(name)) continue
      linked.add(name)
      mkdirSync(dirname(join(modules, name)), { recursive: true })
      symlinkSync(dir, join(modules, name), 'dir')
    }
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }))
      queue.push({ name: dep, from: dir })
  }
  return linked
}

function tsc(project) {
  const r = spawnSync(process.execPath, [TSC, '-p', project, '--preserveSymlinks', '--pretty', 'false'], {
    cwd: dirname(project),
    encoding: 'utf8',
  })
  return { status: r.status, output: (r.stdout + r.stderr).trim() }
}

test('a user project type-checks against the packed package with skipLibCheck: false', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasks-user-types-'))
  try {
    cpSync(join(REPO, 'test', 'types', 'user-project'), dir, { recursive: true })
    const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: REPO,
      encoding: 'utf8',
      shell: process.platform === 'win32',
    })
    assert.is(pack.status, 0, pack.stderr)
    const tarball = join(dir, JSON.parse(pack.stdout)[0].filename)
    const modules = join(dir, 'node_modules')
    mkdirSync(join(modules, 'typed-tasks'), { recursive: true })
    const tar = await import('tar')
    await tar.x({ file: tarball, cwd: join(modules, 'typed-tasks'), strip: 1 })
    const ours = JSON.parse(readFileSync(join(modules, 'typed-tasks', 'package.json'), 'utf8'))
    const linked = linkClosure([...Object.keys(ours.dependencies), '@types/node'], modules)
    // The user has none of our devDependencies' type packages (they are what would hide a leak).
    for (const dev of Object.keys(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).devDependencies)) {
      if (dev.startsWith('@types/') && dev !== '@types/node')
        assert.not.ok(linked.has(dev), `${dev} is linked, but it is a devDependency`)
    }
    assert.ok(
      existsSync(join(modules, 'typed-tasks', 'dist', 'lib', 'index.d.ts')),
      'the packed package has no dist/lib/index.d.ts: build first',
    )

    const r = tsc(join(dir, 'tsconfig.json'))
    assert.is(r.status, 0, `tsc -p tsconfig.json (NodeNext) in ${dir}:\n${r.output}`)

    // Bundler resolution, with one deliberate error added: the check can fail (so the pass above
    // means something), and that error must be the only one.
    writeFileSync(
      join(dir, 'wrong.ts'),
      "import { defineConfig } from 'typed-tasks'\nexport default defineConfig({ tasks: { a: { run: 'x', inputz: [] } } })\n",
    )
    const bundler = JSON.parse(readFileSync(join(dir, 'tsconfig.bundler.json'), 'utf8'))
    writeFileSync(
      join(dir, 'tsconfig.bundler.json'),
      JSON.stringify({ ...bundler, files: ['tasks.config.ts', 'embed.ts', 'wrong.ts'] }),
    )
    const wrong = tsc(join(dir, 'tsconfig.bundler.json'))
    assert.is.not(wrong.status, 0, wrong.output)
    const errors = wrong.output.split('\n').filter((l) => /error TS\d+/.test(l))
    assert.ok(
      errors.length > 0 && errors.every((l) => l.startsWith('wrong.ts(')),
      `tsc -p tsconfig.bundler.json (Bundler) in ${dir}: expected only wrong.ts's error:\n${wrong.output}`,
    )
    assert.match(wrong.output, /inputz/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
