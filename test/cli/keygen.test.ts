import test from 'ava'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ExitCode } from '../../src/cli/main.js'
import { runGmesh } from '../helpers/gmesh-node.js'

/** A bound on a run that should end at once: a regression to the endless mkdir fails the test instead of hanging it (its process is stopped at teardown). */
async function within <T> (ms: number, run: Promise<T>): Promise<T | 'hung'> {
  let bound: NodeJS.Timeout | undefined
  const hung = new Promise<'hung'>(resolve => { bound = setTimeout(() => { resolve('hung') }, ms) })
  try {
    return await Promise.race([run, hung])
  } finally {
    clearTimeout(bound)
  }
}

const procFs = existsSync('/proc/self') ? test : test.skip

procFs('gmesh keygen into a directory /proc cannot make ends at once with exit code 2 and says so, not an endless mkdir', async t => {
  for (const file of ['/proc/self/gmesh-keygen/mesh.key', '/proc/gmesh-no-such-dir/sub/mesh.key']) {
    const result = await within(10_000, runGmesh(t, ['keygen', file]))
    if (result === 'hung') {
      t.fail(`${file}: still running after 10 s`)
      return
    }
    t.is(result.code, ExitCode.usage, result.stderr)
    t.regex(result.stderr, /^gmesh: cannot write swarm key \/proc\/\S+: its directory \/proc\/\S+ cannot be made \(E[A-Z]+\); choose a FILE in a directory that can be written\n$/)
  }
})

test('gmesh keygen under a file says that a file is in the way, with exit code 2, not a raw EEXIST or ENOTDIR', async t => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-keygen-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = path.join(dir, 'a-file')
  await writeFile(file, 'not a directory\n')
  const cases: Array<[string, RegExp]> = [
    [path.join(file, 'mesh.key'), /^gmesh: cannot write swarm key \S+\/a-file\/mesh\.key: \S+\/a-file is a file, not a directory; choose another FILE\n$/],
    [path.join(file, 'sub', 'mesh.key'), /^gmesh: cannot write swarm key \S+\/a-file\/sub\/mesh\.key: a directory above it is a file, not a directory; choose another FILE\n$/]
  ]
  for (const [key, message] of cases) {
    const result = await runGmesh(t, ['keygen', key])
    t.is(result.code, ExitCode.usage, result.stderr)
    t.regex(result.stderr, message)
    t.notRegex(result.stderr, /ENOTDIR|EEXIST/)
  }
})
