import test, { type ExecutionContext } from 'ava'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { silentLogger } from '../../../src/config/logger.js'
import { UnitTmpDir } from '../../../node/jobs/unit-tmp-dir.js'

const HOUR = 3600_000

async function builds (t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-unit-tmp-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** A file (or, with `dir`, a directory) last modified at `mtimeMs`, as a JVM of a unit would have left it. */
async function leftAt (file: string, mtimeMs: number, dir = false): Promise<void> {
  if (dir) await mkdir(file)
  else await writeFile(file, 'x')
  await utimes(file, mtimeMs / 1000, mtimeMs / 1000)
}

test('start empties what the JVMs of an earlier run left, and creates the dir when there is none', async t => {
  const root = await builds(t)
  const dir = path.join(root, 'tmp')
  await new UnitTmpDir(dir, silentLogger()).start()
  t.deepEqual(await readdir(dir), [])
  await writeFile(path.join(dir, 'gradle-worker-classpath123txt'), 'x')
  await mkdir(path.join(dir, 'junit456'))
  await writeFile(path.join(dir, 'junit456', 'data'), 'x')
  await new UnitTmpDir(dir, silentLogger()).start()
  t.deepEqual(await readdir(dir), [])
})

test('a unit that ends removes what no running unit can use: older than the oldest running unit, and everything once none runs', async t => {
  const dir = path.join(await builds(t), 'tmp')
  const t0 = Date.now()
  let now = t0 - 2 * HOUR
  const tmp = new UnitTmpDir(dir, silentLogger(), () => now)
  await tmp.start()
  await leftAt(path.join(dir, 'gradle111.bin'), t0 - 3 * HOUR) // of a unit that ended long ago
  const leaveA = tmp.enter()
  await leftAt(path.join(dir, 'gradle-worker-classpath-a'), t0 - 90 * 60_000)
  now = t0 - HOUR
  const leaveB = tmp.enter()
  await leftAt(path.join(dir, 'junit-b'), t0 - 30 * 60_000, true)

  now = t0
  await leaveB()
  t.deepEqual((await readdir(dir)).sort(), ['gradle-worker-classpath-a', 'junit-b'], 'A still runs: only what predates it goes')

  await leftAt(path.join(dir, 'just-written'), t0) // by a unit starting while the sweep runs
  await leaveA()
  t.deepEqual(await readdir(dir), ['just-written'], 'no unit runs: everything older than the sweep goes')
  await tmp.stop()
})
