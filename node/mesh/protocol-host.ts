import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId as Libp2pPeerId } from '@libp2p/interface'
import type { Effect, SansIoProtocol } from '../../protocols/core/index.js'
import type { Logger } from '../../src/config/logger.js'
import { BadRequestError, StreamRpcServer, type TopicGuard, type MeshLibp2p } from '../libp2p/index.js'
import { PacedSender } from './paced-sender.js'
import { monotonicNow } from '../clock.js'

const PUBLISH_RETRIES = 3
const PUBLISH_RETRY_MS = 500
/** A timer whose step threw is fired again this much later. */
const TIMER_RETRY_MS = 1000
/** How long a stopping protocol waits for its last words to leave. */
const FAREWELL_MS = 500

export interface ProtocolHostComponents {
  libp2p: MeshLibp2p
  guard: TopicGuard
  logger: Logger
}

export interface ProtocolHostInit {
  /** Largest gossip message accepted per topic of the protocol. */
  maxMessageBytes: number
  /** Deadline of one `send` effect (dial, frame, the peer's handling). Default 5 s. */
  sendDeadlineMs?: number
  /** The driver clock, which the protocol's leases, timeouts and timers are measured on; default monotonicNow (see node/clock.ts). */
  now?: () => number
  /** Called after every input, once the effects are carried out (metrics, status). */
  afterInput?: () => void
}

/**
 * Runs one sans-IO protocol on libp2p (design.md, "The sans-IO boundary"): gossip on its topics
 * goes through the topic guard (the protocol's verdict becomes gossipsub's), frames on its stream
 * protocols become `onMessage`, its timers are real timers, and after every input its effects are
 * drained and carried out: `send` as a one-way frame, `publish` on gossipsub.
 */
export class ProtocolHost {
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly servers: StreamRpcServer[] = []
  private readonly unguards: Array<() => void> = []
  private readonly stopping = new AbortController()
  /** The clock the protocol is driven on: what its host passes with local commands too. */
  readonly now: () => number
  private readonly sender: PacedSender
  private running = false

  constructor (private readonly components: ProtocolHostComponents, readonly protocol: SansIoProtocol,
    private readonly init: ProtocolHostInit) {
    this.now = init.now ?? monotonicNow
    this.sender = new PacedSender(components, { deadlineMs: init.sendDeadlineMs ?? 5000, signal: this.stopping.signal })
  }

  async start (): Promise<void> {
    const { libp2p, guard } = this.components
    for (const topic of this.protocol.topics) {
      this.unguards.push(guard.judge(topic, this.init.maxMessageBytes, (from, data, seqno) =>
        this.input(() => this.protocol.onMessage(from.toString(), topic, data, this.now(), seqno))))
    }
    for (const protocolId of this.protocol.protocolIds) {
      const server = new StreamRpcServer(libp2p, {
        protocol: protocolId,
        maxRequestBytes: this.init.maxMessageBytes,
        handler: async (request, context) => {
          const verdict = this.input(() => this.protocol.onMessage(context.peer.toString(), protocolId, request, this.now()))
          if (verdict === 'reject') throw new BadRequestError(`malformed ${protocolId} frame`)
          return undefined
        }
      })
      await server.start()
      this.servers.push(server)
    }
    this.running = true
    this.input(() => { this.protocol.start(this.now()) })
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.protocol.stop(this.now())
    await this.sayGoodbye(this.protocol.drainEffects())
    this.stopping.abort(new Error('protocol host stopped'))
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    for (const unguard of this.unguards.splice(0)) unguard()
    await Promise.all(this.servers.splice(0).map(async server => { await server.stop() }))
  }

  /**
   * Publishes what the protocol says as it stops (membership: "this incarnation leaves"), waiting at most
   * FAREWELL_MS for gossipsub to take it: peers then know at once instead of after their failure detection.
   */
  private async sayGoodbye (effects: readonly Effect[]): Promise<void> {
    const pubsub = this.components.libp2p.services.pubsub
    const farewells = effects.flatMap(e => e.kind === 'publish' ? [pubsub.publish(e.topic, e.bytes).catch(() => {})] : [])
    if (farewells.length === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(farewells), new Promise<void>(resolve => { timer = setTimeout(resolve, FAREWELL_MS) })])
    clearTimeout(timer)
  }

  /** Feeds one input (or a local command) to the protocol and carries out what it emits. */
  input<T>(step: () => T): T {
    const result = step()
    this.apply(this.protocol.drainEffects())
    this.init.afterInput?.()
    return result
  }

  private apply (effects: readonly Effect[]): void {
    if (!this.running && effects.length > 0) return
    for (const effect of effects) {
      switch (effect.kind) {
        case 'send': this.send(effect.to, [effect.protocolId, ...effect.fallbackProtocolIds ?? []], effect.bytes); break
        case 'publish': this.publish(effect.topic, effect.bytes); break
        case 'setTimer': this.setTimer(effect.key, effect.at); break
        case 'cancelTimer': this.cancelTimer(effect.key); break
      }
    }
  }

  /** Sends on the first of `protocolIds` the peer speaks (multistream negotiates them in order). */
  private send (to: string, protocolIds: readonly string[], bytes: Uint8Array): void {
    let peer: Libp2pPeerId
    try {
      peer = peerIdFromString(to)
    } catch {
      this.components.logger.warn({ to }, 'protocol tried to send to an invalid peer id')
      return
    }
    this.sender.send(peer, protocolIds, bytes)
  }

  /**
   * Publishes on gossipsub. Right after a connection opens gossipsub may have no stream to send on
   * yet and reaches nobody; such a publish is tried again a few times, since the peers are there.
   */
  private publish (topic: string, bytes: Uint8Array, attempt = 0): void {
    const pubsub = this.components.libp2p.services.pubsub
    pubsub.publish(topic, bytes)
      .then(result => {
        const somebodyListens = pubsub.getSubscribers(topic).length > 0
        if (result.recipients.length === 0 && somebodyListens && attempt < PUBLISH_RETRIES && this.running) {
          setTimeout(() => { if (this.running) this.publish(topic, bytes, attempt + 1) }, PUBLISH_RETRY_MS * (attempt + 1)).unref()
        }
      })
      .catch((err: unknown) => { this.components.logger.debug({ err, topic }, 'publish failed (protocols tolerate loss)') })
  }

  private setTimer (key: string, at: number): void {
    this.cancelTimer(key)
    const timer = setTimeout(() => {
      this.timers.delete(key)
      if (!this.running) return
      // nothing above a timer catches: a bug in a protocol's timer must cost that step, not the whole node. The
      // step is tried again, since a periodic timer (a probe, a heartbeat) re-arms itself only when its step ends.
      try {
        this.input(() => { this.protocol.onTimer(key, this.now()) })
      } catch (err) {
        this.components.logger.error({ err, timer: key }, 'a protocol timer failed: trying it again in a second')
        if (!this.timers.has(key)) this.setTimer(key, this.now() + TIMER_RETRY_MS)
      }
    }, Math.max(0, at - this.now()))
    timer.unref()
    this.timers.set(key, timer)
  }

  private cancelTimer (key: string): void {
    const timer = this.timers.get(key)
    if (timer != null) clearTimeout(timer)
    this.timers.delete(key)
  }
}
