import { Level } from 'level'
import type { EntryMeta } from './types.js'
import { SHA256_PATTERN } from './layout.js'
import { isStoreKey, namedSha256 } from './keys.js'
import { IndexUnavailableError, StoreLockedError } from './errors.js'

/** What is stored under one key (the key, prefixed, is the LevelDB key). */
interface StoredEntry {
  sha256: string
  size: number
  lastAccess: number
  producer?: string
  signature?: string
}

/**
 * `before`: what memory held for the key before the change this write records (null: no entry). When the index
 * refuses the write and cannot be read back (it could not be reopened), memory goes back to it; without it memory
 * keeps what it has (a lastAccess flush, say) until the index can be read again.
 */
export type IndexOp = { type: 'put', meta: EntryMeta, before?: EntryMeta | null } | { type: 'del', key: string, before?: EntryMeta | null }

/**
 * Told what the index really holds when a batch fails (LevelDB applies a batch whole or not at all), so the
 * in-memory view can follow it.
 */
export interface IndexRepair {
  /**
   * For every key of the failed batch that no write queued since will set: its entry in the index, or undefined
   * for none. When the index cannot be read (it could not be reopened), only keys whose write said what memory
   * held `before` it are told, with that; the others are read back once the index opens again.
   */
  restore: (indexed: ReadonlyMap<string, EntryMeta | undefined>) => void
  /**
   * Blobs that entries of a failed batch's keys still named in the index until a later write of those keys
   * landed now: nothing in memory tracked them meanwhile, so they may be due for deletion.
   */
  released: (sha256s: readonly string[]) => void
}

const ENTRY_PREFIX = 'e!'

interface Waiter { resolve: () => void, reject: (err: unknown) => void }
type QueuedOp = ({ type: 'put', key: string, value: StoredEntry } | { type: 'del', key: string }) & { before?: EntryMeta | null }

/**
 * The LevelDB index: Gradle key or content key -> {sha256, size, lastAccess, producer, signature}.
 * Writes go through one queue: they are applied in call order, and writes queued in the same event loop turn, or
 * while a batch is in flight, are coalesced into one batch (group commit).
 *
 * After a failed batch the database is closed and opened again before anything else touches it: LevelDB's log
 * writer does not recover from a failed append (a full disk): it drops what it buffered but still counts it, so
 * every record it appends afterwards is misaligned and dropped as corrupt at the next open, although each write
 * said it succeeded. Opening again replays the log up to the failed record and starts a new one. While opening
 * fails (the disk still full), every batch fails with IndexUnavailableError, and tries to open it first.
 * Nothing else reads the database meanwhile: only the drain (afterFailedBatch) and loadAll, which runs at
 * start-up before the first write, use it.
 *
 * A closed index is never read as empty: the keys of batches that failed while it could not be read back are
 * `unknown`, memory keeps their entries (and their blobs stay) but for the changes those writes made themselves,
 * which go back to `before`; they are read back once an open succeeds.
 */
export class IndexDb {
  private readonly db: Level<string, StoredEntry>
  private queued: QueuedOp[] = []
  private waiters: Waiter[] = []
  private running: Promise<void> | undefined
  private repair: IndexRepair | undefined
  /** Keys of a failed batch that had later writes queued: the blob the index still names, until one of those lands. */
  private readonly heldBefore = new Map<string, string>()
  /** Why reopening the database after a failed batch failed; undefined while it is open. */
  private unavailable: unknown
  /** Keys of batches that failed while the index could not be read back: to be read once it opens again. */
  private readonly unknown = new Set<string>()
  /**
   * For keys of a failed batch with later writes queued: what the index held (if read back; else what memory held
   * before), for memory to go back to if those writes fail too while the index cannot be read.
   */
  private readonly earlier = new Map<string, EntryMeta | null>()

  private constructor (db: Level<string, StoredEntry>) {
    this.db = db
  }

  /** Opens the index; LevelDB's lock file makes a second opener fail with StoreLockedError. */
  static async open (dir: string, storeDir: string): Promise<IndexDb> {
    const db = new Level<string, StoredEntry>(dir, { valueEncoding: 'json' })
    try {
      await db.open()
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') throw new StoreLockedError(storeDir, err)
      throw err
    }
    return new IndexDb(db)
  }

  /** Every well-formed entry, and the keys of malformed ones (which the caller should delete). */
  async loadAll (): Promise<{ entries: EntryMeta[], malformed: string[] }> {
    const entries: EntryMeta[] = []
    const malformed: string[] = []
    for await (const [dbKey, value] of this.db.iterator({ gte: ENTRY_PREFIX, lt: ENTRY_PREFIX + '\xff' })) {
      const key = dbKey.slice(ENTRY_PREFIX.length)
      const meta = toMeta(key, value)
      if (meta === undefined) malformed.push(key)
      else entries.push(meta)
    }
    return { entries, malformed }
  }

  /** Who follows what the index holds after a failed batch (the store's in-memory catalog). */
  repairWith (repair: IndexRepair): void {
    this.repair = repair
  }

  write (ops: IndexOp[]): Promise<void> {
    for (const op of ops) {
      const before = op.before === undefined ? {} : { before: op.before }
      if (op.type === 'del') this.queued.push({ type: 'del', key: ENTRY_PREFIX + op.key, ...before })
      else this.queued.push({ type: 'put', key: ENTRY_PREFIX + op.meta.key, value: toStored(op.meta), ...before })
    }
    const done = new Promise<void>((resolve, reject) => { this.waiters.push({ resolve, reject }) })
    this.running ??= this.drain()
    return done
  }

  /** Resolves when every queued write is on disk (or failed). */
  async flushed (): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  async close (): Promise<void> {
    await this.flushed()
    await this.db.close()
  }

  private async drain (): Promise<void> {
    // The first batch waits for the end of this event loop turn (never finishing before `running` is assigned: a
    // drain that ended synchronously left it set for good, and every later write waited on it forever). The PUTs
    // whose fdatasyncs completed together (one journal commit) each queue their write in their own callback of the
    // turn: after a microtask only the first was queued, and every PUT cost a batch (a threadpool round trip).
    await new Promise<void>(resolve => { setImmediate(resolve) })
    try {
      while (this.waiters.length > 0) {
        const ops = this.queued
        const waiters = this.waiters
        this.queued = []
        this.waiters = []
        try {
          if (ops.length > 0) {
            if (this.unavailable !== undefined) await this.reopenAndReadBack(ops)
            if (this.unavailable !== undefined) throw new IndexUnavailableError(this.unavailable)
            await this.db.batch(ops.map(({ before, ...op }) => op))
          }
        } catch (err) {
          if (!(err instanceof IndexUnavailableError)) await this.reopen()
          await this.afterFailedBatch(ops) // before the writers hear of it, so they see memory as the index has it
          for (const w of waiters) w.reject(err)
          continue
        }
        this.afterBatch(ops)
        for (const w of waiters) w.resolve()
      }
    } finally {
      this.running = undefined
    }
  }

  /**
   * Closes the database (if open) and opens it again, after a failed batch (see the class comment) and before
   * each batch while that failed; a failure is kept in `unavailable`.
   */
  private async reopen (): Promise<void> {
    try {
      await this.db.close()
      await this.db.open()
      this.unavailable = undefined
    } catch (err) {
      this.unavailable = err
    }
  }

  /** Opens the index again before a batch while it could not be; then reads back the keys left unknown. */
  private async reopenAndReadBack (ops: QueuedOp[]): Promise<void> {
    await this.reopen()
    if (this.unavailable !== undefined || this.unknown.size === 0) return
    await this.readBack([...this.unknown], new Set([...ops, ...this.queued].map(op => op.key)))
  }

  private afterBatch (ops: QueuedOp[]): void {
    for (const op of ops) {
      this.unknown.delete(op.key)
      this.earlier.delete(op.key)
    }
    if (this.heldBefore.size === 0) return
    const released: string[] = []
    for (const op of ops) {
      const sha256 = this.heldBefore.get(op.key)
      if (sha256 === undefined) continue
      this.heldBefore.delete(op.key)
      released.push(sha256)
    }
    if (released.length > 0) this.repair?.released(released)
  }

  /**
   * Reads back what the index holds for the failed batch's keys and those left unknown (the drain waits meanwhile,
   * so no other batch lands) and tells the repair; when the index cannot be read, undoes the batch's own changes.
   */
  private async afterFailedBatch (ops: QueuedOp[]): Promise<void> {
    const keys = new Set([...ops.map(op => op.key), ...this.unknown])
    if (this.unavailable === undefined && await this.readBack([...keys], new Set(this.queued.map(op => op.key)))) return
    this.undo(ops)
  }

  /**
   * Tells the repair what the index holds for `dbKeys`, but those `pending` (a queued write will set them: the
   * blob the index names is held until it lands). Resolves false, changing nothing, when the index cannot be read.
   */
  private async readBack (dbKeys: string[], pending: ReadonlySet<string>): Promise<boolean> {
    let values: Array<StoredEntry | undefined>
    try {
      values = await this.db.getMany(dbKeys)
    } catch {
      return false
    }
    const indexed = new Map<string, EntryMeta | undefined>()
    dbKeys.forEach((dbKey, i) => {
      const key = dbKey.slice(ENTRY_PREFIX.length)
      const value = values[i]
      const meta = value === undefined ? undefined : toMeta(key, value)
      this.unknown.delete(dbKey)
      this.earlier.delete(dbKey)
      if (!pending.has(dbKey)) {
        this.heldBefore.delete(dbKey)
        indexed.set(key, meta)
        return
      }
      this.earlier.set(dbKey, meta ?? null)
      if (meta !== undefined) this.heldBefore.set(dbKey, meta.sha256)
    })
    if (indexed.size > 0) this.repair?.restore(indexed)
    return true
  }

  /**
   * The batch failed and the index cannot be read back: its keys are unknown until it can, and memory undoes the
   * batch's own changes (to what it held before the batch, or before an earlier refused write of the key).
   */
  private undo (ops: QueuedOp[]): void {
    const befores = new Map<string, EntryMeta | null | undefined>()
    for (const op of ops) {
      this.unknown.add(op.key)
      if (!befores.has(op.key) || befores.get(op.key) === undefined) befores.set(op.key, op.before)
    }
    const pending = new Set(this.queued.map(op => op.key))
    const restored = new Map<string, EntryMeta | undefined>()
    for (const [dbKey, own] of befores) {
      const before = this.earlier.has(dbKey) ? this.earlier.get(dbKey) : own
      if (before === undefined) continue // memory keeps what it has
      if (pending.has(dbKey)) {
        this.earlier.set(dbKey, before)
      } else {
        this.earlier.delete(dbKey)
        restored.set(dbKey.slice(ENTRY_PREFIX.length), before === null ? undefined : { ...before })
      }
    }
    if (restored.size > 0) this.repair?.restore(restored)
  }
}

function toStored (meta: EntryMeta): StoredEntry {
  const stored: StoredEntry = { sha256: meta.sha256, size: meta.size, lastAccess: meta.lastAccess }
  if (meta.producer !== undefined) stored.producer = meta.producer
  if (meta.signature !== undefined) stored.signature = meta.signature
  return stored
}

function toMeta (key: string, value: unknown): EntryMeta | undefined {
  if (!isStoreKey(key) || typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (typeof v.sha256 !== 'string' || !SHA256_PATTERN.test(v.sha256)) return undefined
  if ((namedSha256(key) ?? v.sha256) !== v.sha256) return undefined // a content key holds only what it names
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) return undefined
  if (typeof v.lastAccess !== 'number' || !Number.isFinite(v.lastAccess)) return undefined
  const meta: EntryMeta = { key, sha256: v.sha256, size: v.size, lastAccess: v.lastAccess }
  if (typeof v.producer === 'string') meta.producer = v.producer
  if (typeof v.signature === 'string') meta.signature = v.signature
  return meta
}
