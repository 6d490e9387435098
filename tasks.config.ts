// typed-tasks builds and tests itself with typed-tasks: `npm run tasks -- check` (or `npx tasks check`
// once installed). The compile step's output is what every other task runs.
import { defineConfig } from 'typed-tasks'

const sources = ['lib/**/*.ts', 'bin/**/*.ts', 'recipes/**/*.ts', 'tsconfig.json', 'package.json']

export default defineConfig({
  tasks: {
    compile: {
      description: 'type-check and compile lib/, bin/ and recipes/ into dist/ (tsc)',
      run: 'tsc -p tsconfig.json',
      inputs: sources,
      outputs: ['dist/**'],
    },
    cycles: {
      description: 'fail on import cycles between modules (madge --circular)',
      run: 'madge --circular --extensions js dist/lib dist/bin dist/recipes',
      deps: ['compile'],
      inputs: ['dist/**/*.js'],
    },
    'test:engine': {
      description: 'end-to-end tests of the engine and CLI',
      run: 'node test/run.mjs "test/(engine|types|cycles)"',
      deps: ['compile'],
      inputs: ['dist/**/*.js', 'dist/**/*.d.ts', 'test/*.mjs', 'test/engine/**', 'test/types/**'],
    },
    'test:recipes': {
      description: 'recipe tests on real go, cargo, python3 and a Docker daemon',
      run: 'node test/run.mjs test/recipes',
      deps: ['compile'],
      inputs: ['dist/**/*.js', 'test/*.mjs', 'test/recipes/**', 'examples/polyglot/**'],
      env: ['DOCKER_HOST'],
    },
    example: {
      description: 'build and test the bundled C example (examples/c-calc)',
      run: 'node dist/bin/tasks.js --cwd examples/c-calc',
      deps: ['compile'],
    },
    bench: {
      description: 'side-by-side benchmarks with make, ninja, turbo, nx and wireit (writes bench/RESULTS.md)',
      run: 'node bench/run.mjs',
      deps: ['compile'],
    },
    test: { description: 'all tests', deps: ['test:engine', 'test:recipes'] },
    check: { description: 'compile, import-cycle check and all tests', deps: ['compile', 'cycles', 'test'] },
  },
})
