// GitHub Actions output, checked against GitHub's documented formats: `::error` workflow commands
// (`::error title=T,file=F,line=L,col=C::MESSAGE`, data escaped %→%25 CR→%0D LF→%0A, properties
// also :→%3A ,→%2C) and the Markdown step summary appended to $GITHUB_STEP_SUMMARY.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { project, tasks, dump } from '../rig.mjs'
import { escapeData, escapeProperty, workflowCommand, stepSummary, annotations } from '../../dist/lib/report/github.js'
import { createRunCollector } from '../../dist/lib/report/model.js'
import { syntheticRun } from './_synthetic.mjs'

/** Parse one workflow command line as the runner does: `::name k=v,k=v::message`, values unescaped. */
function parseCommand(line) {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line)
  if (!m) return undefined
  const unData = (s) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
  const unProp = (s) => unData(s.replace(/%3A/g, ':').replace(/%2C/g, ','))
  const props = Object.fromEntries(
    (m[2] ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => {
        const i = kv.indexOf('=')
        return [kv.slice(0, i), unProp(kv.slice(i + 1))]
      }),
  )
  return { command: m[1], props, message: unData(m[3]) }
}

test('escaping as GitHub documents it', () => {
  assert.is(escapeData('100% done\r\nnext: a,b'), '100%25 done%0D%0Anext: a,b')
  assert.is(escapeProperty('go:api,linux/amd64 50%'), 'go%3Aapi%2Clinux/amd64 50%25')
  assert.is(
    workflowCommand('error', { title: 'a:b', file: 'src/x.ts', line: 3, col: undefined }, 'l1\nl2'),
    '::error title=a%3Ab,file=src/x.ts,line=3::l1%0Al2\n',
  )
  assert.is(workflowCommand('error', {}, 'x'), '::error::x\n')
  const back = parseCommand(workflowCommand('error', { title: 'x,y:z%' }, 'a%\r\nb').trimEnd())
  assert.equal(back, { command: 'error', props: { title: 'x,y:z%' }, message: 'a%\r\nb' })
})

test('step summary: headline, counts table, failures with their error lines, critical path', () => {
  const { deps, events } = syntheticRun({ n: 40, failAt: [20], remoteEvery: 5 })
  const c = createRunCollector({ root: '/nonexistent', deps, command: 'tasks build' })
  for (const e of events) c.onEvent(e)
  const m = c.model()
  const md = stepSummary(m, '.tasks/reports/x.html')
  const lines = md.split('\n')
  assert.match(lines[0], /^### ❌ `tasks build` failed in \d/)
  const header = lines.indexOf(
    '| tasks | ran | cache hits (local / remote) | up to date | failed | skipped | time saved | CPU | parallelism |',
  )
  assert.ok(header > 0, md)
  assert.is(lines[header + 1], '|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  const cells = lines[header + 2]
    .split('|')
    .slice(1, -1)
    .map((s) => s.trim())
  assert.is(cells.length, 9)
  assert.is(cells[0], '40')
  assert.is(cells[2], `${m.counts.cacheHits} (${m.counts.localHits} / ${m.counts.remoteHits})`)
  assert.is(cells[4], '1')
  assert.ok(md.includes('#### ❌ `pkg-020:build`: failed (exit code 2)'), md)
  assert.ok(
    md.includes(
      "```text\npackages/20/src/index.ts(12,7): error TS2322: Type 'string' is not assignable to type 'number'.\n```",
    ),
    md,
  )
  assert.match(md, /\*\*Critical path\*\* \(.*\): `pkg-000:build` → /)
  assert.match(md, /Report: `.tasks\/reports\/x.html`/)
  assert.ok(Buffer.byteLength(md) < 1024 * 1024)
  // one annotation per failed task, no location (the file is not in the project)
  const ann = annotations(m).trimEnd().split('\n')
  assert.is(ann.length, 1)
  assert.equal(parseCommand(ann[0]).props, { title: 'pkg-020:build' })
})

test('CLI with GITHUB_ACTIONS=true: ::error with file/line/col of the project file, groups, step summary appended', async () => {
  const p = project(
    `{
    'lint:ts': { run: 'echo checking; echo "src/app.ts:3:5 - error TS1005: \\';\\' expected (100%)" >&2; echo "  at line two" >&2; exit 2' },
    ok: { run: 'echo fine' },
    all: { deps: ['lint:ts', 'ok'] },
  }`,
    { 'src/app.ts': 'let x = 1\n\nlet y\n' },
  )
  try {
    const summaryFile = join(p.dir, 'step-summary.md')
    writeFileSync(summaryFile, '# earlier step\n')
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile, GITHUB_WORKSPACE: dirname(p.dir) }
    const r = await tasks(p.dir, ['all', '--continue'], { env })
    assert.is(r.code, 1, dump(r))
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('::error'))
    assert.is(errors.length, 1, dump(r))
    const cmd = parseCommand(errors[0])
    assert.equal(cmd.props, { title: 'lint:ts', file: `${basename(p.dir)}/src/app.ts`, line: '3', col: '5' })
    assert.is(cmd.message, "src/app.ts:3:5 - error TS1005: ';' expected (100%)\n  at line two")
    assert.match(errors[0], /title=lint%3Ats,/)
    assert.match(errors[0], /\(100%25\)%0A  at line two$/)
    assert.match(r.stderr, /::group::ok\n/)
    const md = readFileSync(summaryFile, 'utf8')
    assert.ok(md.startsWith('# earlier step\n### ❌ `tasks all` failed'), md)
    assert.ok(md.includes('#### ❌ `lint:ts`: failed (exit code 2) at `src/app.ts:3`'), md)
    // a passing run appends a second summary
    const ok = await tasks(p.dir, ['ok'], { env })
    assert.is(ok.code, 0, dump(ok))
    assert.not.match(ok.stderr, /::error/)
    assert.match(readFileSync(summaryFile, 'utf8'), /### ✅ `tasks ok` passed in/)
  } finally {
    p.cleanup()
  }
})

test.run()
