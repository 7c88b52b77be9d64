import { renameSync } from 'node:fs'
import { mkdir, rename, stat, unlink } from 'node:fs/promises'
import type { AccessFlusher } from './access-flusher.js'
import type { BlobReader } from './blob-reader.js'
import { checkAborted, type WrittenTemp } from './blob-writer.js'
import type { Catalog } from './catalog.js'
import type { IndexDb } from './index-db.js'
import { KeyedMutex } from './keyed-mutex.js'
import { fsyncDir, type StoreLayout } from './layout.js'
import type { CasLogger } from './logger.js'
import type { EntryMeta } from './types.js'

export interface BlobFilesComponents {
  layout: StoreLayout
  catalog: Catalog
  index: IndexDb
  reader: BlobReader
  access: AccessFlusher
  logger: CasLogger
  now: () => number
  onQuarantined: () => void
  /** Keys whose entries went with their blob (quarantined, or missing from disk). */
  onDropped: (keys: readonly string[]) => void
}

/**
 * The blob files under blobs/ and the entries that point at them, kept in step. Every change to one blob's
 * file runs under that blob's lock, and re-checks the catalog there: a put that brings a blob back and an
 * eviction that deletes it can never interleave into an entry without its file.
 */
export class BlobFiles {
  private readonly c: BlobFilesComponents
  private readonly locks = new KeyedMutex()
  private readonly shards = new Set<string>()
  private readonly options: { smallBlobBytes: number, syncDirs: boolean }

  constructor (components: BlobFilesComponents, options: { smallBlobBytes: number, syncDirs: boolean }) {
    this.c = components
    this.options = options
  }

  /**
   * Moves the temp file into place and records the entry, in memory and in the index; the blob the key no longer
   * refers to goes once the index says so. If the index write fails, memory goes back to what the index on disk
   * still holds (a batch is all or nothing): the blob it names is kept, and the new blob goes if nothing names it.
   */
  async commitIndexed (meta: EntryMeta, written: WrittenTemp): Promise<void> {
    const { indexed, replaced, previous } = await this.commit(meta, written)
    try {
      await indexed
    } catch (err) {
      if (this.c.catalog.get(meta.key) === meta) { // else a later PUT of the key came since: its own commit decides
        const orphan = this.c.catalog.delete(meta.key)
        if (previous !== undefined) this.c.catalog.set(previous)
        if (orphan !== undefined && orphan !== previous?.sha256) await this.delete(orphan)
      }
      throw err
    }
    if (replaced !== undefined) await this.delete(replaced)
  }

  /**
   * Moves the temp file into blobs/ (or drops it when the blob is already there), records the entry in memory
   * and queues its index write. Resolves with that write and the sha256 of a blob the key no longer refers to.
   */
  private async commit (meta: EntryMeta, written: WrittenTemp): Promise<{ indexed: Promise<void>, replaced?: string, previous?: EntryMeta }> {
    return await this.locks.run(meta.sha256, async () => {
      if (this.c.catalog.hasBlob(meta.sha256)) await this.keepExisting(written)
      else await this.moveIntoPlace(written)
      const previous = this.c.catalog.get(meta.key)
      const replaced = this.c.catalog.set(meta)
      const indexed = this.c.index.write([{ type: 'put', meta: { ...meta } }])
      return { indexed, ...(replaced === undefined ? {} : { replaced }), ...(previous === undefined ? {} : { previous }) }
    })
  }

  /** Deletes a blob file unless a key refers to it again by the time the lock is held. */
  async delete (sha256: string): Promise<void> {
    await this.locks.run(sha256, async () => {
      if (this.c.catalog.hasBlob(sha256)) return
      this.c.reader.forget(sha256)
      await unlink(this.c.layout.blobPath(sha256)).catch(ignoreMissing)
    })
  }

  /** Moves a blob that failed verification (file `ino`) to quarantine/ and drops every entry on it. */
  async quarantine (sha256: string, ino: bigint, during: string): Promise<void> {
    await this.locks.run(sha256, async () => {
      if (!this.c.catalog.hasBlob(sha256)) return
      const path = this.c.layout.blobPath(sha256)
      const current = await stat(path, { bigint: true }).catch(() => undefined)
      if (current !== undefined && current.ino !== ino) return // a good copy replaced it meanwhile
      const keys = this.dropEntries(sha256)
      // entries first: a crash in between leaves an orphan blob (collected at start), never an entry without blob
      await this.c.index.write(keys.map(key => ({ type: 'del', key })))
      if (current !== undefined) await rename(path, this.c.layout.quarantinePath(sha256, this.c.now())).catch(ignoreMissing)
      this.c.onQuarantined()
      this.c.onDropped(keys)
      this.c.logger.warn({ sha256, keys: keys.length, during }, 'cas: blob failed verification; quarantined')
    })
  }

  /** The index pointed at a blob that is not on disk: drops its entries (unless it came back meanwhile). */
  async dropMissing (sha256: string): Promise<void> {
    await this.locks.run(sha256, async () => {
      if (!this.c.catalog.hasBlob(sha256)) return
      if (await stat(this.c.layout.blobPath(sha256)).then(() => true, () => false)) return
      const keys = this.dropEntries(sha256)
      this.c.logger.warn({ sha256, keys: keys.length }, 'cas: blob missing from disk; entries dropped')
      this.c.onDropped(keys)
      await this.c.index.write(keys.map(key => ({ type: 'del', key })))
    })
  }

  /** Hashes every blob, ignoring stamps; quarantines the corrupt ones and drops entries of missing ones. */
  async verifyAll (signal: AbortSignal | undefined): Promise<{ checked: number, quarantined: number }> {
    let checked = 0
    let quarantined = 0
    for (const [sha256, size] of this.c.catalog.blobList()) {
      checkAborted(signal)
      if (!this.c.catalog.hasBlob(sha256)) continue
      const result = await this.c.reader.check(sha256, size, { force: true })
      checked++
      if (result.kind === 'corrupt') {
        await this.quarantine(sha256, result.ino, 'verify')
        quarantined++
      } else if (result.kind === 'missing') {
        await this.dropMissing(sha256)
      }
    }
    return { checked, quarantined }
  }

  private dropEntries (sha256: string): string[] {
    const keys = this.c.catalog.dropBlob(sha256)
    for (const key of keys) this.c.access.drop(key)
    this.c.reader.forget(sha256)
    return keys
  }

  /**
   * The blob is already in place (another key has the same bytes). A durable PUT's fresh copy, just hashed and
   * fdatasynced, takes its place: the file there may be a peer's copy that was never synced, or may have rotted
   * since it was last read, and a rename costs less than syncing it. A copy that is not durable (a peer fetch)
   * goes instead, leaving the file in place as it is.
   */
  private async keepExisting (written: WrittenTemp): Promise<void> {
    if (written.synced) {
      this.c.reader.forget(written.sha256)
      await this.moveIntoPlace(written, { replacing: true })
      return
    }
    await unlink(written.path).catch(() => {}) // a temp file left over is collected at the next start
  }

  /**
   * Renames the temp file into place (the rename is a blocking call, as in blob-writer: microseconds on a local disk,
   * cheaper than a pool round trip). On a failure nothing is left behind: no temp file, no blob no key names; a
   * copy that replaced a blob other keys name stays, as it holds the same bytes.
   */
  private async moveIntoPlace (written: WrittenTemp, options: { replacing?: boolean } = {}): Promise<void> {
    const shard = this.c.layout.shardDir(written.sha256)
    const target = this.c.layout.blobPath(written.sha256)
    try {
      if (!this.shards.has(shard)) {
        await mkdir(shard, { recursive: true })
        this.shards.add(shard)
      }
      renameSync(written.path, target)
    } catch (err) {
      await unlink(written.path).catch(() => {})
      throw err
    }
    try {
      if (this.options.syncDirs) await fsyncDir(shard)
    } catch (err) {
      if (options.replacing !== true) await unlink(target).catch(() => {}) // under the blob's lock, and no key names it yet
      throw err
    }
    // only a shortcut for later reads (they hash the blob once without it)
    if (written.size > this.options.smallBlobBytes) await this.c.reader.trust(written.sha256).catch(() => {})
  }
}

function ignoreMissing (err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
}
