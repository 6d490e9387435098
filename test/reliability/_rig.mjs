// Rig of the reliability suite: a copy of examples/c-calc (a real C project: codegen, three
// compiles, link, test) in a temp dir, input variants, clean reference builds of each variant, and
// the checks the storms make after every round: outputs byte for byte, every cache entry against
// its blobs, leftover temp files, surviving processes.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { LIB_URL, REPO, runCli, startCli } from '../rig.mjs'

export { runCli, startCli }

/** The outputs of `tasks default` in c-calc, compared byte for byte. */
export const OUTPUTS = ['gen/ops.h', 'build/stack.o', 'build/eval.o', 'build/main.o', 'build/calc', 'build/test_eval']

/**
 * Input variants: v0 is the example as shipped; v1/v2 change main.c (main.o, calc and the tests
 * rerun); v3 changes only a comment of the code generator (everything downstream reruns and must
 * produce the same bytes as v0).
 */
export const VARIANTS = [
  (src) => src,
  (src) => ({ ...src, 'src/main.c': src['src/main.c'].replace('usage: calc', 'usage (v1): calc') }),
  (src) => ({ ...src, 'src/main.c': src['src/main.c'].replace('usage: calc', 'usage (v2): calc') }),
  (src) => ({ ...src, 'tools/gen-ops.mjs': src['tools/gen-ops.mjs'] + '\n// variant 3: a comment only\n' }),
]

const EXAMPLE = join(REPO, 'examples', 'c-calc')
const SOURCES = ['src/main.c', 'tools/gen-ops.mjs']

/** A fresh copy of c-calc whose config imports the built library. */
export function calcProject() {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tasks-reliability-')))
  cpSync(EXAMPLE, dir, { recursive: true, filter: (p) => !/[/\\](build|gen|\.tasks|node_modules)$/.test(p) })
  const cfg = join(dir, 'tasks.config.ts')
  // One slow step (a soak test of the binary), so a kill -9 can leave a long-running tree behind.
  const soak = `soak: { run: 'sleep 3; cp build/calc build/calc.soaked', deps: ['link'], inputs: ['build/calc'], outputs: ['build/calc.soaked'] },\n    default:`
  writeFileSync(
    cfg,
    readFileSync(cfg, 'utf8').replace(`from 'typed-tasks'`, `from '${LIB_URL}'`).replace('default:', soak),
  )
  const original = Object.fromEntries(SOURCES.map((f) => [f, readFileSync(join(dir, f), 'utf8')]))
  return {
    dir,
    /** Write the input files of variant `v`. */
    variant(v) {
      const files = VARIANTS[v](original)
      for (const f of SOURCES)
        if (readFileSync(join(dir, f), 'utf8') !== files[f]) writeFileSync(join(dir, f), files[f])
    },
    /** Delete every output (the next run restores them from the cache). */
    clearOutputs() {
      rmSync(join(dir, 'build'), { recursive: true, force: true })
      rmSync(join(dir, 'gen'), { recursive: true, force: true })
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** `path -> Buffer` of the outputs present in `dir`. */
export function outputsOf(dir) {
  const out = new Map()
  for (const p of OUTPUTS) if (existsSync(join(dir, p))) out.set(p, readFileSync(join(dir, p)))
  return out
}

/**
 * Clean builds of every variant, each in a fresh copy with no cache: `refs[v]` maps each output
 * to its bytes. Throws when a build fails or a clean build is not reproducible (then byte
 * comparisons would be meaningless).
 */
export async function referenceBuilds() {
  const refs = []
  for (let v = 0; v < VARIANTS.length; v++) {
    const p = calcProject()
    try {
      p.variant(v)
      const r = await runCli(p.dir, ['default', '--no-cache'], { timeoutMs: 120_000 })
      if (r.code !== 0) throw new Error(`clean build of variant ${v} failed:\n${r.out}`)
      refs.push(outputsOf(p.dir))
      if (refs[v].size !== OUTPUTS.length)
        throw new Error(`clean build of variant ${v} lacks outputs: ${[...refs[v].keys()]}`)
    } finally {
      p.cleanup()
    }
  }
  for (const path of OUTPUTS)
    if (!refs[0].get(path).equals(refs[3].get(path)))
      throw new Error(`the clean build is not reproducible: ${path} differs between variant 0 and 3`)
  return refs
}

/** The outputs in `dir` that differ from `ref` (missing ones included). */
export function corruptOutputs(dir, ref) {
  const now = outputsOf(dir)
  return OUTPUTS.filter((p) => !now.get(p)?.equals(ref.get(p)))
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex')

/**
 * Check every action result in `.tasks/ac/`: it parses, every output's blob exists in the CAS
 * with its SHA-256, and each output's bytes equal that output in the clean build of some variant
 * (a poisoned entry, valid hash over wrong bytes, fails this).
 * @returns {{ entries: number, corrupt: string[] }}
 */
export function checkEntries(dir, refs) {
  const ac = join(dir, '.tasks', 'ac')
  const names = existsSync(ac) ? readdirSync(ac).filter((f) => f.endsWith('.json')) : []
  const corrupt = []
  for (const n of names) {
    let e
    try {
      e = JSON.parse(readFileSync(join(ac, n), 'utf8'))
    } catch (err) {
      corrupt.push(`${n}: does not parse (${err.message})`)
      continue
    }
    if (!Array.isArray(e.outputs)) {
      corrupt.push(`${n}: no outputs`)
      continue
    }
    for (const o of e.outputs) {
      if (o.type !== 'file') continue
      const blob = join(dir, '.tasks', 'cas', String(o.hash).slice(0, 2), String(o.hash))
      if (!existsSync(blob)) {
        corrupt.push(`${n}: blob of ${o.path} missing`)
        continue
      }
      const data = readFileSync(blob)
      if (sha256(data) !== o.hash) corrupt.push(`${n}: blob of ${o.path} fails its hash`)
      else if (data.length !== o.size) corrupt.push(`${n}: ${o.path} size ${o.size} but blob has ${data.length}`)
      else if (OUTPUTS.includes(o.path) && !refs.some((r) => r.get(o.path)?.equals(data)))
        corrupt.push(`${n}: ${o.path} (${data.length} bytes) matches no clean build: a poisoned entry`)
    }
  }
  return { entries: names.length, corrupt }
}

/** Temp files anywhere in the project: `*.tmp` files (outside `.git`), and anything in `.tasks/tmp` or a `*.stale` lock. */
export function leftoverTempFiles(dir) {
  const out = []
  ;(function walk(d) {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) {
        if (e.name !== '.git') walk(p)
      } else if (/\.(tmp|stale)$/.test(e.name) || relative(dir, p).startsWith(join('.tasks', 'tmp')))
        out.push(relative(dir, p))
    }
  })(dir)
  return out
}

/**
 * Processes still running that a `tasks` run in `dir` started: their cwd is inside `dir`, or their
 * environment names one of `owners` (pids of `tasks` processes) as `TASKS_TREE_OWNER`.
 * @returns `pid command` strings
 */
export function survivors(dir, owners = []) {
  const out = []
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue
      let ours = false
      try {
        ours = (readlinkSync(`/proc/${n}/cwd`) + '/').startsWith(dir + '/')
      } catch {}
      if (!ours && owners.length) {
        const env = readFileSync(`/proc/${n}/environ`, 'latin1').split('\0')
        ours = env.some((kv) => owners.some((o) => kv.startsWith(`TASKS_TREE_OWNER=${o}:`)))
      }
      if (ours) out.push(`${n} ${readFileSync(`/proc/${n}/cmdline`, 'latin1').replace(/\0/g, ' ').trim()}`)
    } catch {}
  }
  return out
}

/** A small seeded PRNG (mulberry32), so a failing storm can be replayed with its seed. */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export { sleep } from '../rig.mjs'
