// Rust recipes: the task definitions they return, then the real cargo through the real CLI on one
// fixture crate: build (host, and the `--target` matrix with the host triple), test, clippy, fmt,
// cache hits and misses, failures reported with their output. No target is ever downloaded.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fixture, missingTool, skipUnless, RECIPES_URL } from '../rig.mjs'
import { config, runJson, binaryKind, why } from './_rig.mjs'

const { rust } = await import(RECIPES_URL)

// ---- definitions (no toolchain needed) ----

test('rust.build without targets: one host task, release by default', () => {
  const t = rust.build({ bin: 'wc', dir: 'crates/wc', features: ['a', 'b'], locked: true })
  assert.equal(Object.keys(t), ['rust:wc'])
  const d = t['rust:wc']
  assert.is(d.cwd, 'crates/wc')
  assert.is(d.run, 'cargo build --release --bin wc --features a,b --locked --target-dir target')
  assert.equal(d.outputs, ['target/release/wc'])
  assert.ok(
    d.inputs.includes('src/**/*.rs') &&
      d.inputs.includes('{build.rs,Cargo.toml}') &&
      d.inputs.includes('{Cargo.lock,rust-toolchain,rust-toolchain.toml}'),
  )
  assert.equal(d.toolVersions, ['rustc -V', 'cargo -V'])
  assert.ok(d.env.includes('RUSTFLAGS'))
  assert.is(rust.build({ bin: 'wc', profile: 'debug' })['rust:wc'].outputs[0], 'target/debug/wc')
  const p = rust.build({
    bin: 'wc',
    profile: 'dist',
    allFeatures: true,
    noDefaultFeatures: true,
    package: 'cli',
    targetDir: 'out',
    members: ['core'],
  })['rust:wc']
  assert.is(p.run, 'cargo build --profile dist --bin wc -p cli --all-features --no-default-features --target-dir out')
  assert.equal(p.outputs, ['out/dist/wc'])
  assert.ok(p.inputs.includes('core/src/**/*.rs') && p.inputs.includes('core/{build.rs,Cargo.toml}'))
})

test('rust.build targets: one task per triple, outputs under target/<triple>/<profile>, an aggregate', () => {
  const t = rust.build({ bin: 'wc', targets: ['x86_64-unknown-linux-gnu', 'x86_64-pc-windows-gnu'] })
  assert.equal(t['rust:wc'].deps, ['rust:wc:x86_64-unknown-linux-gnu', 'rust:wc:x86_64-pc-windows-gnu'])
  assert.equal(t['rust:wc:x86_64-unknown-linux-gnu'].outputs, ['target/x86_64-unknown-linux-gnu/release/wc'])
  assert.equal(t['rust:wc:x86_64-pc-windows-gnu'].outputs, ['target/x86_64-pc-windows-gnu/release/wc.exe'])
  assert.match(
    t['rust:wc:x86_64-pc-windows-gnu'].version,
    /cargo build --release --bin wc --target-dir target --target x86_64-pc-windows-gnu$/,
  )
})

test('rust.test, clippy and fmtCheck commands', () => {
  assert.is(
    rust.test({ workspace: true, args: ['--test-threads', '1'] })['rust:test'].run,
    'cargo test --workspace --target-dir target -- --test-threads 1',
  )
  assert.is(rust.clippy()['rust:clippy'].run, 'cargo clippy --all-targets --target-dir target -- -D warnings')
  assert.is(
    rust.clippy({ denyWarnings: false, allTargets: false, lints: ['-W', 'clippy::pedantic'] })['rust:clippy'].run,
    'cargo clippy --target-dir target -- -W clippy::pedantic',
  )
  assert.is(rust.fmtCheck()['rust:fmt'].run, 'cargo fmt --all -- --check')
  assert.ok(rust.fmtCheck()['rust:fmt'].inputs.includes('!target/**'))
  assert.is(rust.fmtCheck({ package: 'core', taskName: 'fmt' }).fmt.run, 'cargo fmt -p core -- --check')
})

test('rust recipes reject bad options with the recipe and option named', () => {
  assert.throws(
    () => rust.build({ bin: 'wc', targets: ['linux/amd64'] }),
    /rust\.build: option `targets` has `linux\/amd64`, which is not a target triple like `x86_64-unknown-linux-gnu`/,
  )
  assert.throws(() => rust.build({ bin: 'wc', targets: ['aarch64-apple-darwin', 'aarch64-apple-darwin'] }), /twice/)
  assert.throws(() => rust.build({}), /rust\.build: option `bin` is required/)
  assert.throws(() => rust.build({ bin: 'wc', feature: ['x'] }), /unknown option `feature`; did you mean `features`\?/)
  assert.throws(() => rust.test({ release: 'yes' }), /rust\.test: option `release` must be true or false/)
  assert.throws(() => rust.fmtCheck({ dir: '/abs' }), /rust\.fmtCheck: option `dir` must be a relative path/)
})

// ---- the real toolchain ----

const noCargo = missingTool('cargo', ['--version'], 'cargo (rustup or Debian cargo)')
const hasCargo = !noCargo
const noClippy = noCargo ?? missingTool('cargo', ['clippy', '--version'], 'cargo clippy')
const noFmt = noCargo ?? missingTool('cargo', ['fmt', '--version'], 'cargo fmt (rustfmt)')
const host = hasCargo ? /host: (\S+)/.exec(spawnSync('rustc', ['-vV'], { encoding: 'utf8' }).stdout)?.[1] : undefined
const rustup = spawnSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' })
const installed = rustup.status === 0 ? rustup.stdout.split(/\s+/).filter(Boolean) : undefined
// A target we expect not to be installed, to see the recipe refuse it without downloading anything.
const missing =
  installed &&
  ['riscv64gc-unknown-none-elf', 'thumbv7em-none-eabihf', 'wasm32-unknown-unknown'].find((t) => !installed.includes(t))

const LIB = `/// Counts the words of \`text\`.
pub fn count_words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The label printed before the count.
pub fn label() -> &'static str {
    if cfg!(feature = "shout") {
        "WORDS"
    } else {
        "words"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(count_words("a b  c"), 3);
    }
}
`
let fx
{
  const test = skipUnless(hasCargo, noCargo)
  test.before(() => {
    fx = fixture({
      'Cargo.toml':
        '[package]\nname = "wc-lite"\nversion = "0.1.0"\nedition = "2021"\n\n[[bin]]\nname = "wc-lite"\npath = "src/main.rs"\n\n[features]\nshout = []\n',
      'src/lib.rs': LIB,
      'src/main.rs':
        'fn main() {\n    let text = std::env::args().skip(1).collect::<Vec<_>>().join(" ");\n    println!("{}: {}", wc_lite::label(), wc_lite::count_words(&text));\n}\n',
      'tasks.config.mjs': config(
        `
  ...rust.build({ bin: 'wc-lite' }),
  ...rust.build({ bin: 'wc-lite', taskName: 'rust:shout', profile: 'debug', features: ['shout'] }),
  ...rust.build({ bin: 'wc-lite', taskName: 'rust:cross', targets: ${JSON.stringify([host, ...(missing ? [missing] : [])])} }),
  ...rust.test(),
  ...rust.clippy(),
  ...rust.fmtCheck(),`,
        ['rust'],
      ),
    })
    // A committed lock file, as the recipe expects (cargo would otherwise create it on the first build).
    const lock = spawnSync('cargo', ['generate-lockfile', '--offline'], { cwd: fx.dir, encoding: 'utf8' })
    if (lock.status !== 0) throw new Error(`cargo generate-lockfile failed: ${lock.stderr}`)
  })
  test.after(() => fx?.cleanup())

  const wc = (bin = 'target/release/wc-lite') =>
    spawnSync(fx.path(bin), ['one two three'], { encoding: 'utf8' }).stdout.trim()

  test('rust:wc-lite builds a release binary, then is up to date; deleted, it is a cache hit', async () => {
    let r = await runJson(fx.dir, ['rust:wc-lite'])
    assert.is(r.code, 0, why(r))
    assert.is(r.status['rust:wc-lite'], 'ran')
    assert.is(wc(), 'words: 3')
    r = await runJson(fx.dir, ['rust:wc-lite'])
    assert.is(r.status['rust:wc-lite'], 'up-to-date', why(r))
    rmSync(fx.path('target/release/wc-lite'))
    r = await runJson(fx.dir, ['rust:wc-lite'])
    assert.is(r.status['rust:wc-lite'], 'cache-hit', why(r))
    assert.is(wc(), 'words: 3')
  })

  test('a source change is a miss, reverting it a cache hit; RUSTFLAGS enters the fingerprint', async () => {
    fx.write('src/lib.rs', LIB.replace('"words"', '"count"'))
    let r = await runJson(fx.dir, ['rust:wc-lite'])
    assert.is(r.status['rust:wc-lite'], 'ran', why(r))
    assert.is(wc(), 'count: 3')
    fx.write('src/lib.rs', LIB)
    r = await runJson(fx.dir, ['rust:wc-lite'])
    assert.is(r.status['rust:wc-lite'], 'cache-hit', why(r))
    assert.is(wc(), 'words: 3')
    r = await runJson(fx.dir, ['rust:wc-lite', '--dry-run'], { env: { RUSTFLAGS: '-C debug-assertions' } })
    assert.match(r.out, /RUSTFLAGS/, why(r))
  })

  test('features and profile: a debug build with a feature writes target/debug', async () => {
    const r = await runJson(fx.dir, ['rust:shout'])
    assert.is(r.code, 0, why(r))
    assert.is(wc('target/debug/wc-lite'), 'WORDS: 3')
  })

  test('the --target matrix builds the host triple into target/<triple>/release; a missing target fails with the rustup hint', async () => {
    const r = await runJson(fx.dir, ['rust:cross', '--continue'])
    assert.is(r.status[`rust:cross:${host}`], 'ran', why(r))
    const kind = binaryKind(fx.path(`target/${host}/release/wc-lite${host.includes('windows') ? '.exe' : ''}`))
    if (host.startsWith('x86_64-unknown-linux')) assert.equal(kind, { format: 'ELF', arch: 'x86-64' })
    if (host.startsWith('aarch64-unknown-linux')) assert.equal(kind, { format: 'ELF', arch: 'aarch64' })
    if (missing) {
      assert.is(r.code, 1, why(r))
      assert.is(r.status[`rust:cross:${missing}`], 'failed')
      assert.match(
        r.out,
        new RegExp(`target \`${missing}\` is not installed [\\s\\S]*run \`rustup target add ${missing}\``),
      )
      assert.is(r.status['rust:cross'], 'skipped')
    }
  })

  test('rust:test passes and is cached; a failing test fails with its output', async () => {
    let r = await runJson(fx.dir, ['rust:test'])
    assert.is(r.code, 0, why(r))
    assert.match(r.out, /test tests::counts \.\.\. ok/)
    r = await runJson(fx.dir, ['rust:test'])
    assert.is(r.status['rust:test'], 'up-to-date', why(r))
    fx.write('src/lib.rs', LIB.replace('), 3);', '), 4);'))
    r = await runJson(fx.dir, ['rust:test'])
    assert.is(r.code, 1, why(r))
    assert.is(r.status['rust:test'], 'failed')
    assert.match(r.out, /tests::counts.*FAILED|test result: FAILED/)
    fx.write('src/lib.rs', LIB)
  })

  test('a failing build is reported as failed with the compiler output', async () => {
    fx.write('src/main.rs', 'fn main() {\n    println!("{}", wc_lite::cont_words("x"));\n}\n')
    const r = await runJson(fx.dir, ['rust:wc-lite'])
    assert.is(r.code, 1, why(r))
    assert.is(r.status['rust:wc-lite'], 'failed')
    assert.match(r.out, /error\[E0425\]: cannot find function `cont_words`/)
    fx.write(
      'src/main.rs',
      'fn main() {\n    let text = std::env::args().skip(1).collect::<Vec<_>>().join(" ");\n    println!("{}: {}", wc_lite::label(), wc_lite::count_words(&text));\n}\n',
    )
  })

  {
    const test = skipUnless(!noClippy, noClippy)
    test('rust:clippy passes on clean code and fails on a lint (warnings are errors)', async () => {
      let r = await runJson(fx.dir, ['rust:clippy'])
      assert.is(r.code, 0, why(r))
      fx.write('src/extra.rs', 'pub fn empty(v: &[u8]) -> bool {\n    v.len() == 0\n}\n')
      fx.write('src/lib.rs', LIB + '\npub mod extra;\n')
      r = await runJson(fx.dir, ['rust:clippy'])
      assert.is(r.code, 1, why(r))
      assert.match(r.out, /len_zero|length comparison to zero/)
      fx.write('src/lib.rs', LIB)
      rmSync(fx.path('src/extra.rs'))
      r = await runJson(fx.dir, ['rust:clippy'])
      assert.is(r.status['rust:clippy'], 'cache-hit', why(r))
    })
  }

  {
    const test = skipUnless(!noFmt, noFmt)
    test('rust:fmt passes on formatted code and shows the diff otherwise', async () => {
      let r = await runJson(fx.dir, ['rust:fmt'])
      assert.is(r.code, 0, why(r))
      fx.write('src/main.rs', fx.read('src/main.rs').replace('fn main() {', 'fn main()   {'))
      r = await runJson(fx.dir, ['rust:fmt'])
      assert.is(r.code, 1, why(r))
      assert.match(r.out, /Diff in/)
    })
  }
}

test.run()
