import type { Millis, PeerId } from '../core/index.js'
import type { Load, MemberRecord, MemberStatus } from './messages.js'

/** A peer as this node currently sees it. */
export interface MemberInfo extends MemberRecord {
  /** When this node last heard from the peer directly or through its own heartbeat. */
  readonly lastHeard: Millis
  /** When the peer entered its current status in this node's view. */
  readonly statusSince: Millis
  /** Whether this node ever held the peer alive or suspect: if not, a tombstone it holds was passed on to it. */
  readonly heldLive: boolean
  /**
   * Whether this node ever heard from the peer directly (its own message, or an ack to a probe): if not, the peer is a
   * rumour, passed on by others only, and may not exist at all (see `Membership`).
   */
  readonly confirmed: boolean
  /**
   * Whether this node heard from the peer over a stream (its ping or join, or its own ack): a node holding its key
   * connected to this one. A signature costs nothing (a fresh key signs a heartbeat as well as a member), a connection
   * does: gossip from a reached member is not held to its forwarder's budget (node/libp2p TopicGuard `isMember`).
   */
  readonly reached: boolean
  /** Whether this node let the peer go as a rumour that did not answer (MemberTable.dropRumour): dead on its word alone. */
  readonly dropped: boolean
}

/**
 * A member kept compact (one object, small-integer fields where possible): a large mesh holds
 * n × n of these across the simulator's nodes.
 */
export class Member implements MemberInfo {
  status: MemberStatus
  incarnation: number
  capacity: number
  running: number
  queued: number
  cacheBytes: number
  lastHeard: Millis
  statusSince: Millis
  heldLive: boolean
  confirmed = false
  reached = false
  dropped = false
  /** The signed sequence number of the newest heartbeat of the peer's taken at `incarnation` (heartbeat-order.ts). */
  beat: bigint | undefined = undefined
  /** Position in the dead list, -1 when not dead. */
  deadIndex = -1

  constructor (readonly peer: PeerId, record: MemberRecord, now: Millis) {
    this.status = record.status
    this.incarnation = record.incarnation
    this.capacity = record.load.capacity
    this.running = record.load.running
    this.queued = record.load.queued
    this.cacheBytes = record.load.cacheBytes
    this.lastHeard = Math.floor(now)
    this.statusSince = this.lastHeard
    this.heldLive = record.status !== 'dead'
  }

  get load (): Load {
    return { capacity: this.capacity, running: this.running, queued: this.queued, cacheBytes: this.cacheBytes }
  }

  setLoad (load: Load): void {
    this.capacity = load.capacity
    this.running = load.running
    this.queued = load.queued
    this.cacheBytes = load.cacheBytes
  }
}
