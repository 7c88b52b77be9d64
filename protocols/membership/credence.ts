import type { PeerId } from '../core/index.js'
import { MAX_INCARNATION } from './messages.js'
import type { MemberRecord } from './messages.js'
import type { MemberTable } from './table.js'

/**
 * The highest incarnation taken from anyone but the peer itself. A peer refutes a rumour with a
 * higher incarnation and cannot go past MAX_INCARNATION, so a rumour near it, forged by any member,
 * would hold the peer dead until the tombstone is forgotten. The margin leaves a peer 2^20 refutations.
 * A suspicion or death passed on must also leave room for its refutation at or under this bound
 * (`refutable`): a peer restarted from the clock (far below it) takes back, from any member, the
 * incarnation it is held at only when that is vouchable, so a refutation above it, forced by a
 * forged death at the bound, would leave the restarted peer stale everywhere and unable to refute.
 */
export const MAX_VOUCHED_INCARNATION = MAX_INCARNATION - 2 ** 20

/**
 * How far above the incarnation held a record passed on by another peer may be, whatever its status: the
 * member refuted that many times while this node heard none of it. Farther is a forgery (or a gap the
 * member's own heartbeat, or this node's own probes, will close). An alive record is no exception: one
 * forged at the bound, taken by all, would leave every suspicion of the member unrefutable.
 */
export const MAX_INCARNATION_STEP = 8

/**
 * How far above the incarnation it started at a node takes a record about itself from the welcomes
 * answering its join (from a peer it asked: Joiner.answersJoin; OwnIncarnation): it restarted (from the clock, in seconds) less than that after
 * as many refutations, or its clock stepped back, and others hold it higher. Anything else moves a node
 * by MAX_INCARNATION_STEP at most. Forged welcomes move a joining node by this much at most, in all:
 * 2^16 leaves it over 2^31 refutations below the bound.
 */
export const MAX_WELCOME_STEP = 2 ** 16

/**
 * Whether to take a record `from` passed on. A peer speaks for itself at any incarnation (its
 * heartbeat after a restart, its leaving). About others: never near the largest incarnation, and at
 * most MAX_INCARNATION_STEP above the incarnation held, whatever the status (any, for a member not
 * held yet: a joiner's welcome may hold tombstones of any age; such a rumour is re-based on the
 * member's own first message, MemberTable.heardFromDirectly).
 */
export function credible (table: MemberTable, record: MemberRecord, from: PeerId): boolean {
  if (record.peer === from) return true
  if (!refutable(record)) return false
  const held = table.get(record.peer)
  return held === undefined || record.incarnation <= held.incarnation + MAX_INCARNATION_STEP
}

/** Whether a record passed on by another peer is vouchable: alive at most MAX_VOUCHED_INCARNATION, suspect or dead below it. */
export function refutable (record: MemberRecord): boolean {
  return record.status === 'alive' ? record.incarnation <= MAX_VOUCHED_INCARNATION : record.incarnation < MAX_VOUCHED_INCARNATION
}
