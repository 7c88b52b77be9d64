import type { Millis, PeerId, Random } from '../core/index.js'
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

/**
 * Joining: whom to ask for a welcome, and when to ask again (doubling backoff, with jitter) until one is complete.
 * A node with no seeds (peers found by mDNS only) has nobody to ask until it hears of a member: it then
 * waits (`awaitingMember`) until one is known, and joins through it.
 */
export class Joiner {
  readonly welcomes = new WelcomeParts()
  private attempts = 0
  /** Nobody to ask was known at the last attempt, and no retry is due: join once a member is heard of. */
  awaitingMember = false
  /** The peers asked for a welcome so far. */
  private readonly asked = new Set<PeerId>()

  constructor (private readonly seeds: readonly PeerId[], private readonly retryMs: Millis, private readonly random: Random) {}

  get complete (): boolean { return this.welcomes.complete }

  /** Whether a welcome from `from` answers this node's join: it asked `from`, and no welcome was complete before. */
  answersJoin (from: PeerId): boolean { return !this.welcomes.complete && this.asked.has(from) }

  /** Notes one part of a welcome from `from`: only one from a peer asked completes the join. True once the join is complete. */
  welcomed (from: PeerId, part: number, parts: number): boolean {
    if (this.asked.has(from)) this.welcomes.add(from, part, parts)
    return this.welcomes.complete
  }

  /** Members to send a join to now, and when to try again (undefined: joined, or nobody to ask). */
  next (view: MembershipView, now: Millis): { targets: PeerId[], retryAt: Millis | undefined } {
    this.awaitingMember = false
    if (this.welcomes.complete) return { targets: [], retryAt: undefined }
    const targets = joinTargets(view, this.seeds, this.random)
    for (const target of targets) this.asked.add(target)
    if (targets.length === 0 && this.seeds.length === 0) {
      this.awaitingMember = true
      return { targets, retryAt: undefined }
    }
    const backoff = this.retryMs * Math.min(32, 2 ** this.attempts++)
    return { targets, retryAt: now + Math.round(backoff * (0.5 + this.random.nextFloat())) }
  }
}
