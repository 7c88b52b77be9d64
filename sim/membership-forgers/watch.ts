import type { Millis, PeerId } from '../../protocols/core/index.js'
import { MAX_VOUCHED_INCARNATION } from '../../protocols/membership/credence.js'
import { MEMBERSHIP_TOPIC, membershipCodec } from '../../protocols/membership/index.js'
import type { Membership } from '../../protocols/membership/index.js'
import type { Harness } from '../harness.js'
import type { InvariantChecker } from '../invariants.js'
import type { FaultState } from '../network/index.js'

/** What the forged-members invariants saw, for the summary and the tests. */
export interface ForgeryFigures {
  /** The highest incarnation an honest node held an honest member at (its own included). */
  maxHonestIncarnation: number
  /** Suspicions and deaths of made-up peers honest nodes published (must stay 0). */
  madeUpPublished: number
  /** The longest an honest node held a made-up peer live (alive or suspect) in one stretch, as sampled. */
  longestMadeUpHeldMs: number
  /** Samples of an honest node holding a made-up peer live. */
  madeUpHeldSamples: number
  /** Records honest nodes refused as forgeries (Membership.incredible). */
  refused: number
}

/**
 * The invariants of the forged-members scenario, over honest nodes only:
 * - incarnations far below the bound: no honest node holds an honest member (or itself) at MAX_VOUCHED_INCARNATION
 *   (2^20 under MAX_INCARNATION) or above, but for a rumour not heard from yet, re-based on its first message
 *   (MemberTable.heardFromDirectly), which may hold one for the refutation bound at most;
 * - made-up peers (ids the simulator never started) are held live no longer than `madeUpMs` after the forgers stop
 *   naming them (the end of faults), and an honest node never publishes a suspicion or death of one.
 */
export class ForgeryWatch {
  readonly figures: ForgeryFigures = { maxHonestIncarnation: 0, madeUpPublished: 0, longestMadeUpHeldMs: 0, madeUpHeldSamples: 0, refused: 0 }
  private readonly madeUp: ReadonlySet<PeerId>
  /** `observer/peer` -> when the current stretch (made-up peer held live, honest rumour near the bound) was first seen. */
  private readonly since = new Map<string, Millis>()

  constructor (
    private readonly harness: Harness,
    private readonly faults: FaultState,
    private readonly checker: InvariantChecker,
    private readonly forgers: ReadonlySet<number>,
    madeUp: readonly PeerId[],
    private readonly limits: { readonly madeUpMs: Millis, readonly rumourMs: Millis, readonly faultsEnd: Millis, readonly clock: () => Millis }
  ) {
    this.madeUp = new Set(madeUp)
  }

  /** Watches an honest node's publications for suspicions and deaths of made-up peers. */
  watchPublications (node: number, protocol: Membership): void {
    const drain = protocol.drainEffects.bind(protocol)
    protocol.drainEffects = () => {
      const effects = drain()
      for (const e of effects) if (e.kind === 'publish' && e.topic === MEMBERSHIP_TOPIC) this.inspect(node, e.bytes)
      return effects
    }
  }

  private inspect (node: number, bytes: Uint8Array): void {
    const m = membershipCodec.decode(bytes)
    if (m.type !== 'gossip') return
    for (const r of m.updates) {
      if (r.status === 'alive' || !this.madeUp.has(r.peer)) continue
      this.figures.madeUpPublished++
      this.checker.report('made-up-peer-published', this.limits.clock(), node, r.peer, `published ${r.status} at incarnation ${r.incarnation}`)
    }
  }

  /** Samples every honest live node's table. */
  check (now: Millis): void {
    let refused = 0
    for (let y = 0; y < this.harness.size; y++) {
      const protocol = this.harness.protocolOf(y)
      if (protocol === undefined || !this.faults.isLive(y) || this.forgers.has(y)) continue
      refused += protocol.incredible
      this.checkOwn(y, protocol, now)
      for (const member of protocol.members.values()) {
        if (this.madeUp.has(member.peer)) this.checkMadeUp(y, member.peer, member.status !== 'dead', now)
        else this.checkIncarnation(y, member.peer, member.incarnation, member.confirmed, now)
      }
    }
    this.figures.refused = refused
  }

  private checkOwn (y: number, protocol: Membership, now: Millis): void {
    this.checkIncarnation(y, protocol.self, protocol.currentIncarnation, true, now)
  }

  private checkIncarnation (y: number, peer: PeerId, incarnation: number, confirmed: boolean, now: Millis): void {
    const x = this.harness.indexOf(peer)
    if (x === undefined || this.forgers.has(x)) return
    this.figures.maxHonestIncarnation = Math.max(this.figures.maxHonestIncarnation, incarnation)
    const near = incarnation >= MAX_VOUCHED_INCARNATION
    const since = this.stretch(`i/${y}/${peer}`, near, now)
    if (near && (confirmed || now - since > this.limits.rumourMs)) {
      this.checker.report('incarnation-near-bound', now, y, x, `held ${confirmed ? '' : 'as a rumour '}at incarnation ${incarnation}, ${MAX_VOUCHED_INCARNATION - incarnation} under MAX_VOUCHED_INCARNATION`)
    }
  }

  private checkMadeUp (y: number, peer: PeerId, live: boolean, now: Millis): void {
    const since = this.stretch(`m/${y}/${peer}`, live, now)
    if (!live) return
    this.figures.madeUpHeldSamples++
    this.figures.longestMadeUpHeldMs = Math.max(this.figures.longestMadeUpHeldMs, now - since)
    const limit = this.limits.faultsEnd + this.limits.madeUpMs
    if (now > limit) this.checker.report('made-up-peer-held', now, y, peer, `held live ${Math.round(now - this.limits.faultsEnd)} ms after the forgers stopped naming it (bound ${this.limits.madeUpMs} ms)`)
  }

  /** When the stretch under `key` began (now, if it begins now); forgets it when `on` is false. */
  private stretch (key: string, on: boolean, now: Millis): Millis {
    if (!on) {
      this.since.delete(key)
      return now
    }
    const since = this.since.get(key)
    if (since !== undefined) return since
    this.since.set(key, now)
    return now
  }
}
