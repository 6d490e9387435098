// A user's config: defineConfig, the recipes, a function task using ctx.$ and ctx.exec.
import { defineConfig, type TaskContext, type TaskDefinition } from 'typed-tasks'
import { docker, go, python, rust } from 'typed-tasks/recipes'

const lint: TaskDefinition = { run: 'eslint .', inputs: ['src/**/*.ts'], outputs: [] }

export default defineConfig({
  concurrency: 4,
  tasks: {
    lint,
    build: { run: 'tsc -p .', deps: ['codegen'], inputs: ['src/**/*.ts'], outputs: ['dist/**'], env: ['NODE_ENV'] },
    codegen: {
      run: async (ctx: TaskContext) => {
        const out = await ctx.$`node gen.mjs ${ctx.args}`
        ctx.log(`generated ${out.stdout.length} bytes in ${ctx.cwd}`)
        await ctx.exec('node check.mjs', { env: { CI: '1' } })
        const upstream = ctx.deps['lint']
        return { ok: upstream?.status === 'ran', exitCode: out.exitCode }
      },
      version: '1',
      check: ({ value }) => value !== undefined,
    },
    ...go.build({ name: 'api', main: './cmd/api', targets: ['linux/amd64', 'darwin/arm64'] }),
    ...go.test(),
    ...python.venv(),
    ...python.test({ args: ['-q'] }),
    ...rust.build({ bin: 'cli' }),
    ...rust.clippy(),
    ...docker.image({ name: 'api', context: '.', tags: ['api:dev'] }),
    ...docker.push({ name: 'api-push', image: 'localhost:5000/api:dev', source: 'api:dev', deps: ['docker:api'] }),
  },
})
