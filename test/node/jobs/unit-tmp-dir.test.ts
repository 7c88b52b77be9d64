import test, { type ExecutionContext } from 'ava'
import { lstat, mkdir, mkdtemp, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { silentLogger } from '../../../src/config/logger.js'
import { UnitTmpDir, type SweepFs } from '../../../node/jobs/unit-tmp-dir.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
/** The injected wall clock; file times are set around it with utimes. */
const NOW = Date.parse('2026-11-30T12:00:00Z')

async function buildsDir (t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-unit-tmp-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** A started UnitTmpDir at `<builds>/tmp`, its clock at NOW; `afterListing` runs each time a sweep has listed it. */
async function unitTmp (t: ExecutionContext, afterListing?: (dir: string) => Promise<void>): Promise<UnitTmpDir> {
  const dir = path.join(await buildsDir(t), 'tmp')
  const fs = afterListing == null ? {} : { fs: listingHook(dir, async () => { await afterListing(dir) }) }
  const tmp = new UnitTmpDir({ logger: silentLogger(), now: () => NOW, ...fs }, { dir })
  await tmp.start()
  return tmp
}

/** Writes `file` (making its dirs) and sets it, then each dir up to `root`, to `agoMs` before NOW, deepest first. */
async function leftAt (root: string, relative: string, agoMs: number): Promise<void> {
  const file = path.join(root, relative)
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, 'x')
  for (let at = file; at !== root; at = path.dirname(at)) await utimes(at, (NOW - agoMs) / 1000, (NOW - agoMs) / 1000)
}

async function entries (dir: string): Promise<string[]> {
  return (await readdir(dir)).sort()
}

/** The real file system calls, with `afterListing` run once the sweep has listed the units' temp dir. */
function listingHook (dir: string, afterListing: () => Promise<void>): SweepFs {
  return {
    readdir: async at => {
      const names = await readdir(at)
      if (at === dir) await afterListing()
      return names
    },
    lstat, rename, rm
  }
}

test('start empties what the JVMs of an earlier run left, and creates the dir when there is none', async t => {
  const dir = path.join(await buildsDir(t), 'tmp')
  await new UnitTmpDir({ logger: silentLogger() }, { dir }).start()
  t.deepEqual(await readdir(dir), [])
  await writeFile(path.join(dir, 'gradle-worker-classpath123txt'), 'x')
  await leftAt(dir, 'junit456/data', 0)
  const tmp = new UnitTmpDir({ logger: silentLogger() }, { dir })
  await tmp.start()
  t.deepEqual(await readdir(dir), [])
  t.is(tmp.javaTmpDir, dir)
})

test('a data dir Gradle\'s launch scripts cannot be given is reported once at start; units then get no tmpDir', async t => {
  const dir = path.join(await buildsDir(t), 'two  spaces', 'tmp')
  const logged: string[] = []
  const tmp = new UnitTmpDir({ logger: pino({ level: 'error' }, { write: (line: string) => { logged.push(line) } }) }, { dir })
  await tmp.start()
  t.is(tmp.javaTmpDir, undefined, 'the JVMs keep their default java.io.tmpdir')
  t.is(logged.length, 1)
  t.regex(logged[0] ?? '', /cannot be passed to Gradle/)
  await tmp.enter()()
  await tmp.stop()
})

test('once no unit runs, an entry goes only when nothing in it was modified for an hour: a reused dir with a recent file inside stays', async t => {
  const tmp = await unitTmp(t)
  const dir = tmp.dir
  await leftAt(dir, 'gradle-worker-classpath1txt', 3 * HOUR)
  await leftAt(dir, 'gradle2.bin', 2 * HOUR)
  await leftAt(dir, 'junit-old/run/data', 2 * HOUR)
  // a library's fixed-name dir of binaries: extracted long ago, one of them extracted again 5 minutes ago
  await leftAt(dir, 'native-libs/linux-x86-64/liba.so', 3 * HOUR)
  await leftAt(dir, 'native-libs/linux-x86-64/libb.so', 5 * MINUTE)
  await utimes(path.join(dir, 'native-libs'), (NOW - 3 * HOUR) / 1000, (NOW - 3 * HOUR) / 1000)
  await utimes(path.join(dir, 'native-libs', 'linux-x86-64'), (NOW - 3 * HOUR) / 1000, (NOW - 3 * HOUR) / 1000)
  await leftAt(dir, 'kotlin-daemon-client.alive', 10 * MINUTE) // of the idle daemon, from an earlier unit

  await tmp.enter()()
  t.deepEqual(await entries(dir), ['kotlin-daemon-client.alive', 'native-libs'])
  await tmp.stop()
})

test('while a unit runs, only the test JVMs\' classpath files older than an hour go; the rest waits until none runs', async t => {
  const tmp = await unitTmp(t)
  const dir = tmp.dir
  await leftAt(dir, 'gradle-worker-classpath1txt', 2 * HOUR)
  await leftAt(dir, 'gradle-worker-classpath2txt', MINUTE)
  await leftAt(dir, 'gradle3.bin', 2 * HOUR)
  // extracted hours ago and only read since: its mtimes say nothing about whether the running unit uses it
  await leftAt(dir, 'native-libs/liba.so', 2 * HOUR)
  const leaveA = tmp.enter()
  const leaveB = tmp.enter()

  await leaveB()
  t.deepEqual(await entries(dir), ['gradle-worker-classpath2txt', 'gradle3.bin', 'native-libs'], 'A still runs')
  await leaveA()
  t.deepEqual(await entries(dir), ['gradle-worker-classpath2txt'], 'none runs')
  await tmp.stop()
})

test('an entry modified deep inside after the sweep listed the dir stays', async t => {
  // the idle daemon writes into a dir of its own while the sweep goes through the dir's entries
  const tmp = await unitTmp(t, async dir => { await leftAt(dir, 'daemon-cache/a/b/new', MINUTE) })
  await leftAt(tmp.dir, 'daemon-cache/a/old', 2 * HOUR)
  await utimes(path.join(tmp.dir, 'daemon-cache'), (NOW - 2 * HOUR) / 1000, (NOW - 2 * HOUR) / 1000)
  await leftAt(tmp.dir, 'gradle1.bin', 2 * HOUR)

  await tmp.enter()()
  t.deepEqual(await entries(tmp.dir), ['daemon-cache'])
  await tmp.stop()
})

test('a unit that starts while a sweep goes through the dir keeps it from removing anything but old classpath files', async t => {
  let leaveLate: (() => Promise<void>) | undefined
  const tmp = await unitTmp(t, async () => { leaveLate ??= tmp.enter() })
  await leftAt(tmp.dir, 'gradle-worker-classpath1txt', 2 * HOUR)
  await leftAt(tmp.dir, 'gradle2.bin', 2 * HOUR)
  await leftAt(tmp.dir, 'native-libs/liba.so', 2 * HOUR)

  await tmp.enter()()
  t.deepEqual(await entries(tmp.dir), ['gradle2.bin', 'native-libs'], 'the late unit runs')
  await leaveLate?.()
  t.deepEqual(await entries(tmp.dir), [], 'none runs')
  await tmp.stop()
})

test('units that end while a sweep is under way share one more sweep', async t => {
  let listings = 0
  let ended: Promise<unknown> = Promise.resolve()
  const tmp = await unitTmp(t, async () => {
    if (listings++ === 0) ended = Promise.all(others.map(async leave => { await leave() }))
  })
  const first = tmp.enter()
  const others = Array.from({ length: 20 }, () => tmp.enter())
  await first()
  await ended
  await tmp.stop()
  t.is(listings, 2)
})
