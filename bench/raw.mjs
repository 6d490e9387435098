#!/usr/bin/env node
/**
 * Raw limits of the machine on a generated workspace, the floor each tool is compared with:
 *   node bench/raw.mjs walk <root>   list every file under packages/* /src (readdir, recursive)
 *   node bench/raw.mjs stat <root>   walk + lstat every file
 *   node bench/raw.mjs hash <root>   walk + read + SHA-256 (node:crypto) every file
 *   node bench/raw.mjs blob <root>   walk + read + git blob id (SHA-1 of `blob <size>\0` + bytes) every file
 * All synchronous, one process, no dependencies: the simplest loop node can run.
 * Prints `<files> files[, <digest of digests>]` on stdout.
 */
import { readdirSync, lstatSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'

const [mode, root = '.'] = process.argv.slice(2)
if (!['walk', 'stat', 'hash', 'blob'].includes(mode)) {
  process.stderr.write('usage: node bench/raw.mjs walk|stat|hash|blob <workspace>\n')
  process.exit(2)
}

const files = []
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) walk(p)
    else files.push(p)
  }
}
const pkgs = join(root, 'packages')
for (const p of readdirSync(pkgs)) walk(join(pkgs, p, 'src'))

if (mode === 'walk') {
  process.stdout.write(`${files.length} files\n`)
} else if (mode === 'stat') {
  let bytes = 0
  for (const f of files) bytes += lstatSync(f).size
  process.stdout.write(`${files.length} files, ${bytes} bytes\n`)
} else if (mode === 'blob') {
  const all = createHash('sha256')
  for (const f of files) {
    const data = readFileSync(f)
    all.update(createHash('sha1').update(`blob ${data.length}\0`).update(data).digest())
  }
  process.stdout.write(`${files.length} files, ${all.digest('hex')}\n`)
} else {
  const all = createHash('sha256')
  for (const f of files) all.update(createHash('sha256').update(readFileSync(f)).digest())
  process.stdout.write(`${files.length} files, ${all.digest('hex')}\n`)
}
