import type { EffectQueue, Millis, PeerId, TimerKey } from '../core/index.js'
import type { MemberRecord } from './messages.js'
import type { MemberTable } from './table.js'

const SUSPECT_PREFIX = 'suspect:'

/** The member whose suspicion timer `key` is, or undefined if it is another timer. */
export function suspectOfTimer (key: TimerKey): PeerId | undefined {
  return key.startsWith(SUSPECT_PREFIX) ? key.slice(SUSPECT_PREFIX.length) : undefined
}

/**
 * SWIM's suspicion over the member table: every record (a rumour, a probe's verdict, a direct
 * message) goes through `apply`, so a member that becomes suspect, whoever suspected it, gets a
 * timer (`suspect:<peer>`, `timeoutMs()` from then) and one that leaves suspicion (refuted, or
 * dead) loses it. A suspicion that times out makes the member dead; only the node that suspected
 * the member itself publishes the death (the others hold the same timer and need not repeat it).
 */
export class Suspicion {
  /** Members this node suspected itself (and so publishes the death of). */
  private readonly origins = new Set<PeerId>()

  constructor (private readonly table: MemberTable, private readonly effects: EffectQueue, private readonly timeoutMs: () => Millis) {}

  /**
   * Applies a record under the precedence rules and keeps suspicion timers in step; true when it made a member held live dead.
   * A suspicion of a later incarnation (the member refuted one suspicion, this node missed it, and it is suspected
   * again) is a new suspicion: its own full timeout, and the node that raised it declares the death.
   */
  apply (record: MemberRecord, now: Millis): boolean {
    const outcome = this.table.apply(record, now)
    if (outcome === 'incarnation' && record.status === 'suspect') this.origins.delete(record.peer)
    else if (outcome !== 'new' && outcome !== 'status') return false
    if (record.status === 'suspect') {
      this.effects.setTimer(SUSPECT_PREFIX + record.peer, now + this.timeoutMs())
    } else if (outcome === 'status') {
      this.origins.delete(record.peer)
      this.effects.cancelTimer(SUSPECT_PREFIX + record.peer)
    }
    // only a member this node held live is worth a verdict ping (and Membership pings only one it heard from): a
    // tombstone of a member it never knew (a welcome carries up to hundreds) would cost a dial each
    return outcome === 'status' && record.status === 'dead'
  }

  /** This node suspects `peer` (its probe failed, or its heartbeats stopped): the record to publish, if it was alive. */
  suspect (peer: PeerId, now: Millis): MemberRecord | undefined {
    const member = this.table.get(peer)
    if (member === undefined || member.status !== 'alive') return undefined
    const record: MemberRecord = { peer, status: 'suspect', incarnation: member.incarnation, load: member.load }
    this.apply(record, now)
    this.origins.add(peer)
    return record
  }

  /**
   * `peers` went silent (a probe failed, or heartbeats stopped): the suspicions to publish, of those confirmed and
   * alive. A rumour (never heard from directly) is let go instead, silently (MemberTable.dropRumour): nothing to
   * publish, no verdict to ping.
   */
  silent (peers: readonly PeerId[], now: Millis): MemberRecord[] {
    const suspicions: MemberRecord[] = []
    for (const peer of peers) {
      if (this.table.dropRumour(peer, now)) this.effects.cancelTimer(SUSPECT_PREFIX + peer)
      else {
        const record = this.suspect(peer, now)
        if (record !== undefined) suspicions.push(record)
      }
    }
    return suspicions
  }

  /**
   * The suspicion of `peer` timed out: its death to apply, and whether to publish it (this node
   * suspected it); undefined when `peer` is no longer suspect.
   */
  expire (peer: PeerId): { declared: MemberRecord, publish: boolean } | undefined {
    const member = this.table.get(peer)
    if (member === undefined || member.status !== 'suspect') return undefined
    const declared: MemberRecord = { peer, status: 'dead', incarnation: member.incarnation, load: member.load }
    return { declared, publish: this.origins.delete(peer) }
  }
}
