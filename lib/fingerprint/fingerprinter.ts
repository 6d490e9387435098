/**
 * The per-run fingerprinter: one object behind which sit the git snapshot and its input index, the
 * hash memo, the checkers of each mode, the dependency fingerprints and the "a dependency ran,
 * walk again" taint. The runner asks it for a task's fingerprint and tells it what happened
 * (a task executed, outputs were restored); it never assembles those modules itself.
 */
import { join } from 'node:path'
import { sha256 } from '../util/hash.js'
import type { FileChecker } from './checker.js'
import { createChecker } from './create-checker.js'
import { computeFingerprint, withInputs, type Fingerprint } from './fingerprint.js'
import {
  gitWrittenCandidates,
  refreshStaleIndex,
  takeGitSnapshot,
  type GitSnapshot,
  type WrittenCandidates,
} from './git.js'
import { GitInputIndex } from './inputs.js'
import { HashMemo } from './memo.js'
import type { ResolvedTask } from '../model/internal.js'

/** A task's fingerprint in this run: `hash` for every task, `fp` (the record behind it) for cacheable ones. */
export interface TaskFingerprint {
  hash: string
  fp?: Fingerprint
}

/** What a {@link Fingerprinter} needs. */
export interface FingerprinterOptions {
  /** The project root, absolute. */
  root: string
  /** Every task of the run by name (a task's dependencies are looked up here). */
  tasks: ReadonlyMap<string, ResolvedTask>
  /** Environment declared `env` values are read from. */
  env: NodeJS.ProcessEnv
  /** Arguments after `--` for a task (empty for tasks not requested). */
  argsFor(task: string): readonly string[]
  /** Use a git snapshot for listing and digesting inputs. @default true */
  git?: boolean
  /** Environment for git: the embedder's `env` option, undefined for `process.env` (only then is a prefetched snapshot used, see `prefetchRun`). */
  gitEnv?: NodeJS.ProcessEnv
  /** The hash memo file. @default `<root>/.tasks/state/hashes.json` */
  memoFile?: string
  /** Dry run: input digests the last successful run of a task recorded (for files a dependency would restore). */
  previousInputs?(task: string): Readonly<Record<string, string>> | undefined
  /** Files the task's depfile named after its last run (root-relative): extra inputs. */
  discoveredInputs?(task: string): readonly string[] | undefined
  /**
   * Whether dependents of a task key on its output digest (early cutoff) instead of its
   * fingerprint. @default never
   */
  keysOnOutputs?(task: ResolvedTask): boolean
}

/** The fingerprints of one run. Not shared across runs (the git snapshot is taken once). */
export class Fingerprinter {
  private readonly memo: HashMemo
  private readonly checkers = new Map<string, FileChecker>()
  private readonly fps = new Map<string, string>()
  private readonly computed = new Map<string, TaskFingerprint>()
  /** The git snapshot's file index, when the root is in a git work tree (see {@link prepare}). */
  private index: GitInputIndex | undefined
  private snapshot: GitSnapshot | undefined
  /** Tasks that ran a command (or restored something the index could not record) in this run. */
  private readonly executed = new Set<string>()
  private readonly taintedMemo = new Map<string, boolean>()
  /** Task -> its output digest in this run, for tasks whose dependents key on their outputs (see {@link settle}). */
  private readonly outputDigests = new Map<string, string>()
  /** Dry run only: root-relative path -> git blob id of the outputs that cache hits would restore. */
  private readonly wouldRestore = new Map<string, string>()

  constructor(private readonly o: FingerprinterOptions) {
    this.memo = new HashMemo(o.memoFile ?? join(o.root, '.tasks', 'state', 'hashes.json'))
  }

  /**
   * Take the git snapshot that input listing uses for this run (skipped when no task is cached,
   * when `git: false`, or outside a git work tree). Call once, before the first {@link fingerprint}.
   */
  async prepare(): Promise<void> {
    if (this.o.git === false) return
    const cached = [...this.o.tasks.values()].filter((t) => t.inputs?.length && t.fingerprint !== false)
    if (cached.length === 0) return
    const nodeModules = cached.some((t) => t.inputs!.some((p) => p.includes('node_modules')))
    const snapshot = await takeGitSnapshot(this.o.root, { skipNodeModules: !nodeModules, env: this.o.gitEnv })
    if (snapshot) this.index = new GitInputIndex(this.o.root, snapshot)
    this.snapshot = snapshot
  }

  /**
   * When the snapshot's git index holds stale stat data (a copied or `touch`ed tree), refresh it
   * (`git update-index --refresh` semantics, only when `index.lock` is free; see
   * `refreshStaleIndex`) so the next runs' `git status` does not hash every file again. Start it
   * after {@link prepare}, await it before the run ends. Never rejects.
   * @returns whether a refresh ran
   */
  refreshGitIndex(): Promise<boolean> {
    const s = this.snapshot
    return s ? refreshStaleIndex(this.o.root, s, this.o.gitEnv) : Promise.resolve(false)
  }

  /**
   * After the run: the files it may have written, as git lists them now (`gitWrittenCandidates`),
   * for the undeclared-writes check; undefined without this run's snapshot (`git: false`, no
   * cached task, outside a work tree) or when git fails, and then the caller walks the tree.
   * Never rejects.
   */
  async writtenCandidates(): Promise<WrittenCandidates | undefined> {
    const s = this.snapshot
    return s ? gitWrittenCandidates(this.o.root, s, this.o.gitEnv).catch(() => undefined) : undefined
  }

  /**
   * The task's fingerprint, computed once per run. Call it only once the task's dependencies have
   * their fingerprints (and, when they ran, have finished), so the taint is final.
   * @throws an fs error when an input file vanishes between the listing and its read.
   */
  fingerprint(task: ResolvedTask): TaskFingerprint {
    const known = this.computed.get(task.name)
    if (known) return known
    const c = this.compute(task)
    this.computed.set(task.name, c)
    return c
  }

  /**
   * The task ended (up to date, restored, ran, or a dry run's prediction): record what its
   * dependents key on. For a task that keys on its outputs, `outputDigest` is the digest of its
   * outputs now; undefined means unknown (a dry run's "would run"): dependents then count it as
   * changed. Call before any dependent's {@link fingerprint}.
   */
  settle(task: string, outputDigest: string | undefined): void {
    if (outputDigest !== undefined) this.outputDigests.set(task, outputDigest)
  }

  /** What dependents of `name` key on: its output digest (early cutoff) or its fingerprint. */
  private depKey(name: string): string | undefined {
    const t = this.o.tasks.get(name)
    const fp = this.fps.get(name)
    if (!t || !this.o.keysOnOutputs?.(t)) return fp
    // Not settled (a dry run's "would run", or a caller that never settles): changed for dependents.
    return this.outputDigests.get(name) ?? `unsettled:${fp}`
  }

  /** A task ran its command (or restored a symlink): its dependents list their inputs by walking again. */
  markExecuted(task: string): void {
    this.executed.add(task)
  }

  /** Outputs of `task` were restored: the index learns the files' blob ids, a restored symlink taints dependents. */
  restored(
    task: string,
    outputs: readonly ({ path: string; type: 'file'; blob: string } | { path: string; type: 'symlink' })[],
  ): void {
    for (const o of outputs) {
      if (o.type === 'file') this.index?.restored(o.path, o.blob)
      else this.executed.add(task)
    }
  }

  /** Dry run: a cache hit would restore these files; dependents' fingerprints count them as restored. */
  wouldRestoreFiles(outputs: readonly { path: string; type: string; blob?: string }[]): void {
    for (const o of outputs) if (o.type === 'file' && o.blob) this.wouldRestore.set(o.path, o.blob)
  }

  /** Prune and save the hash memo (never in a dry run). Errors are swallowed: it is only a memo. */
  save(): void {
    const index = this.index
    if (index) this.memo.prune((path) => index.vouches(path))
    try {
      this.memo.save()
    } catch {}
  }

  /**
   * Whether a task this one depends on (directly or not) ran a command in this run: it may have
   * written files anywhere, so the snapshot no longer speaks for this task's inputs.
   */
  private tainted(task: ResolvedTask): boolean {
    const known = this.taintedMemo.get(task.name)
    if (known !== undefined) return known
    // Iterative post-order walk (a chain of dependencies may be thousands deep), memoised per task.
    const stack: { t: ResolvedTask; i: number }[] = [{ t: task, i: 0 }]
    while (stack.length) {
      const top = stack[stack.length - 1]! // the loop runs while the stack is not empty
      if (top.i === 0 && top.t.deps.some((d) => this.executed.has(d) || this.taintedMemo.get(d) === true)) {
        this.taintedMemo.set(top.t.name, true)
        stack.pop()
        continue
      }
      if (top.i < top.t.deps.length) {
        const d = top.t.deps[top.i++]!
        if (!this.taintedMemo.has(d)) stack.push({ t: this.o.tasks.get(d)!, i: 0 })
        continue
      }
      this.taintedMemo.set(
        top.t.name,
        top.t.deps.some((d) => this.taintedMemo.get(d) === true),
      )
      stack.pop()
    }
    return this.taintedMemo.get(task.name)!
  }

  private checker(mode: 'content' | 'mtime'): FileChecker {
    let c = this.checkers.get(mode)
    if (!c) this.checkers.set(mode, (c = createChecker(mode, this.memo)))
    return c
  }

  /**
   * After a run or restore of a task with a `depfile`: its fingerprint over the files the depfile
   * named just now (instead of those of the last run), so the recorded state and the cache key
   * are what the next run computes. Replaces the memoised value; walks the disk.
   * @throws an fs error when an input file vanishes between the listing and its read.
   */
  refingerprint(task: ResolvedTask, discovered: readonly string[]): TaskFingerprint {
    const c = this.compute(task, discovered, true)
    this.computed.set(task.name, c)
    return c
  }

  private compute(task: ResolvedTask, discovered?: readonly string[], walk = false): TaskFingerprint {
    if (task.inputs === undefined || task.fingerprint === false) {
      const hash = sha256(
        `uncached\0${task.name}\0${task.command}\0${[...task.deps].map((d) => this.depKey(d)).join(',')}`,
      )
      this.fps.set(task.name, hash)
      return { hash }
    }
    const index = this.index
    let fp = computeFingerprint(task, {
      root: this.o.root,
      args: this.o.argsFor(task.name),
      env: this.o.env,
      depFingerprints: new Map(task.deps.map((d) => [d, this.depKey(d) ?? 'missing'])),
      discovered: task.depfile ? (discovered ?? this.o.discoveredInputs?.(task.name)) : undefined,
      checker: this.checker(task.fingerprint),
      ...(index && !walk && !this.tainted(task)
        ? { list: (cwd: string, patterns: readonly string[]) => index.list(cwd, patterns) }
        : { hints: index?.asOfHints() }),
    })
    if (this.wouldRestore.size && task.fingerprint === 'content') {
      // Dry run: files a dependency would restore are not on disk yet; count them as restored.
      const prev = this.o.previousInputs?.(task.name) ?? {}
      const overrides = new Map([...this.wouldRestore].filter(([path]) => path in prev))
      if (overrides.size) fp = withInputs(fp, overrides)
    }
    this.fps.set(task.name, fp.hash)
    return { hash: fp.hash, fp }
  }
}
