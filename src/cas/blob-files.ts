import { mkdir, rename, stat, unlink } from 'node:fs/promises'
import type { AccessFlusher } from './access-flusher.js'
import type { BlobReader } from './blob-reader.js'
import { checkAborted, type WrittenTemp } from './blob-writer.js'
import type { Catalog } from './catalog.js'
import type { IndexDb, IndexRepair } from './index-db.js'
import { KeyedMutex } from './keyed-mutex.js'
import { fsyncDir, type StoreLayout } from './layout.js'
import type { CasLogger } from './logger.js'
import type { Quarantine } from './quarantine.js'
import type { GcResult } from './store-options.js'
import type { EntryMeta } from './types.js'

export interface BlobFilesComponents {
  layout: StoreLayout
  catalog: Catalog
  index: IndexDb
  reader: BlobReader
  access: AccessFlusher
  quarantine: Quarantine
  logger: CasLogger
  now: () => number
  onQuarantined: () => void
  /** Keys whose entries the store let go (evicted, quarantined, missing from disk, or never indexed). */
  onDropped: (keys: readonly string[]) => void
  /** Runs work nobody waits for (close() does), logging its failure. */
  background: (work: Promise<unknown>) => void
}

/**
 * The blob files under blobs/ and the entries that point at them, kept in step. Every change to one blob's
 * file runs under that blob's lock, and re-checks the catalog there: a put that brings a blob back and an
 * eviction that deletes it can never interleave into an entry without its file.
 */
export class BlobFiles implements IndexRepair {
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
   * refers to goes once the index says so. If the index write fails, memory has gone back to what the index holds
   * (restore, before the write rejects; what the key held before, when the index cannot be read back) and the new
   * blob goes unless a key names it.
   */
  async commitIndexed (meta: EntryMeta, written: WrittenTemp): Promise<void> {
    const { indexed, replaced } = await this.commit(meta, written)
    try {
      await indexed
    } catch (err) {
      await this.delete(meta.sha256)
      throw err
    }
    if (replaced !== undefined) await this.delete(replaced)
  }

  /**
   * An index batch failed: memory takes what the index holds for these keys (when it cannot be read, what memory
   * held before the failed writes, for those that said). A blob no key names any more goes; a blob named again
   * that memory had let go is checked to be still on disk (dropMissing).
   */
  restore (indexed: ReadonlyMap<string, EntryMeta | undefined>): void {
    const orphans = new Set<string>()
    const recheck = new Set<string>()
    const dropped: string[] = []
    for (const [key, meta] of indexed) {
      const current = this.c.catalog.get(key)
      if (current !== undefined && meta !== undefined && sameEntry(current, meta)) continue
      if (meta !== undefined && !this.c.catalog.hasBlob(meta.sha256)) recheck.add(meta.sha256)
      const orphan = meta === undefined ? this.c.catalog.delete(key) : this.c.catalog.set(meta)
      if (orphan !== undefined) orphans.add(orphan)
      if (meta === undefined && current !== undefined) {
        this.c.access.drop(key)
        dropped.push(key)
      }
    }
    this.c.onDropped(dropped)
    this.c.background((async () => {
      for (const sha256 of orphans) await this.delete(sha256)
      for (const sha256 of recheck) await this.dropMissing(sha256)
    })())
  }

  /** Blobs the index named for keys of a failed batch until later writes of those keys landed. */
  released (sha256s: readonly string[]): void {
    this.c.background((async () => { for (const sha256 of sha256s) await this.delete(sha256) })())
  }

  /**
   * Moves the temp file into blobs/ (or drops it when the blob is already there), records the entry in memory
   * and queues its index write. Resolves with that write and the sha256 of a blob the key no longer refers to.
   */
  private async commit (meta: EntryMeta, written: WrittenTemp): Promise<{ indexed: Promise<void>, replaced?: string }> {
    return await this.locks.run(meta.sha256, async () => {
      if (this.c.catalog.hasBlob(meta.sha256)) await this.keepExisting(written)
      else await this.moveIntoPlace(written)
      const before = this.c.catalog.get(meta.key)
      const undo = before === undefined ? null : { ...before }
      // used as it is indexed: memory's order of use, the index's lastAccess and the order a restart rebuilds agree,
      // however long the moves into place of puts that finished writing before took
      meta.lastAccess = this.c.now()
      const replaced = this.c.catalog.set(meta)
      const indexed = this.c.index.write([{ type: 'put', meta: { ...meta }, before: undo }])
      return { indexed, ...(replaced === undefined ? {} : { replaced }) }
    })
  }

  /**
   * Removes least-recently-used entries of unpinned blobs down to `targetBytes` (at most `limit` of them): from
   * memory at once (so stats reflect the budget), then from the index and, once it says so, their blobs from disk (`done`).
   */
  evict (targetBytes: number, limit = Infinity): { evicted: number, done: Promise<GcResult> } {
    const { keys, blobs } = this.c.catalog.evictTo(targetBytes, limit)
    if (keys.length === 0) return { evicted: 0, done: Promise.resolve({ evicted: 0, freedBytes: 0 }) }
    for (const key of keys) this.c.access.drop(key)
    this.c.onDropped(keys)
    const indexed = this.c.index.write(keys.map(key => ({ type: 'del', key })))
    const done = (async () => {
      await indexed
      for (const blob of blobs) await this.delete(blob.sha256)
      return { evicted: keys.length, freedBytes: blobs.reduce((sum, blob) => sum + blob.size, 0) }
    })()
    return { evicted: keys.length, done }
  }

  /** Removes the entry of `key` from memory, then the index, then its blob if no key names it; undefined when none. */
  removeEntry (key: string): Promise<void> | undefined {
    const before = this.c.catalog.get(key)
    if (before === undefined) return undefined
    const orphan = this.c.catalog.delete(key)
    this.c.access.drop(key)
    this.c.onDropped([key])
    return (async () => {
      await this.c.index.write([{ type: 'del', key, before: { ...before } }])
      if (orphan !== undefined) await this.delete(orphan)
    })()
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
      // a file gone meanwhile (deleted from outside) was not quarantined: only its entries go
      if (current !== undefined && await this.c.quarantine.add(path, sha256, this.c.now())) this.c.onQuarantined()
      this.c.onDropped(keys)
      this.c.logger.warn({ sha256, keys: keys.length, during }, 'cas: blob failed verification; quarantined')
    })
  }

  /**
   * One stat of the blob's file, no hash: a file that is missing has its entries dropped, one of another size is
   * quarantined (as a read would find it); resolves whether the file is there with the size `size`.
   */
  async statCheck (sha256: string, size: number): Promise<boolean> {
    const current = await stat(this.c.layout.blobPath(sha256), { bigint: true }).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'ENOENT') return undefined
      throw err
    })
    if (current !== undefined && current.size === BigInt(size)) return true
    if (current === undefined) await this.dropMissing(sha256)
    else await this.quarantine(sha256, current.ino, 'head')
    return false
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
   * Renames the temp file into place, in the threadpool: like the temp file's create (blob-writer), a rename waits
   * for the filesystem journal, which concurrent fdatasyncs keep busy, and a blocking one held the event loop (up to
   * half its time when a PUT's copy replaced a blob already there). On a failure nothing is left behind: no temp
   * file, no blob no key names; a copy that replaced a blob other keys name stays, as it holds the same bytes.
   */
  private async moveIntoPlace (written: WrittenTemp, options: { replacing?: boolean } = {}): Promise<void> {
    const shard = this.c.layout.shardDir(written.sha256)
    const target = this.c.layout.blobPath(written.sha256)
    try {
      if (!this.shards.has(shard)) {
        await mkdir(shard, { recursive: true })
        this.shards.add(shard)
      }
      await rename(written.path, target)
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

/** Whether two records of one key say the same but for lastAccess. */
function sameEntry (a: EntryMeta, b: EntryMeta): boolean {
  return a.sha256 === b.sha256 && a.size === b.size && a.producer === b.producer && a.signature === b.signature
}

function ignoreMissing (err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
}
