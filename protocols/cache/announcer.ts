import type { EffectQueue, Millis } from '../core/index.js'
import { CACHE_TOPIC, CACHE_MESSAGE_MAX_BYTES, MAX_RECORDS_PER_MESSAGE, announceCodec } from './messages.js'
import { trimOldest } from './negative-cache.js'
import type { SignedRecord } from './record.js'

export interface AnnouncerConfig {
  /** Longest a record waits before its batch is published. */
  readonly flushIntervalMs: Millis
  /** A batch is published at once when it reaches this many records... */
  readonly maxBatchRecords: number
  /** ...or about this many encoded bytes. */
  readonly maxBatchBytes: number
  /** How often the refresh pass runs. */
  readonly refreshIntervalMs: Millis
  /** A held record is announced again once its last announcement is this old (keep it under the index TTL). */
  readonly refreshAfterMs: Millis
  /**
   * Records re-announced per refresh pass (spreads the traffic), at least: a pass takes more when the node holds
   * so many that this pace would not announce them all within another `refreshAfterMs` (before peers forget them).
   */
  readonly refreshPerPass: number
  /** Most held records remembered for refreshing (LRU). */
  readonly maxHeldRecords: number
}

export const DEFAULT_ANNOUNCER: AnnouncerConfig = Object.freeze({
  flushIntervalMs: 250,
  maxBatchRecords: MAX_RECORDS_PER_MESSAGE,
  maxBatchBytes: 32 * 1024,
  refreshIntervalMs: 5 * 60 * 1000,
  refreshAfterMs: 3 * 60 * 60 * 1000,
  refreshPerPass: 1024,
  maxHeldRecords: 100_000
})

export const FLUSH_TIMER = 'cache/announce-flush'
export const REFRESH_TIMER = 'cache/announce-refresh'

/** Encoded size of one record in a batch, near enough to keep batches under the byte limit. */
export function recordWireBytes (record: SignedRecord): number {
  return record.gradleKey.length + record.sha256.length + record.producer.length + record.signature.length + 24
}

/**
 * Publishes "this node provides these entries" on `gmesh/v1/cache` in batches: every
 * `flushIntervalMs`, or at once when a batch is full. Keeps the records it announced (bounded) and
 * announces each again before other nodes' index TTL runs out, a bounded number per pass, so a
 * provider that stays up stays findable without flooding the topic.
 */
export class CacheAnnouncer {
  private pending: SignedRecord[] = []
  private pendingBytes = 0
  private flushArmed = false
  /** Gradle key -> record and when it was last announced, oldest announcement first. */
  private readonly held = new Map<string, { record: SignedRecord, announcedAt: Millis }>()
  published = 0

  constructor (private readonly effects: EffectQueue, readonly config: AnnouncerConfig = DEFAULT_ANNOUNCER) {}

  start (now: Millis): void {
    this.effects.setTimer(REFRESH_TIMER, now + this.config.refreshIntervalMs)
  }

  /** Publishes whatever is pending (a stopping node says what it has while it still can). */
  stop (): void {
    this.flush()
    this.effects.cancelTimer(REFRESH_TIMER)
  }

  get heldCount (): number {
    return this.held.size
  }

  /** Keys of the entries this node holds. */
  heldKeys (): IterableIterator<string> {
    return this.held.keys()
  }

  /** The record of a held entry, if this node holds it. */
  heldRecord (gradleKey: string): SignedRecord | undefined {
    return this.held.get(gradleKey)?.record
  }

  /** This node now holds the entry `record` describes: announce it in the next batch. */
  announce (record: SignedRecord, now: Millis): void {
    this.held.delete(record.gradleKey)
    this.held.set(record.gradleKey, { record, announcedAt: now })
    if (this.held.size > this.config.maxHeldRecords) trimOldest(this.held, this.config.maxHeldRecords)
    this.enqueue(record, now)
  }

  /** The local store dropped the entry: stop refreshing it (peers learn from a "missing" answer). */
  forget (gradleKey: string): void {
    this.held.delete(gradleKey)
  }

  /** Routes this announcer's timers; returns false if `timer` is not one of them. */
  onTimer (timer: string, now: Millis): boolean {
    if (timer === FLUSH_TIMER) {
      this.flushArmed = false
      this.flush()
      return true
    }
    if (timer === REFRESH_TIMER) {
      this.refresh(now)
      this.effects.setTimer(REFRESH_TIMER, now + this.config.refreshIntervalMs)
      return true
    }
    return false
  }

  private enqueue (record: SignedRecord, now: Millis): void {
    const bytes = recordWireBytes(record)
    if (this.pending.length > 0 && this.pendingBytes + bytes > Math.min(this.config.maxBatchBytes, CACHE_MESSAGE_MAX_BYTES - 64)) this.flush()
    this.pending.push(record)
    this.pendingBytes += bytes
    if (this.pending.length >= Math.min(this.config.maxBatchRecords, MAX_RECORDS_PER_MESSAGE)) {
      this.flush()
    } else if (!this.flushArmed) {
      this.flushArmed = true
      this.effects.setTimer(FLUSH_TIMER, now + this.config.flushIntervalMs)
    }
  }

  private flush (): void {
    if (this.pending.length === 0) return
    this.effects.publish(CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: this.pending }))
    this.published += this.pending.length
    this.pending = []
    this.pendingBytes = 0
    if (this.flushArmed) {
      this.flushArmed = false
      this.effects.cancelTimer(FLUSH_TIMER)
    }
  }

  private refresh (now: Millis): void {
    const { refreshPerPass, refreshIntervalMs, refreshAfterMs } = this.config
    // every held record may fall due at once (a cold build's PUTs): all of them must go out within one more refreshAfterMs
    const perPass = Math.max(refreshPerPass, Math.ceil(this.held.size * refreshIntervalMs / refreshAfterMs))
    const due: SignedRecord[] = []
    for (const { record, announcedAt } of this.held.values()) {
      if (now - announcedAt < refreshAfterMs || due.length >= perPass) break
      due.push(record)
    }
    for (const record of due) this.announce(record, now)
  }
}
