// `tasks completion bash|zsh|fish`: real shells load the scripts and complete task names (also
// with `:` in them), flags and workspace names, from the config of the folder they run in.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fixture, needs, CLI } from '../rig.mjs'

/** A monorepo with root tasks, recipe-like names with `:`, and two workspaces; `tasks` on PATH. */
function setup() {
  const f = fixture({
    'tasks.config.mjs':
      "export default { workspaces: ['pkgs/*'], tasks: { build: { run: 'true' }, 'go:api': { run: 'true' }, 'go:api:linux/amd64': { run: 'true' }, deploy: { run: 'true' } } }\n",
    'pkgs/web/package.json': '{"name":"web"}',
    'pkgs/web/tasks.config.mjs': "export default { tasks: { bundle: { run: 'true' } } }\n",
    'pkgs/api/package.json': '{"name":"api"}',
    'pkgs/api/tasks.config.mjs': "export default { tasks: { serve: { run: 'true' } } }\n",
  })
  const bin = f.path('.bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'tasks'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`)
  chmodSync(join(bin, 'tasks'), 0o755)
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CI: 'true', NO_COLOR: '1' }
  return { f, env }
}

/** Complete `line` (cursor at its end) in bash, in folder `cwd`; returns COMPREPLY. */
function bashComplete(cwd, env, line) {
  const words = line.split(/\s+/)
  const script = `source <(tasks completion bash)
complete -p tasks
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}
COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}
_tasks_complete
printf 'reply:%s\\n' "\${COMPREPLY[@]}"`
  const r = spawnSync('bash', ['-c', script], { cwd, env, encoding: 'utf8' })
  assert.is(r.status, 0, r.stderr)
  return {
    spec: r.stdout.split('\n')[0],
    reply: r.stdout
      .split('\n')
      .filter((l) => l.startsWith('reply:'))
      .map((l) => l.slice(6))
      .filter(Boolean)
      .sort(),
  }
}

needs(['bash'])('bash: task names, names with `:`, flags, --filter workspaces, short names inside a workspace', () => {
  const { f, env } = setup()
  try {
    const b = bashComplete(f.dir, env, 'tasks b')
    assert.is(b.spec, 'complete -o default -F _tasks_complete tasks')
    assert.equal(b.reply, ['build', 'bundle'])
    // COMP_WORDBREAKS splits at ':': the reply holds what follows the last ':' of the word.
    assert.equal(bashComplete(f.dir, env, 'tasks go:a').reply, ['api', 'api:linux/amd64'])
    assert.equal(bashComplete(f.dir, env, 'tasks web#').reply, ['web#bundle'])
    assert.equal(bashComplete(f.dir, env, 'tasks --fil').reply, ['--filter'])
    assert.equal(bashComplete(f.dir, env, 'tasks --filter ').reply, ['api', 'web'])
    assert.equal(bashComplete(f.dir, env, 'tasks --graph m').reply, ['mermaid'])
    assert.equal(bashComplete(f.dir, env, 'tasks in').reply, ['init'])
    assert.equal(bashComplete(f.dir, env, 'tasks import tasks.conf').reply, ['tasks.config.mjs'])
    assert.equal(bashComplete(f.path('pkgs/api'), env, 'tasks se').reply, ['serve'])
    // --cwd given earlier on the line is where the names come from.
    assert.equal(bashComplete('/', env, `tasks --cwd ${f.dir} dep`).reply, ['deploy'])
  } finally {
    f.cleanup()
  }
})

needs(['zsh'])('zsh: the script loads under compinit and registers _tasks', () => {
  const { f, env } = setup()
  try {
    const r = spawnSync(
      'zsh',
      [
        '-f',
        '-c',
        'autoload -U compinit; compinit -u -D; source <(tasks completion zsh); print -r -- $_comps[tasks]; _tasks_words=( ${(f)"$(command tasks __complete tasks)"} ); print -r -- ${(j:,:)_tasks_words}',
      ],
      { cwd: f.dir, env, encoding: 'utf8' },
    )
    assert.is(r.status, 0, r.stderr)
    const [fn, names] = r.stdout.trim().split('\n')
    assert.is(fn, '_tasks')
    assert.ok(names.split(',').includes('web#bundle') && names.split(',').includes('go:api'), names)
  } finally {
    f.cleanup()
  }
})

needs(['fish'])('fish: `complete -C` lists task names, flags and workspaces', () => {
  const { f, env } = setup()
  try {
    const complete = (line) => {
      const r = spawnSync(
        'fish',
        ['--no-config', '-c', `tasks completion fish | source; complete -C ${JSON.stringify(line)}`],
        { cwd: f.dir, env, encoding: 'utf8' },
      )
      assert.is(r.status, 0, r.stderr)
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0])
        .sort()
    }
    assert.equal(complete('tasks go:'), ['go:api', 'go:api:linux/amd64'])
    assert.ok(complete('tasks --con').includes('--concurrency'))
    assert.equal(complete('tasks --filter '), ['api', 'web'])
  } finally {
    f.cleanup()
  }
})

test.run()
