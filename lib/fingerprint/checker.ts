/**
 * How input files enter a fingerprint: this interface, one implementation per mode
 * (`content.ts`, `mtime.ts`), and a factory that rejects unknown modes (`create-checker.ts`) — the
 * shape of go-task's `internal/fingerprint` (`checksum` and `timestamp` checkers). A leaf: the
 * implementations import it, it imports none of them.
 */

/** Digests input files. Paths are POSIX, relative to `root`; the result holds each file's digest, in the order of `files`. */
export interface FileChecker {
  readonly mode: 'content' | 'mtime'
  /**
   * @param hints digests known from git (content mode only; other modes ignore them)
   * @throws the fs error when a listed file cannot be read (a file deleted between glob and read).
   */
  digest(root: string, files: readonly string[], hints?: DigestHints): string[]
}

/** Digests a content checker may use instead of reading files (git blob ids from a snapshot). */
export interface DigestHints {
  /** Path -> digest, used without looking at the file (the snapshot is current for this task). */
  known?: ReadonlyMap<string, string>
  /**
   * Path -> digest as of a moment: used only for a file whose ctime and mtime are both older than
   * `beforeMs` (ms since the epoch), i.e. not written since; others are hashed (a task ran since the snapshot).
   */
  asOf?: { digests: ReadonlyMap<string, string>; beforeMs: number }
}
