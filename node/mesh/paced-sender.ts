import type { PeerId } from '@libp2p/interface'
import type { Logger } from '../../src/config/logger.js'
import { sendFrame, type MeshLibp2p } from '../libp2p/index.js'
import { KeyedLanes } from './keyed-lanes.js'

export interface PacedSenderComponents {
  libp2p: MeshLibp2p
  logger: Logger
}

export interface PacedSenderInit {
  /** Frames of one protocol in flight to one peer, each until the peer handled it. Default 4 (a server allows 8). */
  maxInFlight?: number
  /** Frames waiting per peer and protocol; past it new ones are dropped, as a lossy network would. Default 1024. */
  maxQueued?: number
  /** Peer and protocol pairs with frames waiting or in flight at once; a frame to another is dropped. Default MAX_SEND_LANES. */
  maxLanes?: number
  /** Deadline of one frame (dial, send, the peer's handling). */
  deadlineMs: number
  signal: AbortSignal
}

/** Peer and protocol pairs a PacedSender sends to at once, by default: each may be a dial (and a DHT lookup). */
export const MAX_SEND_LANES = 1024

/** `protocolIds`: the one to send on, then older ones to negotiate instead if the peer does not speak it. */
interface Frame { readonly to: PeerId, readonly protocolIds: readonly string[], readonly bytes: Uint8Array }

/**
 * Carries a protocol's `send` effects: one-way frames to one peer on one protocol go a few at a time,
 * the next once the peer handled one. An index answer is up to 64 pages emitted at once; sent at once,
 * every page past the peer's limit of 8 streams was reset, the last one among them.
 */
export class PacedSender {
  private readonly lanes: KeyedLanes<Frame>

  constructor (private readonly components: PacedSenderComponents, private readonly init: PacedSenderInit) {
    this.lanes = new KeyedLanes<Frame>({
      run: async (_key, frame) => { await this.deliver(frame) },
      maxRunning: init.maxInFlight ?? 4,
      maxWaiting: init.maxQueued ?? 1024,
      maxKeys: init.maxLanes ?? MAX_SEND_LANES,
      signal: init.signal
    })
  }

  /** Frames dropped because they were to a peer and protocol past `maxLanes` others. */
  get refusedLanes (): number { return this.lanes.refusedKeys }

  send (to: PeerId, protocolIds: string | readonly string[], bytes: Uint8Array): void {
    const ids = typeof protocolIds === 'string' ? [protocolIds] : protocolIds
    const refused = this.lanes.refusedKeys
    if (!this.lanes.add(`${to.toString()} ${ids[0] ?? ''}`, { to, protocolIds: ids, bytes })) {
      const why = this.lanes.refusedKeys > refused ? 'sending to too many peers at once' : 'send queue full'
      this.components.logger.debug({ to: to.toString(), protocolIds: ids }, `${why}: frame dropped (protocols tolerate loss)`)
    }
  }

  private async deliver ({ to, protocolIds, bytes }: Frame): Promise<void> {
    try {
      await sendFrame(this.components.libp2p, to, protocolIds, bytes, { signal: this.init.signal, deadlineMs: this.init.deadlineMs, untilHandled: true })
    } catch (err) {
      this.components.logger.debug({ err, to: to.toString(), protocolIds }, 'send failed (protocols tolerate loss)')
    }
  }
}
