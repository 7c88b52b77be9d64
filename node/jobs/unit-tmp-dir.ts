/**
 * The `java.io.tmpdir` of the Gradle JVMs that run this node's units (`<builds>/tmp`), instead of /tmp. Gradle 4.x
 * writes a classpath file there for every test JVM and never removes it, and leaves its dependency resolution
 * results (`gradle*.bin`) whenever a build's JVM is killed (a cancelled unit's daemon, a node stopping). One
 * directory for every unit: the daemons of the node's Gradle user home are reused only by builds with the same one.
 *
 * It is emptied at start, and kept to what the running units may still use: when a unit ends, whatever was last
 * modified before the oldest running unit started (before this sweep, once no unit runs) is removed.
 */
import { lstat, mkdir, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '../../src/config/logger.js'

/** Files are stamped by a coarse kernel clock, a few ms behind Date.now(): a unit's first files may predate its start by that much. */
const CLOCK_SLACK_MS = 1000

export class UnitTmpDir {
  /** Start times of the units building now, by token. */
  private readonly running = new Map<symbol, number>()
  private sweeping: Promise<void> = Promise.resolve()

  constructor (readonly dir: string, private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  /** Empties the directory: no unit runs yet, so whatever an earlier run's JVMs left is garbage. */
  async start (): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
    await mkdir(this.dir, { recursive: true })
  }

  /** Waits for the sweep under way. */
  async stop (): Promise<void> {
    await this.sweeping
  }

  /** A unit starts building. The returned function says it ended and sweeps; its promise never rejects. */
  enter (): () => Promise<void> {
    const token = Symbol('unit')
    this.running.set(token, this.now())
    return async () => {
      this.running.delete(token)
      this.sweeping = this.sweeping.then(async () => { await this.sweep() })
      await this.sweeping
    }
  }

  /** Removes the entries no running unit can be using: those last modified before the oldest of them started. */
  private async sweep (): Promise<void> {
    const cutoff = Math.min(this.now(), ...this.running.values()) - CLOCK_SLACK_MS
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (err) {
      this.logger.warn({ err, dir: this.dir }, 'could not list the units\' temp dir')
      return
    }
    let removed = 0
    for (const name of names) {
      const entry = path.join(this.dir, name)
      try {
        if ((await lstat(entry)).mtimeMs >= cutoff) continue
        await rm(entry, { recursive: true, force: true })
        removed++
      } catch (err) {
        // gone already (ENOENT from lstat) is what we wanted; anything else is worth a word
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err, entry }, 'could not remove a unit temp file')
      }
    }
    if (removed > 0) this.logger.debug({ removed, dir: this.dir }, 'removed temp files of units that ended')
  }
}
