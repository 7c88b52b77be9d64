import type { Catalog } from './catalog.js'
import type { IndexDb, IndexOp } from './index-db.js'

/**
 * Write-behind of lastAccess: reads only mark keys dirty in memory; the marks are written to the index in
 * one batch at most every `intervalMs`, and on flush()/close.
 */
export class AccessFlusher {
  private readonly catalog: Catalog
  private readonly index: IndexDb
  private readonly intervalMs: number
  private readonly onError: (err: unknown) => void
  private dirty = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor (catalog: Catalog, index: IndexDb, intervalMs: number, onError: (err: unknown) => void) {
    this.catalog = catalog
    this.index = index
    this.intervalMs = intervalMs
    this.onError = onError
  }

  mark (key: string): void {
    if (this.stopped) return // a read that finished while the store closed: its access time is not worth a write
    this.dirty.add(key)
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.flush().catch(this.onError)
    }, this.intervalMs)
    this.timer.unref()
  }

  /** Forgets a key whose entry is gone (its index record is deleted by the caller). */
  drop (key: string): void {
    this.dirty.delete(key)
  }

  async flush (): Promise<void> {
    if (this.dirty.size === 0) return
    const keys = this.dirty
    this.dirty = new Set()
    const ops: IndexOp[] = []
    for (const key of keys) {
      const meta = this.catalog.get(key)
      if (meta !== undefined) ops.push({ type: 'put', meta: { ...meta } })
    }
    if (ops.length > 0) await this.index.write(ops)
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    await this.flush()
  }
}
