import { Level } from 'level'
import type { EntryMeta } from './types.js'
import { SHA256_PATTERN } from './layout.js'
import { isStoreKey, namedSha256 } from './keys.js'
import { StoreLockedError } from './errors.js'

/** What is stored under one key (the key, prefixed, is the LevelDB key). */
interface StoredEntry {
  sha256: string
  size: number
  lastAccess: number
  producer?: string
  signature?: string
}

export type IndexOp = { type: 'put', meta: EntryMeta } | { type: 'del', key: string }

const ENTRY_PREFIX = 'e!'

interface Waiter { resolve: () => void, reject: (err: unknown) => void }

/**
 * The LevelDB index: Gradle key or content key -> {sha256, size, lastAccess, producer, signature}.
 * Writes go through one queue: they are applied in call order, and writes queued while a batch is
 * in flight are coalesced into the next batch (group commit).
 */
export class IndexDb {
  private readonly db: Level<string, StoredEntry>
  private queued: Array<{ type: 'put', key: string, value: StoredEntry } | { type: 'del', key: string }> = []
  private waiters: Waiter[] = []
  private running: Promise<void> | undefined

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

  write (ops: IndexOp[]): Promise<void> {
    for (const op of ops) {
      if (op.type === 'del') this.queued.push({ type: 'del', key: ENTRY_PREFIX + op.key })
      else this.queued.push({ type: 'put', key: ENTRY_PREFIX + op.meta.key, value: toStored(op.meta) })
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
    // never finish before `running` is assigned: a drain that ended synchronously (an empty write) left it set
    // for good, and every later write waited on it forever
    await null
    try {
      while (this.waiters.length > 0) {
        const ops = this.queued
        const waiters = this.waiters
        this.queued = []
        this.waiters = []
        try {
          if (ops.length > 0) await this.db.batch(ops)
          for (const w of waiters) w.resolve()
        } catch (err) {
          for (const w of waiters) w.reject(err)
        }
      }
    } finally {
      this.running = undefined
    }
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
