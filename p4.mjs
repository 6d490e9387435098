import { execute } from '@yarnpkg/shell'
import { PassThrough } from 'node:stream'
const out = new PassThrough(); out.on('data', (c) => process.stdout.write('[out]' + c))
const err = new PassThrough(); err.on('data', (c) => process.stdout.write('[err]' + c))
process.on('uncaughtException', (e) => console.log('UNCAUGHT', e.message))
for (const cmd of ['echo a > /nonexist/dir/x.txt', 'cat < /nonexist', 'cd /nonexist', "echo 'a'\\''b'"]) {
  try { const code = await execute(cmd, [], { stdout: out, stderr: err, stdin: null }); console.log('code', code) } catch (e) { console.log('rejected', e.message) }
}
