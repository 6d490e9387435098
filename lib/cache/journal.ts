/**
 * A keyed store kept as append-only journals plus one compacted snapshot, shared by every `tasks`
 * process of a project: the task states of `state.ts` (one line per stored or forgotten task instead
 * of a file per task and a temp file + rename per write).
 *
 * On disk, under its folder (e.g. `.tasks/state`):
 * - `journal/<ms>-<pid>-<start>-<n>.jsonl`: one file per writing process and store (`ms` its creation
 *   time, `pid` and `start` the owner's pid and process start time, as in `util/process.ts`, `n` a
 *   counter), created on the first write and appended to with one `write` per line. A line is
 *   `<16 hex> <json>\n`: the JSON is `{"j":1,"k":key,"s":seq,"t":ms,"v":value}` (a set) or
 *   `{"j":1,"k":key,"s":seq,"t":ms,"d":1}` (a delete), and the hex its SHA-256's first 16 digits.
 *   Every line stands alone (encoded and decoded by `journal-codec.ts`) and is verified on read: a torn last line (`kill -9` or a full disk mid
 *   write) or a corrupt one is ignored, the lines around it are kept.
 * - `snapshot.json`: `{"v":1,"entries":[[key,seq,ms,value|null],...]}` (null: deleted), replaced
 *   atomically (temp file, fsync, rename) by a compaction.
 *
 * What a key holds is the entry with the highest `seq` among the snapshot and all journals (ties:
 * the later `ms`). A writer numbers its entry one above the highest it knows for the key; writers of
 * one key are serialized by the caller (the task lock of `process/lock.ts`) and {@link KeyedJournal.get}
 * reads what other processes appended since the last look, so a delete after a failure always
 * outranks the set it undoes. Deletes are kept (as `null`) through compaction for the same reason.
 * That look is cheap: `journal/generation` gains a byte each time a journal is created (before its
 * first line) and each time a compaction has replaced the snapshot (before it deletes journals), so
 * a `stat` of it tells whether to list the folder and look at the snapshot again; then a `stat` of
 * each journal of a live process (only appended bytes are read).
 *
 * Compaction ({@link KeyedJournal.close}, at the end of a run, when due) merges the journals of
 * processes that no longer run (and this store's own, closed) into a new snapshot, then deletes
 * them; it runs under a lock (the caller's, e.g. a `process/lock.ts` lock file whose crashed holder is
 * taken over) and skips when another process holds it. A journal is deleted only after the snapshot
 * holding its entries is in place, so a crash at any point leaves entries at worst twice (merging is
 * idempotent), never lost. A journal of a live process is never deleted (its owner still appends).
 */
import {
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { ensureDir, writeFileAtomic } from '../util/fs.js'
import { OWN_START_TIME, isProcessAlive } from '../util/process.js'
import { JOURNAL_NAME, decodeLines, decodeSnapshot, encodeLine, statId, type JournalEntry } from './journal-codec.js'

/** Compact when this many journals (of dead processes, plus this store's own) can be merged. */
export const COMPACT_JOURNALS = 8
/** Largest snapshot or journal read, bytes (a larger one is ignored: its keys read as absent). */
export const MAX_JOURNAL_BYTES = 256 * 1024 * 1024

/** What a {@link KeyedJournal} needs. */
export interface JournalOptions<T> {
  /** Validate a value read from disk for `key`; undefined: refused (the key reads as absent). Never throws. */
  parse(key: string, raw: unknown): T | undefined
  /**
   * The layout before journals, read until the first compaction has imported it: `get(key)` for a
   * key nothing newer knows, `list()` every value it holds (the import), `remove(keys)` its files
   * once the snapshot holds them.
   */
  legacy?: {
    exists(): boolean
    get(key: string): T | undefined
    list(): Iterable<T & object>
    keyOf(value: T): string
    remove(): void
  }
  /** Take the compaction lock without waiting; undefined when another live process holds it. Without this option nothing is compacted. */
  lock?: () => { release(): void } | undefined
}

/** Journals this process created (a process-wide counter: names never repeat) and those it closed (mergeable while it still runs: watch mode's earlier runs). */
let journals = 0
const closedJournals = new Set<string>()

/** The journals and snapshot in one folder; see the module comment. Not safe for use by two stores of one key at once without the caller's lock. */
export class KeyedJournal<T> {
  private readonly jdir: string
  private readonly snapshotFile: string
  private readonly genFile: string
  /** Identity of the generation file when the journal folder was last listed. */
  private gen: string | undefined
  private readonly entries = new Map<string, JournalEntry>()
  /** Bytes consumed (up to the last newline) of each other journal seen. */
  private readonly offsets = new Map<string, number>()
  private snapshotId: string | undefined
  private snapshotSize = 0
  private snapshotBad = false
  private loaded = false
  private legacyOn = false
  private own: { name: string; fd: number } | undefined
  private readonly ownNames = new Set<string>()
  /** Other journals read to their end whose owner no longer runs: they cannot grow, so are not looked at again. */
  private readonly finished = new Set<string>()

  /** @param dir the folder, e.g. `<root>/.tasks/state` */
  constructor(
    readonly dir: string,
    private readonly o: JournalOptions<T>,
  ) {
    this.jdir = join(dir, 'journal')
    this.snapshotFile = join(dir, 'snapshot.json')
    this.genFile = join(this.jdir, 'generation')
  }

  /** The key's current value (what other processes wrote since the last look included), or undefined (never set, deleted, unreadable). */
  get(key: string): T | undefined {
    this.refresh()
    const e = this.entries.get(key)
    if (!e) return this.legacyOn ? this.o.legacy!.get(key) : undefined
    if (e.deleted) return undefined
    if (e.parsed === undefined) e.parsed = this.o.parse(key, e.raw) ?? null
    return (e.parsed ?? undefined) as T | undefined
  }

  /**
   * Every key's current value (what other processes wrote since the last look included, the legacy
   * files' before the first compaction), in no particular order; invalid and deleted ones left out.
   * For whole-store readers such as the cache's garbage collector.
   */
  *values(): Generator<T> {
    this.refresh()
    for (const [key, e] of this.entries) {
      if (e.deleted) continue
      if (e.parsed === undefined) e.parsed = this.o.parse(key, e.raw) ?? null
      if (e.parsed !== null) yield e.parsed as T
    }
    if (this.legacyOn) for (const v of this.o.legacy!.list()) if (!this.entries.has(this.o.legacy!.keyOf(v))) yield v
  }

  /** Record `value` for `key` (one line appended to this store's journal). @throws the fs error when the journal cannot be written. */
  set(key: string, value: T): void {
    this.append(key, value)
  }

  /** Record that `key` holds nothing (it outranks every earlier set). @throws the fs error when the journal cannot be written. */
  delete(key: string): void {
    this.append(key, undefined)
  }

  /**
   * End of use: close this store's journal, then compact when due (no snapshot yet or an unreadable
   * one, at least {@link COMPACT_JOURNALS} mergeable journals, or mergeable journals at least half
   * the snapshot's size) and the lock is free. Never throws: a failed compaction leaves the journals,
   * merged by a later one.
   */
  close(): void {
    this.dropOwn()
    if (!this.o.lock) return
    try {
      this.compactIfDue()
    } catch {}
  }

  /**
   * Merge the snapshot, every journal and (before the first compaction) the legacy files into a new
   * snapshot, then delete the journals of dead processes and this store's own, and the legacy files.
   * Only with the lock held (see {@link JournalOptions.lock}); this store must be closed.
   * @returns false when the lock is held elsewhere or there was nothing to do
   * @throws the fs error when the snapshot cannot be written (nothing is deleted then)
   */
  compact(): boolean {
    const lock = this.o.lock?.()
    if (!lock) return false
    try {
      // Listed before reading: every journal deleted below has been read to its end first.
      const mergeable = this.mergeable()
      this.refresh()
      const legacy = this.legacyOn
      if (legacy)
        for (const v of this.o.legacy!.list()) {
          const key = this.o.legacy!.keyOf(v)
          if (!this.entries.has(key)) this.entries.set(key, { s: 0, t: 0, raw: v, deleted: false })
        }
      const rows: unknown[] = []
      for (const [k, e] of this.entries) {
        if (e.deleted) rows.push([k, e.s, e.t, null])
        else {
          if (e.parsed === undefined) e.parsed = this.o.parse(k, e.raw) ?? null
          // An invalid value is dropped: the key then reads as absent, as it did.
          if (e.parsed !== null) rows.push([k, e.s, e.t, e.raw])
        }
      }
      writeFileAtomic(this.snapshotFile, JSON.stringify({ v: 1, entries: rows }), 0o644, true)
      this.snapshotId = statId(this.snapshotFile)
      this.snapshotBad = false
      // Readers look at the snapshot again only after a new generation. Until the journals are
      // deleted (below), one that missed it (a crash before this line) still has every entry.
      ensureDir(this.jdir)
      this.bumpGeneration()
      for (const name of mergeable) {
        try {
          unlinkSync(join(this.jdir, name))
        } catch {}
        this.offsets.delete(name)
        this.finished.delete(name)
        this.ownNames.delete(name)
        closedJournals.delete(name)
      }
      if (legacy) {
        this.legacyOn = false
        try {
          this.o.legacy!.remove()
        } catch {}
      }
      return true
    } finally {
      lock.release()
    }
  }

  /** Journals that may be merged and deleted now: this store's own (closed) and those of processes that no longer run. */
  private mergeable(): string[] {
    let names: string[]
    try {
      names = readdirSync(this.jdir)
    } catch {
      return []
    }
    return names.filter((name) => {
      if (this.own?.name === name) return false
      if (this.ownNames.has(name) || closedJournals.has(name) || this.finished.has(name)) return true
      const m = JOURNAL_NAME.exec(name)
      return !!m && !isProcessAlive(Number(m[2]), m[3])
    })
  }

  private compactIfDue(): void {
    const mergeable = this.mergeable()
    this.refresh()
    if (!mergeable.length && !this.legacyOn) return
    let bytes = 0
    for (const name of mergeable) {
      try {
        bytes += statSync(join(this.jdir, name)).size
      } catch {}
    }
    const due =
      this.snapshotId === undefined ||
      this.snapshotBad ||
      mergeable.length >= COMPACT_JOURNALS ||
      bytes * 2 >= this.snapshotSize
    if (due) this.compact()
  }

  private append(key: string, value: T | undefined): void {
    // A set follows the caller's get under its lock (fresh already); a delete looks again, as it must
    // outrank every set (a too-low number on a set only loses the set: a miss, never a stale hit).
    if (!this.loaded || value === undefined) this.refresh()
    const prev = this.entries.get(key)
    const entry: JournalEntry = { s: (prev?.s ?? 0) + 1, t: Date.now(), raw: value, deleted: value === undefined }
    const line = encodeLine(key, entry.s, entry.t, value)
    const own = this.ownJournal()
    let written = 0
    try {
      written = writeSync(own.fd, line)
    } catch (err) {
      this.dropOwn()
      throw err
    }
    if (written !== line.length) {
      // A short write (a full disk): the torn line is ignored on read; later lines go to a new journal.
      this.dropOwn()
      throw new Error(`short write to ${join(this.jdir, own.name)} (${written} of ${line.length} bytes)`)
    }
    if (value !== undefined) entry.parsed = value
    this.entries.set(key, entry)
  }

  /** This store's journal, created (and its folder) on first use. */
  private ownJournal(): { name: string; fd: number } {
    if (this.own) return this.own
    const name = `${Date.now()}-${process.pid}-${OWN_START_TIME}-${++journals}.jsonl`
    const file = join(this.jdir, name)
    let fd: number
    try {
      fd = openSync(file, 'a', 0o644)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      ensureDir(this.jdir, true)
      fd = openSync(file, 'a', 0o644)
    }
    this.ownNames.add(name)
    this.own = { name, fd }
    // Before any line of the new journal: a reader that sees the line sees the new generation first.
    try {
      this.bumpGeneration()
    } catch (err) {
      this.dropOwn()
      throw err
    }
    return this.own
  }

  /** Append a byte to the generation file (created if missing): readers then list the folder and look at the snapshot again. */
  private bumpGeneration(): void {
    const g = openSync(this.genFile, 'a', 0o644)
    try {
      writeSync(g, '.')
    } finally {
      closeSync(g)
    }
  }

  private dropOwn(): void {
    if (!this.own) return
    try {
      closeSync(this.own.fd)
    } catch {}
    closedJournals.add(this.own.name)
    this.own = undefined
  }

  /**
   * Read what changed on disk since the last look: new journals, appended lines, a new snapshot.
   * The generation file gains a byte when a journal is created (before its first line) and when a
   * compaction has written a snapshot (before it deletes journals), so only when it changed are the
   * folder listed and the snapshot looked at; else a look is that `stat` plus one per journal of a
   * live process (whose appended bytes are read).
   */
  private refresh(): void {
    const gen = statId(this.genFile)
    let vanished = false
    let full = !this.loaded || gen === undefined || gen !== this.gen
    if (full) {
      // Read before listing: a journal created after the listing changes it again.
      this.gen = gen
      let names: string[]
      try {
        names = readdirSync(this.jdir)
      } catch {
        names = []
      }
      const seen = new Set<string>()
      for (const name of names) {
        if (this.ownNames.has(name) || !JOURNAL_NAME.test(name)) continue
        seen.add(name)
        if (this.finished.has(name)) continue
        if (!this.readJournal(name)) vanished = true
      }
      for (const name of this.offsets.keys())
        if (!seen.has(name)) {
          this.offsets.delete(name)
          this.finished.delete(name)
          vanished = true
        }
    } else {
      for (const name of [...this.offsets.keys()])
        if (!this.finished.has(name) && !this.readJournal(name)) {
          this.offsets.delete(name)
          vanished = true
        }
      full = vanished
    }
    if (!full) return
    // A journal that vanished was merged into a snapshot written before it was deleted: read that.
    const id = statId(this.snapshotFile)
    if (!this.loaded || vanished || id !== this.snapshotId) this.readSnapshot(id)
    if (!this.loaded) {
      this.loaded = true
      this.legacyOn = id === undefined && !!this.o.legacy?.exists()
    } else if (id !== undefined) this.legacyOn = false
  }

  /**
   * Apply the lines appended to journal `name` since the last read (a journal seen for the first
   * time whose owner no longer runs is read once, then marked finished).
   * @returns false when it is gone
   */
  private readJournal(name: string): boolean {
    const file = join(this.jdir, name)
    const known = this.offsets.has(name)
    const from = this.offsets.get(name) ?? 0
    if (!known) {
      this.offsets.set(name, 0)
      const m = JOURNAL_NAME.exec(name)!
      if (closedJournals.has(name) || !isProcessAlive(Number(m[2]), m[3])) this.finished.add(name)
    }
    let fd: number
    try {
      const size = statSync(file).size
      if (size === from) return true
      fd = openSync(file, 'r')
    } catch {
      return false
    }
    try {
      let size = fstatSync(fd).size
      // A journal that shrank was rewritten by hand: read it again from the start.
      const start = size < from ? 0 : from
      if (size - start > MAX_JOURNAL_BYTES) size = start + MAX_JOURNAL_BYTES
      if (size <= start) return true
      const buf = Buffer.allocUnsafe(size - start)
      let got = 0
      while (got < buf.length) {
        const r = readSync(fd, buf, got, buf.length - got, start + got)
        if (r === 0) break
        got += r
      }
      const end = got ? buf.lastIndexOf(0x0a, got - 1) : -1
      // No complete line yet (or a torn one of a dead process): nothing to apply.
      if (end >= 0) {
        decodeLines(buf.toString('utf8', 0, end), (k, e) => this.apply(k, e))
        this.offsets.set(name, start + end + 1)
      }
      return true
    } catch {
      return true
    } finally {
      closeSync(fd)
    }
  }

  /** Keep `e` for `key` when it outranks what is known (higher seq, then later time). */
  private apply(key: string, e: JournalEntry): void {
    const cur = this.entries.get(key)
    if (!cur || e.s > cur.s || (e.s === cur.s && e.t > cur.t)) this.entries.set(key, e)
  }

  /** Read the snapshot (`id`: its identity, undefined when missing) and merge it in. */
  private readSnapshot(id: string | undefined): void {
    this.snapshotId = id
    this.snapshotBad = false
    this.snapshotSize = 0
    if (id === undefined) return
    let json: unknown
    try {
      const text = readFileSync(this.snapshotFile, 'utf8')
      this.snapshotSize = text.length
      if (text.length > MAX_JOURNAL_BYTES) throw new Error('too large')
      json = JSON.parse(text)
    } catch {
      this.snapshotBad = true
      return
    }
    if (!decodeSnapshot(json, (k, e) => this.apply(k, e))) this.snapshotBad = true
  }
}
