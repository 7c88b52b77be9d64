import type { PeerId } from '../core/index.js'
import type { MemberRecord } from './messages.js'
import type { MemberTable } from './table.js'

/**
 * Heartbeats are taken in the order their author signed them. A gossip message's author signs, with it, a sequence
 * number that only goes up (gossipsub's seqno: its clock in nanoseconds, then one up per message; the driver passes
 * it as `sent`). Gossipsub forgets the ids of the messages it has seen after 2 min, and anyone may then send a
 * captured one again: a member's heartbeat replayed at its current incarnation put back the load it had then (a node
 * busy with 8 units running and 40 queued shown idle again, for scheduling and stealing to act on) and made the
 * member look heard from. So the table keeps, per member, the sequence number of the newest heartbeat taken at its
 * incarnation (a higher incarnation starts again: a node restarted with its clock behind is heard), and gossip holding
 * the author's own heartbeat signed no later than that is a replay, or arrived out of order: every record in it is
 * old news, and it is ignored (not rejected: an honest peer that relays it is not penalised).
 *
 * The membership wire is unchanged: a node of the previous version sends and reads the same messages, and its
 * heartbeats, signed by the same gossipsub, are ordered alike. Records passed on by others (a welcome, a pull's
 * answer) and loads in pings and acks carry no sequence number and are taken as before; so is gossip from a driver
 * that passes none (the simulator).
 */

/** Whether gossip `from`, signed `sent`, holds `from`'s own heartbeat no newer than one taken at that incarnation. */
export function replayedBeat (table: MemberTable, from: PeerId, updates: readonly MemberRecord[], sent: bigint): boolean {
  return updates.some(r => r.peer === from && r.status === 'alive' && !table.freshBeat(from, r.incarnation, sent))
}

/** Notes the heartbeats of `from` in gossip it signed `sent` that the table took. */
export function noteBeats (table: MemberTable, from: PeerId, updates: readonly MemberRecord[], sent: bigint): void {
  for (const r of updates) if (r.peer === from && r.status === 'alive') table.noteBeat(from, r.incarnation, sent)
}
