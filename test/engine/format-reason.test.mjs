// formatReason: the typed reasons give the words the CLI has always printed (reporters and
// --json use it; nothing parses it back).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LIB_URL } from '../rig.mjs'

const { formatReason } = await import(new URL('doors/report.js', LIB_URL).href)

const cases = [
  [{ code: 'no-previous-run' }, 'no previous run'],
  [{ code: 'forced' }, 'forced (--force)'],
  [{ code: 'not-cacheable', why: 'no-inputs' }, 'no `inputs` declared: always runs'],
  [
    {
      code: 'input-changed',
      files: [
        { path: 'src/a.c', change: 'modified' },
        { path: 'src/b.c', change: 'added' },
        { path: 'src/c.c', change: 'removed' },
      ],
    },
    'input changed: src/a.c (+2 more)',
  ],
  [{ code: 'input-changed', files: [{ path: 'src/new.c', change: 'added' }] }, 'input added: src/new.c'],
  [{ code: 'env-changed', variables: ['MY_VAR'] }, 'env changed: MY_VAR'],
  [{ code: 'args-changed', args: ['--verbose', 'x'] }, 'arguments changed: --verbose x'],
  [{ code: 'args-changed', args: [] }, 'arguments changed: (none)'],
  [{ code: 'dependency-changed', dependencies: ['gen', 'lib'] }, 'dependency changed: gen (+1 more)'],
  [{ code: 'definition-changed', fields: ['tools'], tools: ['uv --version'] }, 'tool version changed: uv --version'],
  [{ code: 'definition-changed', fields: ['cwd', 'outputs'] }, 'setting changed: cwd, outputs'],
  [{ code: 'output-changed', path: 'out.txt' }, 'output missing or changed: out.txt'],
  [{ code: 'check-failed' }, 'check reported the stored result invalid'],
  [{ code: 'cache-entry-unusable', detail: 'blob missing' }, 'cache entry unusable: blob missing'],
  [{ code: 'fingerprint-unchanged' }, 'fingerprint unchanged'],
  [{ code: 'dependencies-up-to-date' }, 'all dependencies up to date'],
  [{ code: 'dependencies-ran' }, 'dependencies ran'],
  [{ code: 'restored', source: 'local', outputs: 2, replayedLog: true }, 'restored 2 outputs, replayed log'],
  [{ code: 'restored', source: 'local', outputs: 1, replayedLog: false }, 'restored 1 output'],
  [{ code: 'dependency-failed', dependency: 'bad' }, 'dependency `bad` failed'],
  [{ code: 'dependency-skipped', dependency: 'x' }, 'dependency `x` was skipped'],
  [{ code: 'stopped-after-failure' }, 'run stopped after a failure (use --continue to keep going)'],
  [{ code: 'run-interrupted' }, 'run interrupted'],
  [{ code: 'exit-code', exitCode: 3 }, 'failed (exit code 3)'],
  [{ code: 'error', message: 'boom\nstack' }, 'failed: boom'],
  [{ code: 'timed-out', timeoutMs: 1500 }, 'timed out after 1500 ms'],
  [{ code: 'not-affected', base: '0123456789abcdef' }, 'not affected since 0123456789ab'],
  [{ code: 'not-cacheable', why: 'interactive' }, '`interactive: true`: always runs'],
  [{ code: 'interrupted' }, 'interrupted'],
]

test('each reason code in prose', () => {
  for (const [reason, text] of cases) assert.is(formatReason(reason), text, reason.code)
})

test('dry run: predictions', () => {
  assert.is(formatReason({ code: 'no-previous-run' }, { dryRun: true }), 'would run: no previous run')
  assert.is(
    formatReason({ code: 'restored', source: 'local', outputs: 1, replayedLog: false }, { dryRun: true }),
    'would restore from the cache',
  )
  assert.is(formatReason({ code: 'dependencies-ran' }, { dryRun: true }), 'would run: dependencies would run')
  assert.is(formatReason({ code: 'fingerprint-unchanged' }, { dryRun: true }), 'fingerprint unchanged')
})

test.run()
