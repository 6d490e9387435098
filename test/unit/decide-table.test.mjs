// decide() as a truth table (go-task's fingerprint test opens the same way): the previous state
// (none / same fingerprint / different fingerprint) x the cache (hit / miss / none) x the stored
// outputs on disk (ok / missing) x --force, with the decision kind and reason code for every row.
// --dry-run is not an input of decide(): it takes no such flag and must write nothing (the stubs'
// write methods throw in every row), so a dry run and a real run decide alike by construction.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO } from '../rig.mjs'

const { decide } = await import(join(REPO, 'dist/lib/run/decide.js'))

//  state        cache   outputs    force  -> kind          reason code
const TABLE = [
  ['none', 'hit', 'ok', false, 'cache-hit', 'no-previous-run'],
  ['none', 'hit', 'missing', false, 'cache-hit', 'no-previous-run'],
  ['none', 'miss', 'ok', false, 'run', 'no-previous-run'],
  ['none', 'miss', 'missing', false, 'run', 'no-previous-run'],
  ['none', 'none', 'ok', false, 'run', 'no-previous-run'],
  ['none', 'none', 'missing', false, 'run', 'no-previous-run'],
  ['same', 'hit', 'ok', false, 'up-to-date', 'fingerprint-unchanged'],
  ['same', 'hit', 'missing', false, 'cache-hit', 'output-changed'],
  ['same', 'miss', 'ok', false, 'up-to-date', 'fingerprint-unchanged'],
  ['same', 'miss', 'missing', false, 'run', 'output-changed'],
  ['same', 'none', 'ok', false, 'up-to-date', 'fingerprint-unchanged'],
  ['same', 'none', 'missing', false, 'run', 'output-changed'],
  ['different', 'hit', 'ok', false, 'cache-hit', 'input-changed'],
  ['different', 'hit', 'missing', false, 'cache-hit', 'input-changed'],
  ['different', 'miss', 'ok', false, 'run', 'input-changed'],
  ['different', 'miss', 'missing', false, 'run', 'input-changed'],
  ['different', 'none', 'ok', false, 'run', 'input-changed'],
  ['different', 'none', 'missing', false, 'run', 'input-changed'],
  ['none', 'hit', 'ok', true, 'run', 'forced'],
  ['none', 'hit', 'missing', true, 'run', 'forced'],
  ['none', 'miss', 'ok', true, 'run', 'forced'],
  ['none', 'miss', 'missing', true, 'run', 'forced'],
  ['none', 'none', 'ok', true, 'run', 'forced'],
  ['none', 'none', 'missing', true, 'run', 'forced'],
  ['same', 'hit', 'ok', true, 'run', 'forced'],
  ['same', 'hit', 'missing', true, 'run', 'forced'],
  ['same', 'miss', 'ok', true, 'run', 'forced'],
  ['same', 'miss', 'missing', true, 'run', 'forced'],
  ['same', 'none', 'ok', true, 'run', 'forced'],
  ['same', 'none', 'missing', true, 'run', 'forced'],
  ['different', 'hit', 'ok', true, 'run', 'forced'],
  ['different', 'hit', 'missing', true, 'run', 'forced'],
  ['different', 'miss', 'ok', true, 'run', 'forced'],
  ['different', 'miss', 'missing', true, 'run', 'forced'],
  ['different', 'none', 'ok', true, 'run', 'forced'],
  ['different', 'none', 'missing', true, 'run', 'forced'],
]

const root = mkdtempSync(join(tmpdir(), 'tasks-decide-'))
writeFileSync(join(root, 'out.txt'), 'built')
const st = statSync(join(root, 'out.txt'), { bigint: true })
const STAMPS = {
  ok: [{ path: 'out.txt', size: Number(st.size), mtimeNs: String(st.mtimeNs) }],
  missing: [{ path: 'gone.txt', size: 5, mtimeNs: '1000' }],
}

const record = (inputs) => ({
  v: 1,
  pkg: 'typed-tasks',
  task: 'build',
  command: 'make',
  cwd: '',
  mode: 'content',
  env: {},
  setEnv: {},
  args: [],
  tools: {},
  outputs: ['out.txt'],
  inputs,
  deps: {},
})
const NOW = { hash: 'a'.repeat(64), record: record({ 'src/a.c': 'new' }) }
const BEFORE = { hash: 'b'.repeat(64), record: record({ 'src/a.c': 'old' }) }

const TASK = {
  name: 'build',
  run: 'make',
  shell: 'portable',
  deps: [],
  inputs: ['src/**'],
  outputs: ['out.txt'],
  env: [],
  passEnv: [],
  setEnv: {},
  cwd: '',
  fingerprint: 'content',
  platform: false,
  toolVersions: [],
  command: 'make',
  retries: 0,
  interactive: false,
  vars: {},
}

const readOnly = (what) => () => {
  throw new Error(`decide() wrote (${what}): it must only read`)
}

function context({ state, cache, outputs, force }) {
  const prev =
    state === 'none'
      ? undefined
      : {
          task: 'build',
          fingerprint: state === 'same' ? NOW.hash : BEFORE.hash,
          outputs: STAMPS[outputs],
          durationMs: 5,
        }
  const warnings = []
  return {
    warnings,
    ctx: {
      root,
      fingerprinter: { fingerprint: () => ({ hash: NOW.hash, fp: NOW }) },
      state: {
        get: (name) => (name === 'build' ? prev : undefined),
        record: (name, fp) => (name === 'build' && fp === BEFORE.hash ? BEFORE.record : undefined),
        set: readOnly('state.set'),
        delete: readOnly('state.delete'),
        save: readOnly('state.save'),
      },
      cache:
        cache === 'none'
          ? undefined
          : {
              get: async (hash) =>
                cache === 'hit' && hash === NOW.hash
                  ? { entry: { fingerprint: NOW.hash, outputs: [], value: undefined }, source: 'local' }
                  : undefined,
              put: readOnly('cache.put'),
            },
      force,
      signal: new AbortController().signal,
      statusOf: () => undefined,
      warn: (m) => warnings.push(m),
    },
  }
}

for (const [state, cache, outputs, force, kind, code] of TABLE)
  test(`state ${state}, cache ${cache}, outputs ${outputs}${force ? ', --force' : ''} -> ${kind} (${code})`, async () => {
    const { ctx, warnings } = context({ state, cache, outputs, force })
    const d = await decide(TASK, ctx)
    assert.is(d.kind, kind, JSON.stringify(d))
    assert.is(d.reason.code, code, JSON.stringify(d))
    assert.is(d.fingerprint, NOW.hash)
    assert.equal(warnings, [])
    if (code === 'output-changed') assert.is(d.reason.path, 'gone.txt')
    if (code === 'input-changed') assert.equal(d.reason.files, [{ path: 'src/a.c', change: 'modified' }])
    if (kind === 'cache-hit') assert.is(d.source, 'local')
  })

test.after(() => rmSync(root, { recursive: true, force: true }))

test.run()
