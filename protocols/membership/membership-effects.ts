import { EffectQueue } from '../core/index.js'
import type { PeerId } from '../core/index.js'
import { MAX_RECORDS_PER_MESSAGE, MEMBERSHIP_PROTOCOL, MEMBERSHIP_TOPIC, membershipCodec } from './messages.js'
import type { MemberRecord, MembershipMessage } from './messages.js'

/**
 * The effect queue of Membership, with its messages encoded: one to a peer is sent over MEMBERSHIP_PROTOCOL, records
 * to gossip are published on MEMBERSHIP_TOPIC in messages of at most MAX_RECORDS_PER_MESSAGE records each.
 */
export class MembershipEffects extends EffectQueue {
  /** Publishes `updates` in gossip messages of at most MAX_RECORDS_PER_MESSAGE records (none when empty). */
  gossip (updates: MemberRecord[]): void {
    const n = MAX_RECORDS_PER_MESSAGE
    for (let i = 0; i < updates.length; i += n) this.publish(MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: updates.slice(i, i + n) }))
  }

  /** Sends `message` to `to` over the membership stream protocol. */
  sendMessage (to: PeerId, message: MembershipMessage): void {
    this.send(to, MEMBERSHIP_PROTOCOL, membershipCodec.encode(message))
  }
}
