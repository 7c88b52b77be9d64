import { peerIdFromString } from '@libp2p/peer-id'
import {
  checkReplicaPullHeader, DEFAULT_PULL_TIMING, pullDeadlineMs, recordProof, REPLICA_TIMING, type PullTiming, type PushStatus, type SignedRecord
} from '../../protocols/cache/index.js'
import type { ContentStore } from '../../src/cas/store.js'
import type { MeshLibp2p } from '../libp2p/index.js'
import { fetchBlob } from './blob-transfer.js'
import { provesCorrupt } from './verified-body.js'
import { raceSignal } from 'race-signal'

export interface ReplicaPullerInit {
  libp2p: MeshLibp2p
  store: ContentStore
  maxEntryBytes: number
  /** The pull's header within this (default REPLICA_TIMING.pullHeaderMs)... */
  headerMs?: number
  /** ...then the body must not bring nothing for this long (default REPLICA_TIMING.pullStallMs)... */
  stallMs?: number
  /** ...and the whole pull must end within `pullDeadlineMs`: its header's time, the entry at this rate (default REPLICA_TIMING.minPullBytesPerSecond)... */
  minBytesPerSecond?: number
  /** ...and this slack (default REPLICA_TIMING.pullSlackMs). */
  slackMs?: number
  /** Pulls from one pusher under way at once (default 8); another offer of that pusher is answered `busy`. */
  maxPerPusher?: number
  /** Pulls under way at once (default 32). */
  maxRunning?: number
  /** The bytes are verified and stored. */
  onStored: (record: SignedRecord) => void
  /** The bytes `from` served are certainly not the offered entry. */
  onCorrupt: (from: string) => void
}

/**
 * A replica's pulls of the entries it accepted offers of: fetched by key from the pusher, checked against the offer,
 * and stored. A pull is not tied to the offer's stream: a pusher that gave up waiting (an older node waits 30 s
 * whatever the size) and offers again joins the pull still running, which a body that keeps moving never outlives.
 * Bounded: a pusher that drops its offers' streams still has at most `maxPerPusher` pulls running here, and each ends
 * by its total deadline (`pullDeadlineMs`), so a pusher trickling a byte just inside each stall limit frees its slots too.
 */
export class ReplicaPuller {
  private readonly running = new Map<string, Promise<PushStatus>>()
  private readonly perPusher = new Map<string, number>()

  /** The total deadline's timings: the init's, else the defaults. */
  private readonly timing: PullTiming

  constructor (private readonly init: ReplicaPullerInit, private readonly signal: AbortSignal) {
    const { headerMs, minBytesPerSecond, slackMs } = DEFAULT_PULL_TIMING
    this.timing = { headerMs: init.headerMs ?? headerMs, minBytesPerSecond: init.minBytesPerSecond ?? minBytesPerSecond, slackMs: init.slackMs ?? slackMs }
  }

  /** Pulls `record`'s entry from `from`, or joins the pull of that key under way; resolves to the offer's answer. */
  async pull (from: string, record: SignedRecord, offer: AbortSignal): Promise<PushStatus> {
    let pull = this.running.get(record.gradleKey)
    if (pull === undefined) {
      const pusherPulls = this.perPusher.get(from) ?? 0
      if (pusherPulls >= (this.init.maxPerPusher ?? 8) || this.running.size >= (this.init.maxRunning ?? 32)) return 'busy'
      this.perPusher.set(from, pusherPulls + 1)
      pull = this.fetch(from, record).finally(() => { this.ended(from, record.gradleKey) })
      pull.catch(() => {}) // its offer may be gone: whoever waits for it sees its error
      this.running.set(record.gradleKey, pull)
    }
    return await raceSignal(pull, offer)
  }

  private ended (from: string, key: string): void {
    this.running.delete(key)
    const left = (this.perPusher.get(from) ?? 1) - 1
    if (left <= 0) this.perPusher.delete(from)
    else this.perPusher.set(from, left)
  }

  /** `pull`'s own work, called off at its total deadline. */
  private async fetch (from: string, record: SignedRecord): Promise<PushStatus> {
    const ms = pullDeadlineMs(record.size, this.timing)
    const deadline = new AbortController()
    const timer = setTimeout(() => { deadline.abort(new PullDeadlineError(ms)) }, ms)
    try {
      return await this.fetchWithin(from, record, AbortSignal.any([this.signal, deadline.signal]))
    } catch (err) {
      throw deadline.signal.aborted ? deadline.signal.reason : err
    } finally {
      clearTimeout(timer)
    }
  }

  private async fetchWithin (from: string, record: SignedRecord, signal: AbortSignal): Promise<PushStatus> {
    const { libp2p, store, maxEntryBytes } = this.init
    const response = await fetchBlob(libp2p, peerIdFromString(from), record.gradleKey, {
      signal, deadlineMs: this.timing.headerMs, maxBodyBytes: maxEntryBytes, bodyStallMs: this.init.stallMs ?? REPLICA_TIMING.pullStallMs
    })
    const check = checkReplicaPullHeader(record, response.header)
    if (!check.accept) {
      response.abort()
      return check.status
    }
    try {
      await store.put(record.gradleKey, response.body, {
        expectedSha256: check.sha256, expectedSize: check.size, producer: record.producer, signature: recordProof(record), signal
      })
    } catch (err) {
      if (provesCorrupt(err)) this.init.onCorrupt(from)
      throw err
    }
    this.init.onStored(record)
    return 'stored'
  }
}

/** A replica pull ran past its total deadline (`pullDeadlineMs`). */
export class PullDeadlineError extends Error {
  override readonly name = 'PullDeadlineError'
  constructor (readonly ms: number) { super(`replica pull not done within ${ms} ms`) }
}
