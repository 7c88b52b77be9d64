import type { Millis, PeerId } from '../core/index.js'
import { Member } from './member.js'
import type { MemberInfo } from './member.js'
import { DIGEST_BUCKETS } from './messages.js'
import type { MemberRecord, MemberStatus } from './messages.js'

export type { MemberInfo } from './member.js'

/**
 * What applying a record did to the table: `incarnation`, the member kept its status at a higher incarnation;
 * `load`, only its load changed; `full`, a new member was refused, the table being at its bound.
 */
export type ApplyOutcome = 'new' | 'status' | 'incarnation' | 'load' | 'stale' | 'full'

/** Members a table holds at most by default: far above any real mesh, low enough that forged records cannot exhaust memory. */
export const DEFAULT_MAX_MEMBERS = 50_000

const RANK: Record<MemberStatus, number> = { alive: 0, suspect: 1, dead: 2 }

/** FNV-1a over the UTF-16 code units of a peer id. */
export function peerHash (peer: PeerId): number {
  let h = 0x811c9dc5
  for (let i = 0; i < peer.length; i++) h = Math.imul(h ^ peer.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** The digest bucket of a peer hash. */
export function bucketOf (hash: number): number {
  return hash & (DIGEST_BUCKETS - 1)
}

/**
 * The member table with SWIM's precedence rules: a higher incarnation always wins; at the same
 * incarnation dead beats suspect beats alive. Only the peer itself raises its incarnation (to refute).
 * Dead members stay as tombstones so a stale "alive" cannot resurrect them, until `reapDead` lets go
 * of old ones. The table holds at most `maxMembers`: a new member past that replaces the oldest
 * tombstone, or is refused when there is none.
 */
export class MemberTable {
  private readonly members = new Map<PeerId, Member>()
  private readonly dead: Member[] = []
  /** The dead members in the order they died (time only moves forward): the oldest first, found at once. */
  private readonly deathOrder = new Map<PeerId, Member>()
  private aliveHash = 0
  /** The alive digest split by `bucketOf(peerHash)`: XOR of the buckets is `aliveHash`. */
  private readonly bucketHashes = new Uint32Array(DIGEST_BUCKETS)
  private alive = 0
  /** New members refused because the table was full of live ones. */
  refused = 0

  constructor (private readonly maxMembers = DEFAULT_MAX_MEMBERS) {}

  /** Members held, tombstones included. */
  get size (): number {
    return this.members.size
  }

  get (peer: PeerId): MemberInfo | undefined {
    return this.members.get(peer)
  }

  /** Members not known dead (alive or suspect). */
  get liveCount (): number {
    return this.members.size - this.dead.length
  }

  /** Members whose status is exactly alive. */
  get aliveCount (): number {
    return this.alive
  }

  /** XOR of the hashes of members whose status is alive: equal sets give equal digests. */
  get aliveDigest (): number {
    return this.aliveHash
  }

  /** The alive digest of each bucket of peers (a copy). */
  aliveBuckets (): number[] {
    return Array.from(this.bucketHashes)
  }

  get deadCount (): number {
    return this.dead.length
  }

  deadAt (index: number): MemberInfo | undefined {
    return this.dead[index]
  }

  /** Every member in insertion order (deterministic). */
  values (): IterableIterator<MemberInfo> {
    return this.members.values()
  }

  /** Applies a record under the precedence rules. */
  apply (record: MemberRecord, now: Millis): ApplyOutcome {
    const member = this.members.get(record.peer)
    if (member === undefined) {
      if (this.members.size >= this.maxMembers && !this.evictOldestDead()) {
        this.refused++
        return 'full'
      }
      const added = new Member(record.peer, record, now)
      this.members.set(record.peer, added)
      this.enterStatus(added, record.status)
      return 'new'
    }
    if (record.incarnation < member.incarnation) return 'stale'
    if (record.incarnation === member.incarnation) {
      if (RANK[record.status] < RANK[member.status]) return 'stale'
      if (record.status === member.status) {
        if (record.status !== 'alive') return 'stale'
        member.setLoad(record.load)
        return 'load'
      }
    }
    if (record.incarnation !== member.incarnation) member.beat = undefined
    member.incarnation = record.incarnation
    member.setLoad(record.load)
    if (record.status === member.status) return 'incarnation'
    this.leaveStatus(member)
    this.enterStatus(member, record.status)
    member.statusSince = Math.floor(now)
    // a member brought back to alive (a refutation, from whoever passed it on) starts its silence
    // now: its last heartbeat is from before the suspicion, and the sweep would suspect it again
    if (record.status === 'alive') member.lastHeard = member.statusSince
    if (record.status !== 'dead') member.heldLive = true
    return 'status'
  }

  /**
   * Notes that the peer was heard from directly at `now` (a heartbeat, probe or ack): it is confirmed; and `reached`
   * too if that was over a stream.
   */
  touch (peer: PeerId, now: Millis, reached = false): void {
    const member = this.members.get(peer)
    if (member === undefined) return
    member.lastHeard = Math.floor(now)
    member.confirmed = true
    if (reached) member.reached = true
  }

  /** Whether the peer's own heartbeat at `incarnation` signed `sent` is news (see heartbeat-order.ts). */
  freshBeat (peer: PeerId, incarnation: number, sent: bigint): boolean {
    const member = this.members.get(peer)
    return member === undefined || member.incarnation !== incarnation || member.beat === undefined || sent > member.beat
  }

  /** Notes that the peer's heartbeat at `incarnation` signed `sent` was taken, if the peer is held at that incarnation. */
  noteBeat (peer: PeerId, incarnation: number, sent: bigint): void {
    const member = this.members.get(peer)
    if (member !== undefined && member.incarnation === incarnation && (member.beat === undefined || sent > member.beat)) member.beat = sent
  }

  /** Whether `peer` is held and was heard from directly: not a rumour. */
  isConfirmed (peer: PeerId): boolean {
    return this.members.get(peer)?.confirmed === true
  }

  /** Whether `peer` is held live (alive or suspect) and this node heard from it directly. */
  isConfirmedLive (peer: PeerId): boolean {
    const member = this.members.get(peer)
    return member !== undefined && member.confirmed && member.status !== 'dead'
  }

  /**
   * Lets go of a rumour that did not answer: a member held live but never heard from directly is held dead at its
   * incarnation, as a tombstone this node passes on to nobody (it saw nothing die) and which keeps the same rumour
   * from coming back through a pull until it is reaped. False (and nothing done) if `peer` is not such a member.
   */
  dropRumour (peer: PeerId, now: Millis): boolean {
    const member = this.members.get(peer)
    if (member === undefined || member.confirmed || member.status === 'dead') return false
    this.leaveStatus(member)
    this.enterStatus(member, 'dead')
    member.statusSince = Math.floor(now)
    member.heldLive = false
    member.dropped = true
    return true
  }

  /**
   * The peer is heard from directly at `incarnation`: if it is a rumour this node let go, forget that tombstone (nobody
   * else holds it, and the peer's record at the same incarnation would not beat it), so that the message brings it back.
   * So too a rumour held more than `maxStep` above the peer's own word: others' word only (any incarnation is taken
   * about a member not held), maybe forged near the bound, where no suspicion of the peer could be refuted.
   */
  heardFromDirectly (peer: PeerId, incarnation: number, maxStep: number): void {
    const member = this.members.get(peer)
    if (member !== undefined && (member.dropped || (!member.confirmed && member.incarnation > incarnation + maxStep))) this.remove(member)
  }

  /** Members held alive that nobody has heard from since before `before`. */
  silentSince (before: Millis): PeerId[] {
    const silent: PeerId[] = []
    for (const member of this.members.values()) if (member.status === 'alive' && member.lastHeard < before) silent.push(member.peer)
    return silent
  }

  /** Forgets members dead since before `before` (a heartbeat brings a live one back); returns how many. */
  reapDead (before: Millis): number {
    let reaped = 0
    for (const member of this.deathOrder.values()) {
      if (member.statusSince >= before) break
      this.remove(member)
      reaped++
    }
    return reaped
  }

  private evictOldestDead (): boolean {
    const oldest = this.deathOrder.values().next().value
    if (oldest === undefined) return false
    this.remove(oldest)
    return true
  }

  private remove (member: Member): void {
    this.leaveStatus(member)
    this.members.delete(member.peer)
  }

  private flipAlive (peer: PeerId): void {
    const hash = peerHash(peer)
    this.aliveHash = (this.aliveHash ^ hash) >>> 0
    const bucket = bucketOf(hash)
    this.bucketHashes[bucket] = (this.bucketHashes[bucket] as number) ^ hash
  }

  private enterStatus (member: Member, status: MemberStatus): void {
    member.status = status
    if (status === 'alive') {
      this.alive++
      this.flipAlive(member.peer)
    } else if (status === 'dead') {
      member.deadIndex = this.dead.length
      this.dead.push(member)
      this.deathOrder.set(member.peer, member)
    }
  }

  private leaveStatus (member: Member): void {
    if (member.status === 'alive') {
      this.alive--
      this.flipAlive(member.peer)
    } else if (member.status === 'dead') {
      const last = this.dead.pop() as Member
      if (last !== member) {
        this.dead[member.deadIndex] = last
        last.deadIndex = member.deadIndex
      }
      member.deadIndex = -1
      this.deathOrder.delete(member.peer)
    }
  }
}

/**
 * `{ about }` carrying the peer's record when `table` holds it suspect or dead (so the peer can refute); none for a
 * rumour let go: that is this node's word alone, and the peer's answer brings it back here (heardFromDirectly).
 */
export function aboutPeer (table: MemberTable, peer: PeerId): { about?: MemberRecord } {
  const member = table.get(peer)
  if (member === undefined || member.status === 'alive' || member.dropped) return {}
  return { about: { peer, status: member.status, incarnation: member.incarnation, load: member.load } }
}
