// `tasks import Makefile` on real Makefiles (C with pattern rules and phony targets, Go, Python):
// the imported config builds the same files as make, byte for byte, and a second run is up to date.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readdirSync, readFileSync, symlinkSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fixture, runCli, needs, REPO } from '../rig.mjs'

const C = {
  'include/calc.h': 'int add(int a, int b);\nint mul(int a, int b);\n',
  'src/add.c': '#include "calc.h"\nint add(int a, int b) { return a + b; }\n',
  'src/mul.c': '#include "calc.h"\nint mul(int a, int b) { return a * b; }\n',
  'src/main.c':
    '#include <stdio.h>\n#include "calc.h"\nint main(void) { printf("%d %d\\n", add(2, 3), mul(4, 5)); return 0; }\n',
  // Not part of the program: the pattern rule still makes a task for it (it exists).
  'src/extra.c': 'int extra(void) { return 42; }\n',
  Makefile: `CC ?= cc
CFLAGS = -O2 -Wall -Iinclude
SRCS := src/add.c src/mul.c src/main.c
OBJS = $(SRCS:.c=.o)
BIN = build/calc
VERSION := 1.2

.PHONY: all clean test

all: $(BIN) build/VERSION

$(BIN): $(OBJS) | build
\t$(CC) $(CFLAGS) -o $@ $^

build:
\tmkdir -p $@

build/VERSION: Makefile | build
\t@echo "calc $(VERSION) built from $(notdir $(SRCS))" > $@
\t-@echo "objects: $(patsubst src/%.o,%,$(OBJS))" >> $@

%.o: %.c include/calc.h
\t$(CC) $(CFLAGS) -c -o $@ $<

test: $(BIN)
\t./$(BIN) > build/test.out
\t@echo test passed

ifeq ($(DEBUG),1)
CFLAGS += -g
endif

clean:
\trm -rf build src/*.o
`,
}

const GO = {
  'go.mod': 'module example.com/hello\n\ngo 1.21\n',
  'cmd/hello/main.go':
    'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/hello/greet"\n)\n\nfunc main() { fmt.Println(greet.Hello("make")) }\n',
  'greet/greet.go': 'package greet\n\n// Hello greets.\nfunc Hello(who string) string { return "hello, " + who }\n',
  'greet/greet_test.go':
    'package greet\n\nimport "testing"\n\nfunc TestHello(t *testing.T) {\n\tif Hello("x") != "hello, x" {\n\t\tt.Fatal("bad")\n\t}\n}\n',
  Makefile: `GO ?= go
BIN := bin/hello
SRC := $(shell find . -name '*.go' -not -name '*_test.go' | sort)

.PHONY: build test vet

build: $(BIN) bin/go-version.txt

$(BIN): $(SRC) go.mod
\t$(GO) build -trimpath -o $@ ./cmd/hello

bin/go-version.txt: go.mod
\tmkdir -p $(@D)
\tawk '/^go /{print $$2}' $< > $@

test:
\t$(GO) test ./...

vet:
\t$(GO) vet ./...
`,
}

const PY = {
  'mypkg/__init__.py': '__version__ = "0.3.1"\n',
  'mypkg/core.py': 'def double(x):\n    return 2 * x\n',
  'tests/test_core.py':
    'import unittest\nfrom mypkg.core import double\n\nclass T(unittest.TestCase):\n    def test_double(self):\n        self.assertEqual(double(2), 4)\n',
  'tools/manifest.py':
    'import sys, hashlib\nfor f in sys.argv[1:]:\n    print(f, hashlib.sha256(open(f, "rb").read()).hexdigest())\n',
  Makefile: `PYTHON ?= python3
PKG := mypkg
SOURCES := $(wildcard $(PKG)/*.py)
PYC := $(patsubst $(PKG)/%.py,build/%.pyc,$(SOURCES))

.PHONY: all test

all: build/version.txt build/manifest.txt $(PYC)

build/version.txt: $(PKG)/__init__.py | build
\t$(PYTHON) -c "import $(PKG); print($(PKG).__version__)" > $@

build/manifest.txt: tools/manifest.py $(SOURCES) | build
\t$(PYTHON) $< $(filter-out $<,$^) > $@

build/%.pyc: $(PKG)/%.py | build
\t$(PYTHON) -c "import py_compile as p; p.compile('$<', cfile='$@', doraise=True, invalidation_mode=p.PycInvalidationMode.UNCHECKED_HASH)"

build:
\tmkdir -p $@

test:
\t$(PYTHON) -m unittest discover -s tests -q
`,
}

/** Every file under `dir` (relative paths) except the tools' own state. */
function tree(dir, skip = new Set(['.tasks', 'node_modules', 'tasks.config.ts', '.git'])) {
  const out = {}
  const walk = (rel) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name
      if (skip.has(p)) continue
      if (e.isDirectory()) walk(p)
      else out[p] = readFileSync(join(dir, p)).toString('base64')
    }
  }
  walk('')
  return out
}

/** A fixture whose configs can import 'typed-tasks' (node_modules/typed-tasks -> this repository). */
function project(files) {
  const f = fixture(files)
  mkdirSync(f.path('node_modules'), { recursive: true })
  symlinkSync(REPO, f.path('node_modules/typed-tasks'), 'dir')
  return f
}

const make = (cwd, ...args) =>
  spawnSync('make', args, { cwd, encoding: 'utf8', env: { ...process.env, MAKEFLAGS: '' } })
const count = (out, what) => +(new RegExp(`${what}: (\\d+)`).exec(out)?.[1] ?? -1)

/** Build `goals` with make in one copy and with the imported config in another; compare the trees. */
async function sameAsMake(files, goals, check) {
  const viaMake = project(files)
  const viaTasks = project(files)
  try {
    const m = make(viaMake.dir, ...goals)
    assert.is(m.status, 0, m.stdout + m.stderr)
    const imp = await runCli(viaTasks.dir, ['import', 'Makefile'])
    assert.is(imp.code, 0, imp.out)
    const config = viaTasks.read('tasks.config.ts')
    const r = await runCli(viaTasks.dir, goals.length ? goals : [])
    assert.is(r.code, 0, `${r.out}\n--- config:\n${config}`)
    assert.equal(tree(viaTasks.dir), tree(viaMake.dir), 'the imported config builds the same files as make')
    const again = await runCli(viaTasks.dir, goals)
    assert.is(again.code, 0, again.out)
    await check?.({ config, first: r, again, viaTasks, viaMake })
    return { config, again }
  } finally {
    viaMake.cleanup()
    viaTasks.cleanup()
  }
}

const MAKE = ['make', ['--version'], 'GNU make']

needs(MAKE, ['cc', ['--version'], 'a C compiler'])(
  'C project: pattern rules, order-only folder, phony targets, ?= as env',
  async () => {
    await sameAsMake(C, [], async ({ config, again }) => {
      assert.match(config, "'src/add.o': {")
      assert.match(config, "inputs: ['src/add.c', 'include/calc.h']")
      assert.match(config, "deps: ['src/add.o', 'src/mul.o', 'src/main.o', 'build']")
      assert.match(config, "env: ['CC']")
      assert.match(config, '${CC-cc} -O2 -Wall -Iinclude -c -o src/add.o src/add.c')
      assert.match(config, 'calc 1.2 built from add.c mul.c main.c')
      assert.match(config, '(echo "objects: add mul main" >> build/VERSION) || true')
      assert.match(config, "'src/extra.o'", 'a pattern rule is expanded for a file that exists')
      assert.match(config, `default: { description: "make's default goal: all", deps: ['all'] }`)
      assert.match(config, 'warning: Makefile uses a conditional')
      // Second run: nothing ran (all, the binary, the objects, the folder and VERSION are up to date).
      assert.is(count(again.out, 'ran'), 0, again.out)
      assert.ok(count(again.out, 'up to date') >= 7, again.out)
    })
    // Phony targets run every time; extra.o builds like make's.
    await sameAsMake(C, ['test', 'src/extra.o'], async ({ again }) => {
      assert.match(again.out, '[test] test passed')
      assert.match(again.out, '[src/extra.o] up to date')
    })
  },
)

needs(MAKE, ['go', ['version'], 'Go'])(
  'Go project: $(shell find) prerequisites, $(@D), $$ in recipes, phony test',
  async () => {
    await sameAsMake(GO, ['build'], async ({ config, again }) => {
      assert.match(config, "inputs: ['cmd/hello/main.go', 'greet/greet.go', 'go.mod']")
      assert.match(config, "awk '/^go /{print $2}' go.mod > bin/go-version.txt")
      assert.match(config, "'${GO-go} build -trimpath -o bin/hello ./cmd/hello'")
      assert.match(config, 'warning: Makefile uses `$(shell ...)` outside recipes')
      assert.is(count(again.out, 'ran'), 0, again.out)
    })
    await sameAsMake(GO, ['test'], async ({ again }) => {
      assert.match(again.out, 'ok')
    })
  },
)

needs(MAKE, ['python3', ['--version'], 'Python 3'])(
  'Python project: pattern rule over $(wildcard), $(filter-out), quotes in recipes',
  async () => {
    await sameAsMake(PY, ['all', 'test'], async ({ config, again }) => {
      assert.match(config, "'build/core.pyc': {")
      assert.match(config, "'${PYTHON-python3} tools/manifest.py mypkg/__init__.py mypkg/core.py > build/manifest.txt'")
      assert.match(config, 'import mypkg; print(mypkg.__version__)')
      assert.is(count(again.out, 'ran'), 1, again.out) // only the phony `test`
    })
  },
)

needs(MAKE, ['bash', ['--version'], 'bash'])('exported variables, SHELL/.SHELLFLAGS and .ONESHELL', async () => {
  const files = {
    Makefile: `export FOO := bar
BAZ = qux
export BAZ
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
out.txt: in.txt
\tx=$$(cat $<)
\techo "$$x $$FOO $$BAZ $\${BASH_VERSION:+bash}" > $@
`,
    'in.txt': 'input',
  }
  await sameAsMake(files, ['out.txt'], async ({ config, viaTasks }) => {
    assert.match(config, "setEnv: { FOO: 'bar', BAZ: 'qux' }")
    assert.match(config, '/bin/bash -eu -o pipefail -c')
    assert.is(viaTasks.read('out.txt'), 'input bar qux bash\n')
  })
})

needs(MAKE)('a recipe with $(shell ...) is frozen from make -n, the original kept as a comment', async () => {
  const f = project({
    Makefile: 'out.txt: in.txt\n\techo $(shell echo frozen) $(words a b c) > $@\n\tcat $< >> $@\n',
    'in.txt': 'input\n',
  })
  try {
    const imp = await runCli(f.dir, ['import', 'Makefile'])
    assert.is(imp.code, 0, imp.out)
    assert.match(imp.stderr, 'warning: `out.txt`: the recipe uses `$(shell ...)`')
    const config = f.read('tasks.config.ts')
    assert.match(config, "run: ['echo frozen 3 > out.txt', 'cat in.txt >> out.txt']")
    assert.match(config, '//  \techo $(shell echo frozen) $(words a b c) > $@'.replace('//  ', '// '))
    const r = await runCli(f.dir, ['out.txt'])
    assert.is(r.code, 0, r.out)
    assert.is(f.read('out.txt'), 'frozen 3\ninput\n')
    // An existing config is not overwritten without --force.
    const again = await runCli(f.dir, ['import', 'Makefile'])
    assert.is(again.code, 2, again.out)
    assert.match(again.stderr, 'already exists')
  } finally {
    f.cleanup()
  }
})

test.run()
