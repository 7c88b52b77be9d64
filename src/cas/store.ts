import { unlink } from 'node:fs/promises'
import { AccessFlusher } from './access-flusher.js'
import { BlobReader, DEFAULT_SMALL_BLOB_BYTES } from './blob-reader.js'
import { checkAborted, writeTemp } from './blob-writer.js'
import { Catalog } from './catalog.js'
import { IntegrityError, StoreClosedError } from './errors.js'
import { BlobFiles } from './blob-files.js'
import { evictInChunks } from './gc.js'
import { IndexDb } from './index-db.js'
import { DroppedListeners, type DroppedListener } from './dropped-listeners.js'
import { StoreLayout } from './layout.js'
import { DEFAULT_QUARANTINE_MAX_BYTES, DEFAULT_QUARANTINE_MAX_FILES, Quarantine } from './quarantine.js'
import { entryOfBytes } from './open-entry.js'
import { silentLogger, type CasLogger } from './logger.js'
import type { ContentStoreOptions, GcResult, VerifyResult } from './store-options.js'
import { recover, type RecoveryReport } from './recovery.js'
import { StoreWork } from './store-work.js'
import { checkKey, checkLimit, checkSha256, expectedSha256Of } from './validate.js'
import { type BlobStore, type CasStats, type EntryMeta, type EntryProof, type OpenEntry, type PutOptions } from './types.js'

export type { CasLogger } from './logger.js'
export type { ContentStoreOptions, GcResult, VerifyResult } from './store-options.js'

/**
 * The node's content-addressed blob store (design.md, "Content-addressed store"): blobs named by SHA-256 under
 * `blobs/`, a LevelDB index of Gradle keys and content keys (keys.ts), LRU eviction to a byte budget,
 * verify-on-read and quarantine.
 */
export class ContentStore implements BlobStore {
  readonly dir: string
  /** What start-up recovery collected. */
  readonly recovery: RecoveryReport
  private readonly layout: StoreLayout
  private readonly index: IndexDb
  private readonly catalog: Catalog
  private readonly reader: BlobReader
  private readonly access: AccessFlusher
  private readonly blobs: BlobFiles
  private readonly quarantine: Quarantine
  private readonly droppedListeners: DroppedListeners
  private readonly now: () => number
  private readonly logger: CasLogger
  private readonly smallBlobBytes: number
  private readonly syncBlobs: boolean
  private readonly counters = { hits: 0, misses: 0, evictions: 0, puts: 0, quarantined: 0 }
  private readonly work = new StoreWork()
  private readonly maxBytes: number
  private evictAfterUnpins: NodeJS.Immediate | undefined

  private constructor (init: { options: ContentStoreOptions, layout: StoreLayout, index: IndexDb, catalog: Catalog, recovery: RecoveryReport }) {
    const { options } = init
    this.dir = options.dir
    this.layout = init.layout
    this.index = init.index
    this.catalog = init.catalog
    this.recovery = init.recovery
    this.maxBytes = options.maxBytes
    this.now = options.now ?? Date.now
    this.logger = options.logger ?? silentLogger
    this.droppedListeners = new DroppedListeners(this.logger)
    this.smallBlobBytes = options.smallBlobBytes ?? DEFAULT_SMALL_BLOB_BYTES
    this.syncBlobs = options.syncBlobs ?? true
    this.reader = new BlobReader(this.layout, { smallBytes: this.smallBlobBytes, ...(options.hotBytes === undefined ? {} : { hotBytes: options.hotBytes }) })
    this.access = new AccessFlusher(this.catalog, this.index, options.accessFlushMs ?? 5000, err => {
      this.logger.warn({ err }, 'cas: writing lastAccess to the index failed')
    })
    this.quarantine = new Quarantine(this.layout, {
      maxFiles: options.quarantineMaxFiles ?? DEFAULT_QUARANTINE_MAX_FILES,
      maxBytes: options.quarantineMaxBytes ?? DEFAULT_QUARANTINE_MAX_BYTES
    }, this.logger)
    this.blobs = new BlobFiles({
      layout: this.layout,
      catalog: this.catalog,
      index: this.index,
      reader: this.reader,
      access: this.access,
      quarantine: this.quarantine,
      logger: this.logger,
      now: this.now,
      onQuarantined: () => { this.counters.quarantined++ },
      onDropped: keys => { this.droppedListeners.tell(keys) },
      background: deletion => { this.work.track(deletion).catch(err => { this.logger.warn({ err }, 'cas: deleting blobs no entry names failed') }) }
    }, { smallBlobBytes: this.smallBlobBytes, syncDirs: options.syncDirs ?? false })
    this.index.repairWith(this.blobs)
  }

  /** Opens (creating if needed) the store in `dir`: start-up recovery, quarantine/ pruned, evicted down to `maxBytes`. */
  static async open (options: ContentStoreOptions): Promise<ContentStore> {
    checkLimit('maxBytes', options.maxBytes)
    for (const limit of ['quarantineMaxFiles', 'quarantineMaxBytes'] as const) if (options[limit] !== undefined) checkLimit(limit, options[limit])
    const layout = new StoreLayout(options.dir)
    await layout.create()
    const index = await IndexDb.open(layout.indexDir, options.dir)
    try {
      const { entries, report } = await recover(layout, index, (options.now ?? Date.now)())
      const catalog = new Catalog()
      entries.sort((a, b) => a.lastAccess - b.lastAccess)
      for (const meta of entries) catalog.set(meta)
      const store = new ContentStore({ options, layout, index, catalog, recovery: report })
      store.logger.info({ dir: options.dir, entries: catalog.entryCount, bytes: catalog.bytes, ...report }, 'cas: store opened')
      await store.quarantine.prune().catch(err => { store.logger.warn({ err }, 'cas: pruning the quarantine failed') })
      const { evicted, freedBytes } = await store.evict(store.maxBytes) // a budget lowered since the last run: never silently
      if (evicted > 0) store.logger.warn({ evicted, freedBytes, maxBytes: store.maxBytes }, `cas: evicted ${evicted} entries (${freedBytes} bytes) at start to fit the budget of ${store.maxBytes} bytes`)
      return store
    } catch (err) {
      await index.close().catch(() => {})
      throw err
    }
  }

  /**
   * The entry's metadata, without reading the blob; not counted as a use. With `statBlob`, the blob's file is
   * stat'ed (never hashed): when it is missing or of another size, the entry is dropped or its blob quarantined,
   * as a GET would, and undefined returned.
   */
  async head (key: string, options: { statBlob?: boolean } = {}): Promise<EntryMeta | undefined> {
    this.checkOpen()
    checkKey(key)
    const meta = this.catalog.get(key)
    if (meta === undefined) return undefined
    if (options.statBlob === true && !await this.work.track(this.blobs.statCheck(meta.sha256, meta.size))) return undefined
    return { ...meta }
  }

  /**
   * The entry's verified bytes, or undefined on a miss. A blob that fails verification is quarantined with every
   * entry on it and counts as a miss. Entries up to 1 MiB come with `bytes` (send those: much cheaper than piping
   * `body`); bigger ones stream from the file, whose `body` must be consumed or destroyed.
   */
  async get (key: string, options: { signal?: AbortSignal } = {}): Promise<OpenEntry | undefined> {
    this.checkOpen()
    checkKey(key)
    checkAborted(options.signal)
    const meta = this.catalog.get(key)
    if (meta === undefined) {
      this.counters.misses++
      return undefined
    }
    const { sha256, size } = meta
    const result = await this.reader.read(sha256, size).catch((err: unknown) => {
      this.counters.misses++ // EIO, EMFILE...: the GET is answered as a miss, and counted as one here too
      throw err
    })
    if (result.kind !== 'ok') {
      this.counters.misses++
      // tracked, so close() waits for it; once closed the index is gone, and the next read finds the blob again
      if (!this.work.closed) await this.work.track(result.kind === 'corrupt' ? this.blobs.quarantine(sha256, result.ino, 'read') : this.blobs.dropMissing(sha256))
      return undefined
    }
    if (options.signal?.aborted === true && 'stream' in result) result.stream.destroy()
    checkAborted(options.signal)
    this.counters.hits++
    const touched = this.catalog.get(key)?.sha256 === sha256 ? this.catalog.touch(key, this.now()) : undefined
    if (touched !== undefined) this.access.mark(key)
    return 'stream' in result ? { meta: { ...(touched ?? meta) }, body: result.stream, file: result.file } : entryOfBytes({ ...(touched ?? meta) }, result.bytes)
  }

  /** A hit that needs no waiting (a blob up to 64 KiB, read and verified at once), counted and touched as by get(); undefined for anything else, which get() answers, counts and repairs. */
  getNow (key: string): Buffer | undefined {
    const meta = this.work.closed ? undefined : this.catalog.get(key)
    const bytes = meta === undefined ? undefined : this.reader.readNow(meta.sha256, meta.size)
    if (bytes === undefined) return undefined
    this.counters.hits++
    if (this.catalog.touch(key, this.now()) !== undefined) this.access.mark(key)
    return bytes
  }

  /**
   * Streams `body` into the store under `key` (replacing what the key had; under a content key only bytes that hash
   * to its name are taken, so what it holds never changes). Resolves once the blob is fdatasynced,
   * in place and indexed (LevelDB's write is not synced: a power loss may lose the newest entries, but recovery never
   * lets one point at a missing blob). On TooLargeError, IntegrityError, SizeMismatchError, BodyError or an abort nothing is
   * stored; a Readable body is destroyed only on abort, so a server can drain it after the other errors.
   */
  async put (key: string, body: AsyncIterable<Uint8Array> | Uint8Array, options: PutOptions = {}): Promise<EntryMeta> {
    this.checkOpen()
    checkKey(key)
    const expectedSha256 = expectedSha256Of(key, options.expectedSha256)
    // only the caller's own hash: the one a content key names was never computed over these bytes
    const bodyHashed = options.bodyHashed === true && options.expectedSha256 !== undefined
    const signal = this.work.signal(options.signal)
    return await this.work.track(this.putTracked(key, body, { ...options, expectedSha256, bodyHashed, signal }).catch(err => { throw this.work.closedInstead(err, options.signal) }))
  }

  /** Tells `listener` the keys of entries the store lets go (evicted, quarantined, missing, deleted); returns the unwatch. */
  watchDropped (listener: DroppedListener): () => void { return this.droppedListeners.watch(listener) }

  /** Removes one entry; its blob is deleted when no other key refers to it. Resolves whether the key existed. */
  async delete (key: string): Promise<boolean> {
    this.checkOpen()
    checkKey(key)
    const removed = this.blobs.removeEntry(key)
    if (removed !== undefined) await this.work.track(removed)
    return removed !== undefined
  }

  /**
   * Attaches who produced an entry and the proof of its signed record, to an entry stored without them (a put's
   * `proofOf` indexes them with the entry in one write). Resolves false when the key is not in the store, or no longer holds the blob
   * `proof.sha256` names: another PUT of the key may have replaced it meanwhile, and the proof is not its.
   */
  async annotate (key: string, proof: { sha256: string, producer: string, signature: string }): Promise<boolean> {
    this.checkOpen()
    checkKey(key)
    const meta = this.catalog.get(key)
    if (meta === undefined || meta.sha256 !== proof.sha256) return false
    const annotated: EntryMeta = { ...meta, producer: proof.producer, signature: proof.signature }
    this.catalog.set(annotated)
    await this.work.track(this.index.write([{ type: 'put', meta: { ...annotated }, before: { ...meta } }]))
    return true
  }

  /** A copy of every entry, least recently used first. */
  list (): EntryMeta[] {
    this.checkOpen()
    return this.catalog.list()
  }

  stats (): CasStats {
    const { catalog, counters, quarantine } = this
    return { entries: catalog.entryCount, bytes: catalog.bytes, ...counters, quarantinePruned: quarantine.pruned.files, maxBytes: this.maxBytes }
  }

  /** Protects a blob from eviction until unpinned (pins count: pin twice, unpin twice); see Catalog.evictionTarget. */
  pin (sha256: string): void {
    checkSha256('pin', sha256)
    this.catalog.pin(sha256)
  }

  /** Lets a blob go; right after the unpins of this turn (a job's snapshot, as the job ends), the store evicts down to its budget. */
  unpin (sha256: string): void {
    checkSha256('unpin', sha256)
    this.catalog.unpin(sha256)
    if (this.evictAfterUnpins !== undefined) return
    this.evictAfterUnpins = setImmediate(() => {
      this.evictAfterUnpins = undefined
      if (!this.work.closed) this.evict(this.catalog.evictionTarget(this.maxBytes))
    })
  }

  /**
   * Evicts least-recently-used entries down to `targetBytes` (default: the budget, as after a put) and deletes their
   * blobs, a chunk at a time (gc.ts): once `signal` aborts or the store closes, it stops after the chunk under way
   * and throws GcInterruptedError, which says what it evicted.
   */
  async gc (options: { targetBytes?: number, signal?: AbortSignal } = {}): Promise<GcResult> {
    this.checkOpen()
    const targetBytes = options.targetBytes ?? this.catalog.evictionTarget(this.maxBytes)
    const onEvicted = (entries: number): void => { this.counters.evictions += entries }
    const signal = this.work.signal(options.signal)
    // tracked before its first chunk starts: a close() from a listener told of that chunk's entries waits for it
    return await this.work.track(Promise.resolve().then(async () => await evictInChunks(this.blobs, targetBytes, { signal, onEvicted })))
  }

  /** Hashes every blob; quarantines those that do not match (and drops their entries). */
  async verify (options: { signal?: AbortSignal } = {}): Promise<VerifyResult> {
    this.checkOpen()
    const signal = this.work.signal(options.signal)
    return await this.work.track(this.blobs.verifyAll(signal).catch(err => { throw this.work.closedInstead(err, options.signal) }))
  }

  /**
   * Stops the store: puts still reading their body and a running verify fail with StoreClosedError, writes
   * already under way finish, lastAccess is flushed and the index closed. Further calls throw StoreClosedError.
   */
  async close (): Promise<void> {
    if (this.work.closed) return
    await this.work.close()
    await this.access.stop()
    await this.index.close()
  }

  private async putTracked (key: string, body: AsyncIterable<Uint8Array> | Uint8Array, options: PutOptions): Promise<EntryMeta> {
    const knownSha256 = options.bodyHashed === true && body instanceof Uint8Array ? options.expectedSha256 : undefined
    const written = await writeTemp(this.layout.newTempPath(), body, {
      ...options, sync: this.syncBlobs && options.durable !== false, ...(knownSha256 === undefined ? {} : { knownSha256 })
    })
    let proof: Partial<EntryProof> = options
    try {
      if (options.expectedSha256 !== undefined && written.sha256 !== options.expectedSha256) {
        throw new IntegrityError(options.expectedSha256, written.sha256)
      }
      checkAborted(options.signal)
      proof = options.proofOf?.({ sha256: written.sha256, size: written.size }) ?? options
    } catch (err) {
      await unlink(written.path).catch(() => {})
      throw err
    }
    const meta: EntryMeta = { key, sha256: written.sha256, size: written.size, lastAccess: this.now() }
    if (proof.producer !== undefined) meta.producer = proof.producer
    if (proof.signature !== undefined) meta.signature = proof.signature
    await this.blobs.commitIndexed(meta, written)
    this.counters.puts++
    this.evict(this.catalog.evictionTarget(this.maxBytes))
    return { ...meta }
  }

  /** Evicts down to `targetBytes` (BlobFiles.evict); resolves once the blobs are gone from disk too. */
  private evict (targetBytes: number): Promise<GcResult> {
    const { evicted, done } = this.blobs.evict(targetBytes)
    this.counters.evictions += evicted
    if (evicted > 0) this.work.track(done).catch(err => { this.logger.warn({ err }, 'cas: eviction failed') })
    return done
  }

  private checkOpen (): void {
    if (this.work.closed) throw new StoreClosedError()
  }
}
