import { Xoshiro128 } from '../../../protocols/core/index.js'
import type { Effect } from '../../../protocols/core/index.js'
import { MEMBERSHIP_PROTOCOL, MEMBERSHIP_TOPIC, Membership, membershipCodec } from '../../../protocols/membership/index.js'
import type { Load, MemberRecord, MemberStatus, MembershipConfig, MembershipMessage } from '../../../protocols/membership/index.js'

export const load: Load = { capacity: 4, running: 1, queued: 2, cacheBytes: 1000 }

export const record = (peer: string, status: MemberStatus, incarnation = 0, withLoad: Load = load): MemberRecord => ({ peer, status, incarnation, load: withLoad })

export interface Sent { readonly to: string, readonly message: MembershipMessage }

/**
 * One Membership driven by hand as a driver would drive it: its timers are kept (a timer set again
 * replaces the earlier one, a cancelled one never fires) and fired in time order by `advance`; what it
 * sends and publishes is collected for the test to take.
 */
export class Driven {
  readonly timers = new Map<string, number>()
  private sent: Sent[] = []
  private published: MembershipMessage[] = []
  now = 0

  constructor (readonly m: Membership) {}

  static node (self: string, options: { seeds?: string[], seed?: number, config?: Partial<MembershipConfig>, restoredIncarnation?: number, load?: Load } = {}): Driven {
    const { seeds = ['a'], seed = 1, config = {}, restoredIncarnation } = options
    return new Driven(new Membership({
      self, seeds, random: new Xoshiro128(seed), load: options.load ?? load, config, ...(restoredIncarnation === undefined ? {} : { restoredIncarnation })
    }))
  }

  start (now = 0): this {
    this.now = now
    this.m.start(now)
    this.collect()
    return this
  }

  /** Delivers `message` from `from` at `at` (on the topic if it is gossip, else on the direct protocol); fires no timer. */
  receive (from: string, message: MembershipMessage, at = this.now): void {
    this.now = at
    this.m.onMessage(from, message.type === 'gossip' ? MEMBERSHIP_TOPIC : MEMBERSHIP_PROTOCOL, membershipCodec.encode(message), at)
    this.collect()
  }

  /** Fires timer `key` at `at`, as if it were due then. */
  fire (key: string, at = this.now): void {
    this.now = at
    this.timers.delete(key)
    this.m.onTimer(key, at)
    this.collect()
  }

  /** Fires every timer due up to `until`, in time order, and moves the clock there. */
  advance (until: number): void {
    for (;;) {
      let next: [string, number] | undefined
      for (const entry of this.timers) if (entry[1] <= until && (next === undefined || entry[1] < next[1])) next = entry
      if (next === undefined) break
      this.timers.delete(next[0])
      this.now = next[1]
      this.m.onTimer(next[0], next[1])
      this.collect()
    }
    this.now = Math.max(this.now, until)
  }

  takeSent (): Sent[] {
    const sent = this.sent
    this.sent = []
    return sent
  }

  takePublished (): MemberRecord[] {
    return this.takePublishedMessages().flatMap(m => m.type === 'gossip' ? m.updates : [])
  }

  /** The messages published since the last take, one per publication. */
  takePublishedMessages (): MembershipMessage[] {
    const published = this.published
    this.published = []
    return published
  }

  private collect (): void {
    for (const effect of this.m.drainEffects()) this.record(effect)
  }

  private record (effect: Effect): void {
    switch (effect.kind) {
      case 'send': this.sent.push({ to: effect.to, message: membershipCodec.decode(effect.bytes) }); break
      case 'publish': this.published.push(membershipCodec.decode(effect.bytes)); break
      case 'setTimer': this.timers.set(effect.key, effect.at); break
      case 'cancelTimer': this.timers.delete(effect.key)
    }
  }
}

export const gossip = (...updates: MemberRecord[]): MembershipMessage => ({ type: 'gossip', updates })
export const welcome = (...members: MemberRecord[]): MembershipMessage => ({ type: 'welcome', part: 0, parts: 1, members })
export const ping = (seq = 1, incarnation = 0, digest?: number): MembershipMessage => ({ type: 'ping', seq, incarnation, load, ...(digest === undefined ? {} : { digest }) })
