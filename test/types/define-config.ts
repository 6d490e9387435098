// Type tests for defineConfig: compiled by test/types.test.mjs with tsc --noEmit. Every
// `@ts-expect-error` must flag a real type error, or tsc fails ("unused directive").
import { defineConfig, type TaskContext, type RunEvent } from 'typed-tasks'

export const ok = defineConfig({
  concurrency: 4,
  shell: 'portable',
  tasks: {
    legacy: { run: 'if true; then echo; fi', shell: 'sh' },
    win: { run: 'echo %OS%', shell: 'cmd' },
    build: { run: 'tsc -p .', deps: ['codegen'], inputs: ['src/**/*.ts'], outputs: ['dist/**'], env: ['NODE_ENV'] },
    codegen: { run: ['node gen.mjs', 'node check.mjs'], inputs: [], fingerprint: 'mtime' },
    fn: {
      run: async (ctx: TaskContext) => {
        await ctx.exec('echo hi')
        ctx.log(`in ${ctx.cwd} with ${ctx.args.length} args`)
        return { ok: true }
      },
      version: '1',
      check: ({ value }) => value !== undefined,
    },
    phony: {
      run: 'date',
      fingerprint: false,
      platform: true,
      toolVersions: ['node --version'],
      setEnv: { A: '1' },
      passEnv: ['HOME'],
    },
    'ultra-fast': { description: 'everything', deps: ['build', 'fn'] },
  },
})

defineConfig({
  // @ts-expect-error run must be a string, string[] or function
  tasks: { a: { run: 42 } },
})

defineConfig({
  // @ts-expect-error unknown shell
  tasks: { a: { run: 'x', shell: 'bash' } },
})

defineConfig({
  // @ts-expect-error unknown fingerprint mode
  tasks: { a: { run: 'x', fingerprint: 'sha1' } },
})

defineConfig({
  // @ts-expect-error deps is an array of names
  tasks: { a: { run: 'x', deps: 'b' } },
})

defineConfig({
  // @ts-expect-error unknown key (typo of inputs)
  tasks: { a: { run: 'x', inputz: ['src/**'] } },
})

// @ts-expect-error tasks is required
defineConfig({ concurrency: 2 })

export function onEvent(e: RunEvent): string {
  switch (e.type) {
    case 'task:end':
      return `${e.task} ${e.status} ${e.durationMs}`
    case 'task:output':
      return e.text
    default:
      return e.type
  }
}
