// A polyglot repo built with typed-tasks recipes: a Go HTTP service (go/), a Python package
// (python/) and a Rust CLI (rust/). `tasks ultra-fast` builds and tests everything in parallel;
// unchanged parts are up to date or restored from the cache.
//
//   npx tasks ultra-fast            # everything
//   npx tasks go:hello              # the service for four platforms (go/bin/hello-<os>-<arch>)
//   npx tasks --explain py:test     # why would it run?
//   npx tasks docker:hello          # the service as a FROM scratch image, polyglot/hello:<VERSION>
//
// Each part has a real third-party dependency, pinned by its lock file: github.com/google/uuid
// (go/go.sum, from the Go module proxy), memchr (rust/Cargo.lock, from crates.io), text-unidecode
// plus pytest and ruff in the dev group (python/uv.lock, from PyPI, installed by `uv sync --locked`).
// The lock files and the toolchains' versions are in the fingerprints; the dependency caches
// (GOMODCACHE, CARGO_HOME, uv's cache) are neither inputs nor outputs.
//
// VERSION stamps the Go binary; PYTHON picks the interpreter uv builds the venv with (needs uv on PATH).
import { defineConfig } from 'typed-tasks'
import { docker, go, python, rust } from 'typed-tasks/recipes'

const version = process.env.VERSION ?? '0.1.0'
/** The Docker image's architecture: the host's (the daemon runs the test stage). */
const arch = process.arch === 'arm64' ? 'arm64' : 'amd64'
const py = { dir: 'python', python: process.env.PYTHON ?? 'python3' }

export default defineConfig({
  tasks: {
    // Go: one build task per platform, run in parallel, then `go:hello` as their aggregate.
    ...go.build({
      name: 'hello',
      dir: 'go',
      main: './cmd/hello',
      stamp: { 'main.version': version },
      targets: ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'],
    }),
    ...go.test({ dir: 'go', short: true }),
    ...go.vet({ dir: 'go' }),

    // Python: `uv sync --locked` from python/uv.lock (the package editable, text-unidecode, and the
    // dev group's pytest and ruff), tests, `ruff check`, a wheel in python/dist built by uv.
    ...python.venv({ ...py, uv: true, lock: true }),
    ...python.test({ ...py, args: ['-q'] }),
    ...python.lint({ ...py, linter: 'ruff' }),
    ...python.wheel({ ...py, isolation: true }),

    // Rust: a release binary in rust/target/release/rcount, tests, clippy, rustfmt.
    ...rust.build({ bin: 'rcount', dir: 'rust', locked: true }),
    ...rust.test({ dir: 'rust', locked: true }),
    ...rust.clippy({ dir: 'rust', locked: true }),
    ...rust.fmtCheck({ dir: 'rust' }),

    // Docker: the Go service as a multi-stage `FROM scratch` image, with no registry needed: the
    // host's static busybox becomes the base image of the test stage (docker/base), the Dockerfile
    // (go/Dockerfile) copies the linux binary `go:hello` built. Stages are tasks: build -> test -> runtime.
    'docker:busybox': {
      description: 'copy the static busybox (busybox-static) into the base image context',
      run: 'cp /bin/busybox docker/base/busybox',
      inputs: [],
      outputs: ['docker/base/busybox'],
    },
    ...docker.image({
      name: 'base',
      context: 'docker/base',
      tags: ['polyglot/busybox:local'],
      deps: ['docker:busybox'],
    }),
    ...docker.image({
      name: 'hello',
      context: 'go',
      stages: ['build', 'test', 'runtime'],
      tags: [`polyglot/hello:${version}`],
      buildArgs: { ARCH: arch },
      labels: { 'org.opencontainers.image.version': version },
      // Both linux binaries are in the build context (go/.dockerignore), so both are dependencies.
      deps: ['go:hello:linux/amd64', 'go:hello:linux/arm64', 'docker:base'],
    }),

    build: { description: 'build every binary and package', deps: ['go:hello', 'py:wheel', 'rust:rcount'] },
    check: {
      description: 'test and lint everything',
      deps: ['go:test', 'go:vet', 'py:test', 'py:lint', 'rust:test', 'rust:clippy', 'rust:fmt'],
    },
    'ultra-fast': {
      description: 'build and test everything in parallel, then the image',
      deps: ['build', 'check', 'docker:hello'],
    },
  },
})
