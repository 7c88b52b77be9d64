import type { Millis, PeerId, Random } from '../core/index.js'
import { MAX_RECORDS_PER_MESSAGE } from './messages.js'
import type { MemberRecord, MembershipMessage } from './messages.js'
import type { MemberTable } from './table.js'
import type { MembershipView } from './view.js'

/** One member to ask for a welcome: a known live member, or a seed while none is known (each retry draws again). */
export function joinTargets (view: MembershipView, seeds: readonly PeerId[], random: Random): PeerId[] {
  const known = view.liveMembers().map(member => member.peer)
  const candidates = known.length > 0 ? known : seeds.filter(peer => peer !== view.self)
  const targets: PeerId[] = []
  if (candidates.length > 0) targets.push(candidates[random.nextInt(candidates.length)] as PeerId)
  return targets
}

/**
 * The answer to a join: every member, tombstones included (so a joiner learns of deaths announced
 * before it came), in chunks of at most MAX_RECORDS_PER_MESSAGE; the last chunk carries the
 * joiner's own record when it is held suspect or dead, so it refutes at once. The answer to a
 * pull is the same, restricted to the members `wanted` (those of the buckets that differ).
 */
export function welcomeMessages (self: MemberRecord, table: MemberTable, joiner: PeerId, about: { about?: MemberRecord }, wanted?: (peer: PeerId) => boolean): MembershipMessage[] {
  const records: MemberRecord[] = [self]
  for (const m of table.values()) {
    if (m.peer !== joiner && (wanted === undefined || wanted(m.peer))) records.push({ peer: m.peer, status: m.status, incarnation: m.incarnation, load: m.load })
  }
  const messages: MembershipMessage[] = []
  const parts = Math.ceil(records.length / MAX_RECORDS_PER_MESSAGE)
  for (let part = 0; part < parts; part++) {
    const members = records.slice(part * MAX_RECORDS_PER_MESSAGE, (part + 1) * MAX_RECORDS_PER_MESSAGE)
    messages.push(part === parts - 1 ? { type: 'welcome', part, parts, members, ...about } : { type: 'welcome', part, parts, members })
  }
  return messages
}

/**
 * Tracks the parts of welcomes received: joining is done once every part of one member's welcome
 * has arrived (a lost part means asking again; parts received are merged either way).
 */
export class WelcomeParts {
  private readonly received = new Map<PeerId, Set<number>>()
  complete = false

  /** Notes one part; true once a whole welcome from `from` has arrived. */
  add (from: PeerId, part: number, parts: number): boolean {
    if (this.complete) return true
    let seen = this.received.get(from)
    if (seen === undefined) {
      seen = new Set()
      this.received.set(from, seen)
    }
    seen.add(part)
    if (seen.size >= parts) {
      this.complete = true
      this.received.clear()
    }
    return this.complete
  }
}

/** Joining: whom to ask for a welcome, and when to ask again (doubling backoff, with jitter) until one is complete. */
export class Joiner {
  readonly welcomes = new WelcomeParts()
  private attempts = 0

  constructor (private readonly seeds: readonly PeerId[], private readonly retryMs: Millis, private readonly random: Random) {}

  get complete (): boolean { return this.welcomes.complete }

  /** Members to send a join to now, and when to try again (undefined: joined, or nobody to ask). */
  next (view: MembershipView, now: Millis): { targets: PeerId[], retryAt: Millis | undefined } {
    if (this.welcomes.complete) return { targets: [], retryAt: undefined }
    const targets = joinTargets(view, this.seeds, this.random)
    if (this.seeds.length === 0 && view.liveCount === 0) return { targets, retryAt: undefined }
    const backoff = this.retryMs * Math.min(32, 2 ** this.attempts++)
    return { targets, retryAt: now + Math.round(backoff * (0.5 + this.random.nextFloat())) }
  }
}
