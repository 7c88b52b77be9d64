import { applyEffects } from '../protocols/core/index.js'
import type { Driver, PeerId } from '../protocols/core/index.js'
import { Membership } from '../protocols/membership/index.js'
import type { MembershipConfig, MembershipOptions } from '../protocols/membership/index.js'
import { EventKind, bytesHash } from './engine/index.js'
import type { Engine, EventHandler, SimEvent } from './engine/index.js'
import type { GossipModel } from './gossip.js'
import type { FaultState, Links } from './network/index.js'
import { TimerBook, readyUnderFaults } from './node-events.js'
import { Transport } from './transport.js'
import { simPeerId } from './peers.js'

/** Builds the protocol a node runs; tests pass deliberately broken variants here. */
export type ProtocolFactory = (options: MembershipOptions) => Membership

export interface HarnessParts {
  readonly engine: Engine
  readonly links: Links
  readonly faults: FaultState
  readonly gossip: GossipModel
  readonly config?: Partial<MembershipConfig>
  readonly createProtocol?: ProtocolFactory
}

/** A virtual node: its protocol instance (absent while crashed), timers, and events held while paused. */
export interface SimNode {
  readonly index: number
  readonly peer: PeerId
  protocol: Membership | undefined
  timers: Map<string, number>
  pending: SimEvent[]
  /** The incarnation on this node's disk, for a restart with disk. */
  diskIncarnation: number | undefined
}

/** Nodes 0 to SEED_COUNT - 1 are every node's seeds (its bootstrap list). */
export const SEED_COUNT = 5

/** Runs every node's real protocol code on the virtual network: turns effects into events and events into inputs. */
export class Harness implements EventHandler {
  readonly nodes: SimNode[] = []
  readonly transport: Transport
  /** Faults injected so far. */
  readonly injected = { crashes: 0, restarts: 0, pauses: 0 }
  private readonly index = new Map<PeerId, number>()
  private readonly drivers: Driver[] = []
  private readonly seeds: PeerId[] = []
  private readonly timers: TimerBook

  constructor (readonly size: number, private readonly parts: HarnessParts) {
    this.transport = new Transport(size, parts.engine, parts.links, parts.faults, parts.gossip)
    this.timers = new TimerBook(parts.engine)
    for (let i = 0; i < size; i++) {
      const peer = simPeerId(i)
      this.nodes.push({ index: i, peer, protocol: undefined, timers: new Map(), pending: [], diskIncarnation: undefined })
      this.index.set(peer, i)
      this.drivers.push(this.driverFor(i))
      if (i < SEED_COUNT) this.seeds.push(peer)
    }
  }

  /** Starts every node at the current virtual time, in index order. */
  startAll (): void {
    for (let i = 0; i < this.size; i++) this.boot(i, undefined)
  }

  protocolOf (node: number): Membership | undefined {
    return this.nodes[node]?.protocol
  }

  indexOf (peer: PeerId): number | undefined {
    return this.index.get(peer)
  }

  peerOf (node: number): PeerId {
    return simPeerId(node)
  }

  handle (event: SimEvent): void {
    if (event.kind === EventKind.gossipWave) {
      this.deliverWave(event)
      return
    }
    const node = this.nodes[event.node] as SimNode
    if (!readyUnderFaults(event, this.parts.faults, this.parts.engine, node.pending)) return
    if (event.kind === EventKind.timer) this.fireTimer(node, event)
    else this.deliver(node, event.from, event.key as string, event.bytes as Uint8Array, bytesHash(event.bytes as Uint8Array))
  }

  /** Crash: the process dies; its incarnation survives on disk, its timers and buffers do not. False if it was down already. */
  crash (i: number): boolean {
    const node = this.nodes[i] as SimNode
    const faults = this.parts.faults
    if (faults.up[i] === 0) return false
    this.injected.crashes++
    node.diskIncarnation = node.protocol?.currentIncarnation
    node.protocol = undefined
    node.timers = new Map()
    node.pending = []
    faults.up[i] = 0
    faults.paused[i] = 0
    faults.downSince[i] = this.parts.engine.now
    faults.disturbedAt[i] = this.parts.engine.now
    return true
  }

  /** Restart after a crash, with the disk (incarnation kept) or with a blank disk. */
  restart (i: number, withDisk: boolean): void {
    const faults = this.parts.faults
    if (faults.up[i] === 1) return
    this.injected.restarts++
    faults.up[i] = 1
    faults.disturbedAt[i] = this.parts.engine.now
    const node = this.nodes[i] as SimNode
    this.boot(i, withDisk ? node.diskIncarnation : undefined)
  }

  pause (i: number): void {
    const faults = this.parts.faults
    if (faults.up[i] === 0 || faults.paused[i] === 1) return
    this.injected.pauses++
    faults.paused[i] = 1
    faults.disturbedAt[i] = this.parts.engine.now
  }

  /** Resume: everything that arrived or fell due while paused is handled now, in arrival order. */
  resume (i: number): void {
    const faults = this.parts.faults
    if (faults.paused[i] === 0) return
    faults.paused[i] = 0
    faults.disturbedAt[i] = this.parts.engine.now
    const node = this.nodes[i] as SimNode
    const held = node.pending
    node.pending = []
    for (const event of held) this.parts.engine.requeue(event, this.parts.engine.now)
  }

  private boot (i: number, restoredIncarnation: number | undefined): void {
    const node = this.nodes[i] as SimNode
    const { engine, config, createProtocol } = this.parts
    const options: MembershipOptions = {
      self: node.peer,
      seeds: this.seeds,
      random: engine.random.fork(),
      ...(config === undefined ? {} : { config }),
      ...(restoredIncarnation === undefined ? {} : { restoredIncarnation })
    }
    node.protocol = createProtocol === undefined ? new Membership(options) : createProtocol(options)
    node.protocol.start(engine.now)
    this.flush(i)
  }

  private flush (i: number): void {
    const protocol = this.nodes[i]?.protocol
    if (protocol !== undefined) applyEffects(protocol.drainEffects(), this.drivers[i] as Driver)
  }

  private deliver (node: SimNode, from: number, via: string, bytes: Uint8Array, hash: number): void {
    // a partition that began while the message was on its way cuts it off too, as a real link would
    if (!this.parts.faults.reachable(from, node.index)) return
    const engine = this.parts.engine
    engine.trace.event(engine.now, EventKind.deliver, node.index, from, hash)
    // the verdict would stop gossipsub forwarding an ignored or rejected message; not modelled (sim/README.md)
    node.protocol?.onMessage((this.nodes[from] as SimNode).peer, via, bytes, engine.now)
    this.flush(node.index)
  }

  private fireTimer (node: SimNode, event: SimEvent): void {
    const key = this.timers.take(node.timers, event)
    if (key === undefined) return
    node.protocol?.onTimer(key, this.parts.engine.now)
    this.flush(node.index)
  }

  private deliverWave (wave: SimEvent): void {
    const { engine, faults, gossip, links } = this.parts
    const miss = gossip.missProbability(links.profile.loss)
    for (const r of wave.list as number[]) {
      if (faults.up[r] === 0) continue
      if (miss > 0 && engine.random.nextFloat() < miss) {
        this.transport.stats.gossipDropped++
        continue
      }
      // a duplicated copy is not handed on: gossipsub drops a message id it has seen (only direct messages arrive twice)
      this.transport.stats.gossipDelivered++
      if (faults.paused[r] === 1 || (faults.slowMs[r] as number) > 0) this.handle(this.directEvent(r, wave.from, wave.key as string, wave.bytes as Uint8Array, engine.now))
      else this.deliver(this.nodes[r] as SimNode, wave.from, wave.key as string, wave.bytes as Uint8Array, wave.hash)
    }
  }

  private directEvent (to: number, from: number, via: string, bytes: Uint8Array, at: number): SimEvent {
    const event = this.parts.engine.event(at, EventKind.deliver)
    event.node = to
    event.from = from
    event.key = via
    event.bytes = bytes
    return event
  }

  private driverFor (i: number): Driver {
    const engine = this.parts.engine
    return {
      now: () => engine.now,
      send: (to, protocolId, bytes) => {
        const target = this.index.get(to)
        if (target !== undefined) this.transport.send(i, target, protocolId, bytes)
      },
      publish: (topic, bytes) => { this.transport.publish(i, topic, bytes) },
      setTimer: (key, at) => { this.timers.set((this.nodes[i] as SimNode).timers, i, key, at) },
      cancelTimer: (key) => { this.nodes[i]?.timers.delete(key) }
    }
  }

}
