import { lstat, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { StoreLayout } from './layout.js'
import type { CasLogger } from './logger.js'

/** Quarantined blobs kept for inspection unless `quarantineMaxFiles` says otherwise. */
export const DEFAULT_QUARANTINE_MAX_FILES = 100
/** Bytes of quarantined blobs kept unless `quarantineMaxBytes` says otherwise. */
export const DEFAULT_QUARANTINE_MAX_BYTES = 512 * 1024 * 1024

export interface QuarantineLimits {
  maxFiles: number
  maxBytes: number
}

/** What one prune removed. */
export interface Pruned { files: number, bytes: number }

/**
 * quarantine/: blobs that failed verification, named `<sha256>.<time quarantined>` (StoreLayout), kept for
 * inspection but bounded: after every blob moved in (and at start) only the newest are kept, as many as fit
 * both limits.
 */
export class Quarantine {
  private readonly layout: StoreLayout
  private readonly limits: QuarantineLimits
  private readonly logger: CasLogger
  /** Prunes run one at a time, so a file is removed (and counted) once. */
  private pruning: Promise<unknown> = Promise.resolve()
  /** Everything pruned since the store opened. */
  readonly pruned: Pruned = { files: 0, bytes: 0 }

  constructor (layout: StoreLayout, limits: QuarantineLimits, logger: CasLogger) {
    this.layout = layout
    this.limits = limits
    this.logger = logger
  }

  /**
   * Moves the file at `path` (a blob that failed verification) in, then prunes; a file already gone is no error
   * (resolves false: nothing was moved), and a prune that fails is only logged (the blob is out of blobs/ either way).
   */
  async add (path: string, sha256: string, now: number): Promise<boolean> {
    try {
      await rename(path, this.layout.quarantinePath(sha256, now))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
    await this.prune().catch(err => { this.logger.warn({ err }, 'cas: pruning the quarantine failed') })
    return true
  }

  /** Removes the oldest files until the rest fit the limits; resolves to what this call removed. */
  async prune (): Promise<Pruned> {
    const run = this.pruning.then(async () => await this.pruneNow())
    this.pruning = run.catch(() => {})
    return await run
  }

  private async pruneNow (): Promise<Pruned> {
    const files = await this.newestFirst()
    const removed: Pruned = { files: 0, bytes: 0 }
    let kept = 0
    let keptBytes = 0
    for (const file of files) {
      if (kept < this.limits.maxFiles && keptBytes + file.size <= this.limits.maxBytes) {
        kept++
        keptBytes += file.size
        continue
      }
      await rm(join(this.layout.quarantineDir, file.name), { recursive: true, force: true })
      removed.files++
      removed.bytes += file.size
    }
    if (removed.files === 0) return removed
    this.pruned.files += removed.files
    this.pruned.bytes += removed.bytes
    this.logger.info({ ...removed, kept, keptBytes }, 'cas: pruned the oldest quarantined blobs')
    return removed
  }

  /** The entries of quarantine/, newest first: by the time in the name, else (a foreign name) the file's mtime. */
  private async newestFirst (): Promise<Array<{ name: string, size: number, time: number }>> {
    const dir = this.layout.quarantineDir
    const names = await readdir(dir)
    const files = await Promise.all(names.map(async name => {
      const info = await lstat(join(dir, name)).catch(() => undefined)
      const stamped = /^[0-9a-f]{64}\.(\d+)$/.exec(name)?.[1]
      return { name, size: info?.size ?? 0, time: stamped === undefined ? info?.mtimeMs ?? 0 : Number(stamped) }
    }))
    return files.sort((a, b) => b.time - a.time)
  }
}
