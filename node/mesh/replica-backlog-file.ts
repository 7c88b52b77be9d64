import { readFile, stat } from 'node:fs/promises'
import { decodeSavedReplications, encodeSavedReplications, type CacheProtocol, type SavedReplication } from '../../protocols/cache/index.js'
import type { ContentStore } from '../../src/cas/store.js'
import type { EntryMeta } from '../../src/cas/types.js'
import type { Logger } from '../../src/config/logger.js'
import { writeFileAtomically } from '../../src/gradle/atomic-write.js'

/** A saved backlog bigger than this is not read: 4096 entries (the backlog's bound) of 128-character keys take about 1 MiB. */
export const MAX_BACKLOG_FILE_BYTES = 4 * 1024 * 1024

/** How long after a change of the backlog it is written (changes meanwhile go in the same write). */
export const BACKLOG_WRITE_DELAY_MS = 1000

export interface ReplicaBacklogFileInit {
  path: string
  logger: Logger
  /** The backlog as it is now, read when a write starts, and its count of changes. */
  backlog: Pick<CacheProtocol, 'savedReplications' | 'savedReplicationsChanges'>
  writeDelayMs?: number
}

/**
 * The node's replica backlog on disk (`<data>/replica-backlog.json`), so that a node restarted (a reboot, a crash)
 * still offers the own entries it had not placed on R replicas. Written behind: `changed` writes it a moment later,
 * one write at a time, replaced whole by rename (a crash leaves the old file or the new one); `flush` writes what is
 * left when the node stops. A crash loses at most the last moment's changes. A file missing is an empty backlog; one
 * unreadable, too big or not whole is logged and ignored, never fatal.
 */
export class ReplicaBacklogFile {
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> | undefined
  private dirty = false
  private closed = false
  private written = 0

  constructor (private readonly init: ReplicaBacklogFileInit) {}

  /** The backlog the previous run saved; empty when there is none or it cannot be used (logged). */
  async load (): Promise<SavedReplication[]> {
    const { path, logger } = this.init
    try {
      const { size } = await stat(path)
      if (size > MAX_BACKLOG_FILE_BYTES) {
        logger.warn({ path, size, maxBytes: MAX_BACKLOG_FILE_BYTES }, 'the saved replica backlog is too big: ignored (its entries are not offered again)')
        return []
      }
      return decodeSavedReplications(await readFile(path, 'utf8'))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn({ path, err }, 'the saved replica backlog cannot be read: ignored (its entries are not offered again)')
      }
      return []
    }
  }

  /**
   * The backlog the previous run saved, with the store's entry of each key it still holds (`CacheProtocol.resumeReplications`
   * keeps those with the same bytes).
   */
  async loadWithStored (store: Pick<ContentStore, 'head'>): Promise<{ saved: SavedReplication[], stored: Map<string, EntryMeta> }> {
    const saved = await this.load()
    const stored = new Map<string, EntryMeta>()
    for (const { key } of saved) {
      const meta = await store.head(key)
      if (meta !== undefined) stored.set(key, meta)
    }
    return { saved, stored }
  }

  /** After each input to the protocol: a backlog changed since it was last looked at is written a moment later. */
  noticeChanges (): void {
    const changes = this.init.backlog.savedReplicationsChanges
    if (changes === this.written) return
    this.written = changes
    this.changed()
  }

  private changed (): void {
    if (this.closed) return
    this.dirty = true
    if (this.timer === undefined && this.writing === undefined) {
      this.timer = setTimeout(() => { this.write() }, this.init.writeDelayMs ?? BACKLOG_WRITE_DELAY_MS).unref()
    }
  }

  /** Writes the changes not written yet, and no more after: the node stops. */
  async flush (): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    this.timer = undefined
    await this.writing
    if (this.dirty) {
      this.write()
      await this.writing
    }
  }

  private write (): void {
    this.timer = undefined
    this.dirty = false
    const { path, logger } = this.init
    const text = encodeSavedReplications(this.init.backlog.savedReplications())
    this.writing = writeFileAtomically(path, text, 0o600)
      .catch((err: unknown) => { logger.warn({ path, err }, 'the replica backlog could not be saved: a restart may not offer its entries again') })
      .finally(() => {
        this.writing = undefined
        if (this.dirty && !this.closed) this.changed()
      })
  }
}
