import type { PeerId } from '@libp2p/interface'
import type { Logger } from '../../src/config/logger.js'
import { sendFrame, type MeshLibp2p } from '../libp2p/index.js'

export interface PacedSenderComponents {
  libp2p: MeshLibp2p
  logger: Logger
}

export interface PacedSenderInit {
  /** Frames of one protocol in flight to one peer, each until the peer handled it. Default 4 (a server allows 8). */
  maxInFlight?: number
  /** Frames waiting per peer and protocol; past it new ones are dropped, as a lossy network would. Default 1024. */
  maxQueued?: number
  /** Deadline of one frame (dial, send, the peer's handling). */
  deadlineMs: number
  signal: AbortSignal
}

interface Lane { inFlight: number, readonly queue: Uint8Array[] }

/**
 * Carries a protocol's `send` effects: one-way frames to one peer on one protocol go a few at a time,
 * the next once the peer handled one. An index answer is up to 64 pages emitted at once; sent at once,
 * every page past the peer's limit of 8 streams was reset, the last one among them.
 */
export class PacedSender {
  private readonly lanes = new Map<string, Lane>()
  private readonly maxInFlight: number
  private readonly maxQueued: number

  constructor (private readonly components: PacedSenderComponents, private readonly init: PacedSenderInit) {
    this.maxInFlight = init.maxInFlight ?? 4
    this.maxQueued = init.maxQueued ?? 1024
  }

  send (to: PeerId, protocolId: string, bytes: Uint8Array): void {
    const id = `${to.toString()} ${protocolId}`
    const lane = this.lanes.get(id) ?? { inFlight: 0, queue: [] }
    this.lanes.set(id, lane)
    if (lane.queue.length >= this.maxQueued) {
      this.components.logger.debug({ to: to.toString(), protocolId }, 'send queue full: frame dropped (protocols tolerate loss)')
      return
    }
    lane.queue.push(bytes)
    this.pump(id, lane, to, protocolId)
  }

  private pump (id: string, lane: Lane, to: PeerId, protocolId: string): void {
    while (lane.inFlight < this.maxInFlight && !this.init.signal.aborted) {
      const bytes = lane.queue.shift()
      if (bytes === undefined) break
      lane.inFlight++
      sendFrame(this.components.libp2p, to, protocolId, bytes, { signal: this.init.signal, deadlineMs: this.init.deadlineMs, untilHandled: true })
        .catch((err: unknown) => { this.components.logger.debug({ err, to: to.toString(), protocolId }, 'send failed (protocols tolerate loss)') })
        .finally(() => {
          lane.inFlight--
          this.pump(id, lane, to, protocolId)
        })
    }
    if (lane.inFlight === 0 && lane.queue.length === 0) this.lanes.delete(id)
  }
}
