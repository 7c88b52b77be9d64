import type { Millis, PeerId } from '../core/index.js'
import type { JobsMessage } from './messages.js'
import { ResultRelay } from './result-relay.js'
import type { RoleContext } from './wire.js'

type Result = Extract<JobsMessage, { type: 'result' }>

/**
 * What a submitter tells the leader of its current term: the results it recorded after the grant that the leader may
 * not know of. The grant lists the units done when it was sent; a result recorded later (an earlier term's leader
 * passed it on, this node's own worker ran it, the new leader's own worker sent it before the grant reached it) would
 * otherwise leave the leader handing the unit out again: the worker that ran it, acknowledged, lets go of it and
 * never reports it to the new leader. Results the leader passes on once it holds its grant need no telling.
 *
 * Each is sent at once, and again with every lease request of the term until the leader acknowledges it; meanwhile
 * the submitter acknowledges no lease request (the leader hands out nothing on its strength), and answers the last one
 * it held back as soon as the leader has acknowledged everything. So a leader starts its term knowing of every result
 * recorded before its first lease was acknowledged; one recorded later reaches it a message later.
 */
export class ToldLeader {
  private readonly relay: ResultRelay
  /** Whether the leader asked for a lease of the term: it holds the grant, and its acknowledgements are of this term. */
  private hasGrant = false
  /** The send time (`at`) of the last lease request held back, until the leader acknowledges what it was told. */
  private heldLease: Millis | undefined
  /** When the submitter began holding back this leader's lease requests (undefined: it holds none back). */
  private holdingSince: Millis | undefined

  constructor (ctx: RoleContext, readonly leader: PeerId) {
    this.relay = new ResultRelay(ctx, leader)
  }

  /** The submitter recorded `m`, which came from `from`. */
  recorded (from: PeerId, m: Result, now: Millis): void {
    if (from !== this.leader || !this.hasGrant) this.relay.send(m, now)
  }

  /** A lease request of the term sent at `at`: whether to acknowledge it now (else what is unacknowledged goes again). */
  lease (at: Millis, now: Millis): boolean {
    this.hasGrant = true
    if (this.relay.size === 0) return true
    this.heldLease = at
    this.holdingSince ??= now
    this.relay.tick(now, 0)
    return false
  }

  /** How long the leader's lease requests have been held back, unanswered, at `now` (0: none is). */
  heldFor (now: Millis): Millis {
    return this.holdingSince === undefined ? 0 : now - this.holdingSince
  }

  /**
   * The leader acknowledged the result of `unitId` (an acknowledgement from before it held its grant may be an earlier
   * term's, and does not count). Returns the send time of the lease request to acknowledge now, if one was held back
   * and the leader knows of everything it was told.
   */
  acknowledged (unitId: string): Millis | undefined {
    if (!this.hasGrant) return undefined
    this.relay.confirm(unitId)
    const at = this.relay.size === 0 ? this.heldLease : undefined
    if (at !== undefined) this.heldLease = this.holdingSince = undefined
    return at
  }
}
