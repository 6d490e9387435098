// A file-backed local tier implementing the engine v2 contract that TieredCache consumes
// (docs/ENGINE-V2.md: get/has/put/restore + readBlob/writeBlob/importEntry), for the library-level
// remote tests: blobs in <dir>/cas/<sha256>, entries in <dir>/ac/<fingerprint>.json, real output
// files under the project root. It validates, verifies by SHA-256 and writes nothing on a refusal.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync, existsSync, lstatSync, readlinkSync, symlinkSync, rmSync, chmodSync } from 'node:fs'
import { dirname, join } from 'node:path'

const sha = (b) => createHash('sha256').update(b).digest('hex')
const HEX = /^[0-9a-f]{64}$/

/** The shape check TieredCache is given (the engine's parseActionResult plays this role after the merge). */
export function validate(json) {
  if (!json || typeof json !== 'object') return { error: 'not an object' }
  if (!HEX.test(json.fingerprint)) return { error: 'fingerprint is not a SHA-256' }
  if (!Array.isArray(json.outputs)) return { error: 'outputs is not a list' }
  for (const o of json.outputs) {
    if (typeof o.path !== 'string' || !o.path || o.path.startsWith('/') || o.path.split('/').includes('..')) return { error: `bad output path ${JSON.stringify(o.path)}` }
    if (o.type === 'file' ? !HEX.test(o.hash) : o.type !== 'symlink') return { error: `bad output ${o.path}` }
  }
  if (json.log !== null && !HEX.test(json.log)) return { error: 'bad log hash' }
  return json
}

export class FileTier {
  constructor(dir) { this.dir = dir; mkdirSync(join(dir, 'cas'), { recursive: true }); mkdirSync(join(dir, 'ac'), { recursive: true }) }
  async get(fp) {
    try { const e = validate(JSON.parse(readFileSync(join(this.dir, 'ac', `${fp}.json`), 'utf8'))); return e.error ? undefined : { entry: e, source: 'local' } } catch { return undefined }
  }
  async has(fps) { return new Set(fps.filter((f) => existsSync(join(this.dir, 'ac', `${f}.json`)))) }
  async writeBlob(data) { const h = sha(data); const p = join(this.dir, 'cas', h); if (!existsSync(p)) writeFileSync(p, data); return h }
  async readBlob(h) { try { const d = readFileSync(join(this.dir, 'cas', h)); return sha(d) === h ? d : undefined } catch { return undefined } }
  async put(root, input, files, log) {
    const outputs = []
    for (const path of files) {
      const abs = join(root, path), st = lstatSync(abs)
      if (st.isSymbolicLink()) outputs.push({ path, type: 'symlink', target: readlinkSync(abs) })
      else { const d = readFileSync(abs); outputs.push({ path, type: 'file', mode: st.mode & 0o777, size: d.length, hash: await this.writeBlob(d) }) }
    }
    const entry = { fingerprint: input.fingerprint, task: input.task, exitCode: 0, durationMs: input.durationMs ?? 1, outputs, log: log.length ? await this.writeBlob(log) : null, recordBlob: await this.writeBlob(Buffer.from(JSON.stringify({ task: input.task }))) }
    writeFileSync(join(this.dir, 'ac', `${entry.fingerprint}.json`), JSON.stringify(entry))
    return entry
  }
  async importEntry(entry, blobs) {
    const e = validate(entry)
    if (e.error) throw new Error(e.error)
    for (const [h, b] of blobs) if (sha(b) !== h) throw new Error(`blob ${h} does not match`)
    for (const b of blobs.values()) await this.writeBlob(b)
    writeFileSync(join(this.dir, 'ac', `${entry.fingerprint}.json`), JSON.stringify(entry))
  }
  async restore(root, hit) {
    const e = hit.entry
    for (const o of e.outputs) if (o.type === 'file' && !(await this.readBlob(o.hash))) return { ok: false, reason: `blob of ${o.path} missing` }
    for (const o of e.outputs) {
      const abs = join(root, o.path)
      mkdirSync(dirname(abs), { recursive: true })
      rmSync(abs, { force: true })
      if (o.type === 'file') { writeFileSync(abs, await this.readBlob(o.hash)); chmodSync(abs, o.mode) } else symlinkSync(o.target, abs)
    }
    return { ok: true, restored: e.outputs.length, log: e.log ? await this.readBlob(e.log) : Buffer.alloc(0) }
  }
}
