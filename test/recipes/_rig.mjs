// Shared bits of the recipe tests (Go, Python, Rust): write a config that imports the built
// library and recipes, run the real CLI with --json and read the statuses back.
import { readFileSync } from 'node:fs'
import { LIB_URL, RECIPES_URL, runCli } from '../rig.mjs'

/** A tasks.config.mjs that imports `defineConfig` and the named recipe modules, with `tasks` as JS source. */
export function config(tasksSource, recipes = ['go', 'python', 'rust']) {
  return `import { defineConfig } from '${LIB_URL}'
import { ${recipes.join(', ')} } from '${RECIPES_URL}'
export default defineConfig({ tasks: {
${tasksSource}
} })
`
}

/**
 * Run the CLI with `--json` and parse the RunResult.
 * @returns {Promise<{ code: number|null, out: string, result: any, status: Record<string,string>, byName: Record<string, any> }>}
 */
export async function runJson(cwd, args, opts = {}) {
  const r = await runCli(cwd, [...args, '--json'], { timeoutMs: 240_000, ...opts })
  let result
  try {
    result = JSON.parse(r.stdout)
  } catch {
    result = undefined
  }
  const status = {},
    byName = {}
  for (const t of result?.tasks ?? []) {
    status[t.name] = t.status
    byName[t.name] = t
  }
  return { ...r, result, status, byName }
}

/** What kind of executable `file` is, from its header bytes. */
export function binaryKind(file) {
  const b = readFileSync(file)
  if (b[0] === 0x7f && b.toString('latin1', 1, 4) === 'ELF') {
    const machine = b.readUInt16LE(18)
    return {
      format: 'ELF',
      arch: { 0x3e: 'x86-64', 0xb7: 'aarch64', 0x03: 'i386', 0x28: 'arm' }[machine] ?? `e_machine ${machine}`,
    }
  }
  if (b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c)
    const sig = b.toString('latin1', pe, pe + 4)
    const machine = b.readUInt16LE(pe + 4)
    return {
      format: sig === 'PE\0\0' ? 'PE' : 'MZ',
      arch: { 0x8664: 'x86-64', 0xaa64: 'aarch64', 0x14c: 'i386' }[machine] ?? `machine ${machine}`,
    }
  }
  if (b.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = b.readUInt32LE(4)
    return { format: 'Mach-O', arch: { 0x0100000c: 'arm64', 0x01000007: 'x86-64' }[cpu] ?? `cputype ${cpu}` }
  }
  return { format: 'unknown', arch: b.subarray(0, 4).toString('hex') }
}

/** Assertion message with the CLI output, so a failure shows what the engine said. */
export const why = (r) => `exit ${r.code}\n${r.out.slice(-4000)}`
