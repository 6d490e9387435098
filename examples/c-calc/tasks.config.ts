// A small C project built with typed-tasks: a code generator, one compile task per source file
// (they run in parallel), a link step, and a test step. `npm run example` at the repo root runs it.
import { defineConfig, type TaskDefinition } from 'typed-tasks'

const sources = ['stack', 'eval', 'main']
const CFLAGS = '-O2 -Wall -Wextra -std=c11 -Isrc -Igen'

/**
 * One compile task per translation unit. Its glob input is the .c file alone: the headers it
 * includes come from the compiler's dependency file (`-MMD -MF build/x.d`, read after each run as
 * `depfile`), so an edit of any header it includes (and of no other) reruns it. A comment-only edit
 * reruns the compile, but the object file is byte-identical, so link and test stay up to date.
 */
const compile = Object.fromEntries(
  sources.map((name): [string, TaskDefinition] => [
    `compile:${name}`,
    {
      description: `compile src/${name}.c`,
      run: `mkdir -p build && \${CC:-cc} ${CFLAGS} -MMD -MF build/${name}.d -c src/${name}.c -o build/${name}.o`,
      deps: ['codegen'],
      inputs: [`src/${name}.c`],
      outputs: [`build/${name}.o`, `build/${name}.d`],
      depfile: `build/${name}.d`,
      env: ['CC'],
    },
  ]),
)

export default defineConfig({
  tasks: {
    codegen: {
      description: 'generate gen/ops.h from data/ops.csv',
      run: 'node tools/gen-ops.mjs',
      inputs: ['data/ops.csv', 'tools/gen-ops.mjs'],
      outputs: ['gen/ops.h'],
    },
    ...compile,
    link: {
      description: 'link build/calc',
      run: '${CC:-cc} build/stack.o build/eval.o build/main.o -lm -o build/calc',
      deps: Object.keys(compile),
      inputs: ['build/stack.o', 'build/eval.o', 'build/main.o'],
      outputs: ['build/calc'],
      env: ['CC'],
    },
    test: {
      description: 'unit tests and a smoke test of the binary',
      run: [
        `\${CC:-cc} ${CFLAGS} test/test_eval.c build/stack.o build/eval.o -lm -o build/test_eval`,
        './build/test_eval',
        'test "$(./build/calc "3 4 + 2 *")" = 14 && echo "smoke test: calc \'3 4 + 2 *\' = 14"',
      ],
      deps: ['link'],
      inputs: ['test/*.c', 'build/*.o', 'build/calc'],
      outputs: ['build/test_eval'],
      env: ['CC'],
    },
    default: { description: 'build and test everything', deps: ['link', 'test'] },
  },
})
