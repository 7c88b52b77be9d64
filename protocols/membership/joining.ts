import type { PeerId, Random } from '../core/index.js'
import { MAX_RECORDS_PER_MESSAGE } from './messages.js'
import type { MemberRecord, MembershipMessage } from './messages.js'
import type { MemberTable } from './table.js'
import type { MembershipView } from './view.js'

/** Up to three members to ask for a welcome: known live members, or the seeds while none is known. */
export function joinTargets (view: MembershipView, seeds: readonly PeerId[], random: Random): PeerId[] {
  const known = view.liveMembers().map(member => member.peer)
  const candidates = known.length > 0 ? known : seeds.filter(peer => peer !== view.self)
  const targets: PeerId[] = []
  for (let i = 0; i < Math.min(3, candidates.length); i++) targets.push(candidates[random.nextInt(candidates.length)] as PeerId)
  return targets
}

/**
 * The answer to a join: every member, tombstones included (so a joiner learns of deaths announced
 * before it came), in chunks of at most MAX_RECORDS_PER_MESSAGE; the last chunk carries the
 * joiner's own record when it is held suspect or dead, so it refutes at once.
 */
export function welcomeMessages (self: MemberRecord, table: MemberTable, joiner: PeerId, about: { about?: MemberRecord }): MembershipMessage[] {
  const records: MemberRecord[] = [self]
  for (const m of table.values()) {
    if (m.peer !== joiner) records.push({ peer: m.peer, status: m.status, incarnation: m.incarnation, load: m.load })
  }
  const messages: MembershipMessage[] = []
  for (let i = 0; i < records.length; i += MAX_RECORDS_PER_MESSAGE) {
    const last = i + MAX_RECORDS_PER_MESSAGE >= records.length
    const members = records.slice(i, i + MAX_RECORDS_PER_MESSAGE)
    messages.push(last ? { type: 'welcome', members, ...about } : { type: 'welcome', members })
  }
  return messages
}
