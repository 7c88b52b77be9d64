import { CodecError } from '../../protocols/core/index.js'
import type { Effect, Millis, PeerId, Random, TimerKey, Verdict } from '../../protocols/core/index.js'
import { Membership, MEMBERSHIP_PROTOCOL, MEMBERSHIP_TOPIC, NO_LOAD, membershipCodec } from '../../protocols/membership/index.js'
import type { MemberRecord, MemberStatus, MembershipMessage, MembershipOptions } from '../../protocols/membership/index.js'
import { MAX_INCARNATION_STEP, MAX_VOUCHED_INCARNATION, MAX_WELCOME_STEP } from '../../protocols/membership/credence.js'
import { MAX_INCARNATION } from '../../protocols/membership/messages.js'

const FORGE_TIMER = 'forge'
/** A forger strikes every 0.7–1.3 s. */
const STRIKE_MS = [700, 600] as const

/** What a forger knows of the run: whom to lie about, the peers the sim never started, and when its refutable lies stop. */
export interface ForgerPlan {
  readonly honest: readonly PeerId[]
  readonly madeUp: readonly PeerId[]
  /** Silent: it sends nothing of the honest protocol (it is soon held dead), only its forgeries. */
  readonly silent: boolean
  /** Deaths of live members at their incarnation and records about made-up peers stop here (the end of faults). */
  readonly refutableUntil: Millis
}

/** Forgery counts, summed over the forgers. */
export interface ForgeryStats { strikes: number, records: number, pings: number, welcomes: number }

/**
 * A mesh member that lies about others (the `forged-members` scenario). It runs the honest protocol (or none of its
 * sending, when silent) and, every strike, about a random honest victim and a random made-up peer:
 * - gossips alive at and just under MAX_VOUCHED_INCARNATION and at MAX_INCARNATION, suspect and dead just under the
 *   bound, alive/suspect/dead about made-up peers, and (while faults last) the victim's death at the incarnation held;
 * - pings the victim with one of those about itself as `about` (also its death at its own incarnation, and alive
 *   MAX_WELCOME_STEP above it), with a made-up digest so the victim pulls from it;
 * - answers every pull and join it gets with an extra welcome of the same lies, and some about the asker itself.
 * Only the deaths at the held incarnation are taken (by design: the victim refutes them).
 */
export class MembershipForger extends Membership {
  private readonly forged: Effect[] = []
  private strikes = 0

  private readonly random: Random

  constructor (options: MembershipOptions, private readonly plan: ForgerPlan, private readonly stats: ForgeryStats) {
    super(options)
    this.random = options.random
  }


  override start (now: Millis): void {
    super.start(now)
    this.forged.push({ kind: 'setTimer', key: FORGE_TIMER, at: now + STRIKE_MS[0] + this.random.nextInt(STRIKE_MS[1]) })
  }

  override onTimer (key: TimerKey, now: Millis): void {
    if (key !== FORGE_TIMER) {
      super.onTimer(key, now)
      return
    }
    this.strike(now)
    this.forged.push({ kind: 'setTimer', key: FORGE_TIMER, at: now + STRIKE_MS[0] + this.random.nextInt(STRIKE_MS[1]) })
  }

  override onMessage (from: PeerId, via: string, bytes: Uint8Array, now: Millis): Verdict {
    const verdict = super.onMessage(from, via, bytes, now)
    const type = typeOf(bytes)
    if (via === MEMBERSHIP_PROTOCOL && (type === 'pull' || type === 'join')) {
      const members = [...this.lies(now), ...this.aboutAsker(from, now)]
      this.forge(from, { type: 'welcome', part: 0, parts: 1, members, about: record(from, 'alive', MAX_VOUCHED_INCARNATION) })
      this.stats.welcomes++
    }
    return verdict
  }

  override drainEffects (): Effect[] {
    const own = super.drainEffects()
    const honest = this.plan.silent ? own.filter(e => e.kind === 'setTimer' || e.kind === 'cancelTimer') : own
    return [...honest, ...this.forged.splice(0)]
  }

  private strike (now: Millis): void {
    this.strikes++
    this.stats.strikes++
    const updates = this.lies(now)
    this.forged.push({ kind: 'publish', topic: MEMBERSHIP_TOPIC, bytes: membershipCodec.encode({ type: 'gossip', updates }) })
    this.stats.records += updates.length
    const victim = this.pick(this.plan.honest)
    const about = this.aboutAsker(victim, now)
    const seq = this.random.nextInt(2 ** 31)
    this.forge(victim, { type: 'ping', seq, incarnation: this.currentIncarnation, load: NO_LOAD, about: about[this.strikes % about.length] as MemberRecord, digest: this.random.nextInt(2 ** 31) })
    this.stats.pings++
  }

  /** The lies of one strike or answer: about a random honest victim and, while faults last, a made-up peer. */
  private lies (now: Millis): MemberRecord[] {
    const victim = this.pick(this.plan.honest)
    const near = MAX_VOUCHED_INCARNATION - 1 - this.random.nextInt(1000)
    const lies = [
      record(victim, 'alive', MAX_VOUCHED_INCARNATION),
      record(victim, 'alive', near),
      record(victim, 'alive', MAX_INCARNATION),
      record(victim, 'suspect', MAX_VOUCHED_INCARNATION - 1),
      record(victim, 'dead', near)
    ]
    if (now < this.plan.refutableUntil) {
      const held = this.members.get(victim)
      if (held !== undefined && held.status !== 'dead') lies.push(record(victim, 'dead', held.incarnation))
      lies.push(this.madeUpRecord())
    }
    return lies
  }

  /** Lies about the asker itself: ignored unless a refutable death at its own incarnation (while faults last). */
  private aboutAsker (peer: PeerId, now: Millis): MemberRecord[] {
    const held = this.members.get(peer)?.incarnation ?? 0
    const lies = [
      record(peer, 'alive', MAX_VOUCHED_INCARNATION),
      record(peer, 'dead', MAX_VOUCHED_INCARNATION - 1),
      record(peer, 'alive', held + MAX_WELCOME_STEP),
      record(peer, 'suspect', held + 2 * MAX_INCARNATION_STEP + 1)
    ]
    if (now < this.plan.refutableUntil && this.members.get(peer)?.status !== 'dead') lies.push(record(peer, 'dead', held))
    return lies
  }

  /** A made-up peer, any status, at an incarnation anywhere up to the bound. */
  private madeUpRecord (): MemberRecord {
    const statuses: readonly MemberStatus[] = ['alive', 'alive', 'suspect', 'dead']
    const status = statuses[this.random.nextInt(statuses.length)] as MemberStatus
    const incarnation = this.random.nextFloat() < 0.5 ? this.random.nextInt(1000) : MAX_VOUCHED_INCARNATION - 1 - this.random.nextInt(2 ** 20)
    return record(this.pick(this.plan.madeUp), status, incarnation)
  }

  private pick (peers: readonly PeerId[]): PeerId {
    return peers[this.random.nextInt(peers.length)] as PeerId
  }

  private forge (to: PeerId, message: MembershipMessage): void {
    this.forged.push({ kind: 'send', to, protocolId: MEMBERSHIP_PROTOCOL, bytes: membershipCodec.encode(message) })
  }
}

function record (peer: PeerId, status: MemberStatus, incarnation: number): MemberRecord {
  return { peer, status, incarnation, load: NO_LOAD }
}

function typeOf (bytes: Uint8Array): MembershipMessage['type'] | undefined {
  try {
    return membershipCodec.decode(bytes).type
  } catch (err) {
    if (err instanceof CodecError) return undefined
    throw err
  }
}
