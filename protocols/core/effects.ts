import type { Millis, PeerId, TimerKey } from './types.js'

/**
 * Outputs of a protocol, drained by its driver after every input.
 *
 * - `send`: one message to one peer over a direct stream protocol (libp2p: dial `protocolId`,
 *   write one length-prefixed frame). May be lost, delayed or reordered; never retried by the driver.
 *   `fallbackProtocolIds`: older ids the driver may negotiate instead, in order, when the peer does not speak
 *   `protocolId` (the frame must mean the same on each); a driver whose peers all speak `protocolId` ignores them.
 * - `publish`: one message to every subscriber of `topic` (libp2p: gossipsub). Lossy epidemic
 *   delivery, no ordering, may be duplicated; the publisher does not receive its own message.
 * - `setTimer`: call `onTimer(key)` at `at` (absolute, driver clock); replaces a timer of the same key.
 * - `cancelTimer`: forget the timer of that key if it is pending.
 */
export type Effect =
  | { readonly kind: 'send', readonly to: PeerId, readonly protocolId: string, readonly bytes: Uint8Array, readonly fallbackProtocolIds?: readonly string[] }
  | { readonly kind: 'publish', readonly topic: string, readonly bytes: Uint8Array }
  | { readonly kind: 'setTimer', readonly key: TimerKey, readonly at: Millis }
  | { readonly kind: 'cancelTimer', readonly key: TimerKey }

/** A FIFO of effects a protocol fills and its driver drains. */
export class EffectQueue {
  private items: Effect[] = []

  send (to: PeerId, protocolId: string, bytes: Uint8Array, fallbackProtocolIds?: readonly string[]): void {
    this.items.push(fallbackProtocolIds === undefined ? { kind: 'send', to, protocolId, bytes } : { kind: 'send', to, protocolId, bytes, fallbackProtocolIds })
  }

  publish (topic: string, bytes: Uint8Array): void {
    this.items.push({ kind: 'publish', topic, bytes })
  }

  setTimer (key: TimerKey, at: Millis): void {
    this.items.push({ kind: 'setTimer', key, at })
  }

  cancelTimer (key: TimerKey): void {
    this.items.push({ kind: 'cancelTimer', key })
  }

  get length (): number {
    return this.items.length
  }

  /** Hands over every pending effect, in emission order, and empties the queue. */
  drain (): Effect[] {
    if (this.items.length === 0) return EMPTY
    const out = this.items
    this.items = []
    return out
  }
}

const EMPTY: Effect[] = []

/**
 * What a driver must provide to run protocols: the four effects plus a clock. The clock must be
 * monotonic (leases, timeouts and timers are durations on it, and a stepped wall clock would stretch
 * or cut them). A libp2p adapter implements it with `libp2p.dialProtocol`, `pubsub.publish`,
 * `setTimeout` and a monotonic clock (node/clock.ts); the simulator with events on its virtual network.
 */
export interface Driver {
  now: () => Millis
  send: (to: PeerId, protocolId: string, bytes: Uint8Array) => void
  publish: (topic: string, bytes: Uint8Array) => void
  setTimer: (key: TimerKey, at: Millis) => void
  cancelTimer: (key: TimerKey) => void
}

/** Carries out effects in order on a driver. */
export function applyEffects (effects: readonly Effect[], driver: Driver): void {
  for (const effect of effects) {
    switch (effect.kind) {
      case 'send': driver.send(effect.to, effect.protocolId, effect.bytes); break
      case 'publish': driver.publish(effect.topic, effect.bytes); break
      case 'setTimer': driver.setTimer(effect.key, effect.at); break
      case 'cancelTimer': driver.cancelTimer(effect.key); break
    }
  }
}
