/**
 * The `java.io.tmpdir` of the Gradle JVMs that run this node's units (`<builds>/tmp`), instead of /tmp. Gradle 4.x
 * writes a classpath file there for every test JVM and never removes it, and leaves its dependency resolution
 * results (`gradle*.bin`) whenever a build's JVM is killed (a cancelled unit's daemon, a node stopping). One
 * directory for every unit: the daemons of the node's Gradle user home are reused only by builds with the same one.
 *
 * It is emptied at start, when nothing of an earlier run can write there. After that, what a JVM put there may be
 * in use however old it looks: a library extracts its binaries once into a fixed-name dir and every later JVM only
 * reads them (reading changes no mtime), the idle daemon and its helpers keep files from earlier units, and the
 * wall clock may step. So when a unit ends, an entry goes only once nothing in it was modified for an hour and
 * no unit runs, checked again just before it goes. The test JVMs' classpath files, thousands a day on a busy
 * node, are read only as their JVM starts: those go after an hour even while units run, so a node never idle
 * still keeps the dir small.
 */
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '../../src/config/logger.js'
import { tmpDirOption, UnquotableTmpDirError } from '../../src/gradle/runner.js'

/** An entry nothing was modified in for this long is taken as a left-over (default of `maxAgeMs`). */
const MAX_AGE_MS = 60 * 60_000
/** The most entries a sweep looks at inside one top-level directory; one holding more is kept, as if in use. */
const MAX_WALKED = 10_000
/** A test JVM's classpath file: Gradle 4.x writes one per JVM, which reads it as it starts, and never removes it. */
const WORKER_CLASSPATH_FILE = /^gradle-worker-classpath\d+txt$/

/** The file system calls of a sweep. */
export interface SweepFs {
  readdir: (dir: string) => Promise<string[]>
  lstat: (file: string) => Promise<{ mtimeMs: number, isDirectory: () => boolean }>
  rename: (from: string, to: string) => Promise<void>
  rm: (file: string, options: { recursive: true, force: true }) => Promise<void>
}

const nodeFs: SweepFs = { readdir: async dir => await readdir(dir), lstat, rename, rm }

export interface UnitTmpDirComponents {
  logger: Logger
  /** The wall clock, which stamps the files' mtimes (default Date.now). */
  now?: () => number
  fs?: SweepFs
}

export interface UnitTmpDirInit {
  dir: string
  /** How long nothing in an entry must have been modified before a sweep removes it (default an hour). */
  maxAgeMs?: number
}

export class UnitTmpDir {
  readonly dir: string
  private readonly maxAgeMs: number
  private readonly now: () => number
  private readonly fs: SweepFs
  private running = 0
  private usable = false
  /** The last sweep asked for, and the one that has not begun listing yet (later requests join it). */
  private last: Promise<void> = Promise.resolve()
  private queued: Promise<void> | undefined

  constructor (private readonly components: UnitTmpDirComponents, init: UnitTmpDirInit) {
    this.dir = init.dir
    this.maxAgeMs = init.maxAgeMs ?? MAX_AGE_MS
    this.now = components.now ?? Date.now
    this.fs = components.fs ?? nodeFs
  }

  /** The units' java.io.tmpdir; undefined when Gradle's launch scripts cannot be given it (the JVM's default then). */
  get javaTmpDir (): string | undefined {
    return this.usable ? this.dir : undefined
  }

  /** Checks that the dir can be passed to Gradle and empties it: no unit runs yet, whatever is there is garbage. */
  async start (): Promise<void> {
    try {
      tmpDirOption(this.dir)
    } catch (err) {
      if (!(err instanceof UnquotableTmpDirError)) throw err
      // every unit would fail on it: better their temp files in /tmp than no unit built here
      this.components.logger.error({ err, dir: this.dir }, 'units\' Gradle JVMs keep their temp files in the JVM\'s default dir: the data dir\'s path cannot be passed to Gradle')
      return
    }
    await rm(this.dir, { recursive: true, force: true })
    await mkdir(this.dir, { recursive: true })
    this.usable = true
  }

  /** Waits for the sweeps asked for. */
  async stop (): Promise<void> {
    await this.last
  }

  /** A unit starts building. The returned function says it ended and sweeps; its promise never rejects. */
  enter (): () => Promise<void> {
    this.running++
    let ended = false
    return async () => {
      if (ended) return
      ended = true
      this.running--
      await this.sweepSoon()
    }
  }

  /** A sweep that lists the dir after this call: the one waiting to begin, or a new one after the last. */
  private async sweepSoon (): Promise<void> {
    if (!this.usable) return
    if (this.queued === undefined) {
      this.queued = this.last.then(async () => {
        this.queued = undefined
        await this.sweep()
      })
      this.last = this.queued
    }
    await this.queued
  }

  private async sweep (): Promise<void> {
    let names: string[]
    try {
      names = await this.fs.readdir(this.dir)
    } catch (err) {
      this.components.logger.warn({ err, dir: this.dir }, 'could not list the units\' temp dir')
      return
    }
    let removed = 0
    for (const name of names) {
      try {
        if (await this.removeIfUnused(name)) removed++
      } catch (err) {
        // ENOENT: it went (or something in it changed) while it was looked at
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.components.logger.warn({ err, entry: path.join(this.dir, name) }, 'could not remove a unit temp file')
      }
    }
    if (removed > 0) this.components.logger.debug({ removed, dir: this.dir }, 'removed temp files of units that ended')
  }

  /** Removes the entry if nothing in it was modified for maxAgeMs and no unit may read it; true if it did. */
  private async removeIfUnused (name: string): Promise<boolean> {
    const readByUnits = (): boolean => this.running > 0 && !WORKER_CLASSPATH_FILE.test(name)
    if (readByUnits()) return false
    const entry = path.join(this.dir, name)
    const newest = await newestMtime(this.fs, entry)
    if (newest === undefined || newest > this.now() - this.maxAgeMs) return false
    // a unit may have started while the entry was walked
    if (readByUnits()) return false
    // out of the way in one step: a unit starting now finds it gone, not half deleted
    const doomed = path.join(this.dir, `.swept-${randomBytes(6).toString('hex')}`)
    await this.fs.rename(entry, doomed)
    await this.fs.rm(doomed, { recursive: true, force: true })
    return true
  }
}

/** The newest mtime of `entry` and anything inside it; undefined if it holds more than MAX_WALKED entries. */
async function newestMtime (fs: SweepFs, entry: string): Promise<number | undefined> {
  let newest = -Infinity
  let seen = 1
  const pending = [entry]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const stats = await fs.lstat(next)
    newest = Math.max(newest, stats.mtimeMs)
    if (!stats.isDirectory()) continue
    const inside = await fs.readdir(next)
    seen += inside.length
    if (seen > MAX_WALKED) return undefined
    const dir = next
    pending.push(...inside.map(name => path.join(dir, name)))
  }
  return newest
}
