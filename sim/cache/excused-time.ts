import type { PeerId } from '../../protocols/core/index.js'

/** One key's lookup on one node as the driver sees it. */
interface KeyClock {
  readonly node: number
  /** Lookup fetches of the key in flight, and those whose header was accepted (a body streams). */
  fetching: number
  bodies: number
  /** A provider answered this key's lookup busy (until the lookup answers): the lookup may wait to ask it again. */
  busyHeard: boolean
  /** Excused time so far, and since when it runs (undefined: it does not now). */
  total: number
  since: number | undefined
}

interface NodeClock {
  paused: boolean
  pausedTotal: number
  pausedSince: number
  /** Lookup fetches in flight per provider, and how many providers have every fetch slot taken. */
  readonly running: Map<PeerId, number>
  fullProviders: number
  readonly keys: Set<KeyClock>
}

/**
 * How much of a GET's time its lookup does not count against the GET's deadline, measured from what the driver sees:
 * time while an accepted body streams (it may run to its end, or, stalled, is not counted: protocols/cache
 * lookup-attempts.ts), time waiting for a fetch slot (no fetch of the key in flight while every slot of some provider
 * is taken by the node's other fetches; the wait moves the deadline), time waiting for busy providers (no fetch of the
 * key in flight after a provider answered its lookup busy: protocols/cache/busy-waits.ts), and time the node is paused
 * (its Gradle waits too). Each clock only grows; a GET's excused time is its clock now minus its clock when the GET was issued.
 */
export class ExcusedTime {
  private readonly keys = new Map<string, KeyClock>()
  private readonly nodes = new Map<number, NodeClock>()
  /** Times a node's fetches took every slot of one provider (later fetches of it waited). */
  slotsFull = 0

  constructor (private readonly slotsPerProvider: number) {}

  /** Excused time of `key` on `node` since it was first looked at (only differences mean anything). */
  clock (node: number, key: string, now: number): number {
    const k = this.keyClock(node, key, now)
    return k.total + (k.since === undefined ? 0 : now - k.since)
  }

  /** Time the node spent paused since the start of the run. */
  pausedClock (node: number, now: number): number {
    const n = this.nodeClock(node)
    return n.pausedTotal + (n.paused ? now - n.pausedSince : 0)
  }

  fetchStarted (node: number, key: string, peer: PeerId, now: number): void {
    const n = this.nodeClock(node)
    const running = (n.running.get(peer) ?? 0) + 1
    n.running.set(peer, running)
    const k = this.keyClock(node, key, now)
    k.fetching++
    if (running === this.slotsPerProvider) {
      this.slotsFull++
      this.fullChanged(n, 1, now)
    } else {
      this.update(k, now)
    }
  }

  bodyStarted (node: number, key: string, now: number): void {
    const k = this.keyClock(node, key, now)
    k.bodies++
    this.update(k, now)
  }

  fetchEnded (node: number, key: string, peer: PeerId, accepted: boolean, now: number): void {
    const n = this.nodeClock(node)
    const running = (n.running.get(peer) ?? 1) - 1
    if (running <= 0) n.running.delete(peer)
    else n.running.set(peer, running)
    const k = this.keyClock(node, key, now)
    k.fetching = Math.max(0, k.fetching - 1)
    if (accepted) k.bodies = Math.max(0, k.bodies - 1)
    if (running === this.slotsPerProvider - 1) this.fullChanged(n, -1, now)
    else this.update(k, now)
  }

  /** A provider answered `key`'s lookup busy. */
  busyHeard (node: number, key: string, now: number): void {
    const k = this.keyClock(node, key, now)
    k.busyHeard = true
    this.update(k, now)
  }

  /** `key`'s lookup answered: the busy providers it heard are its own. */
  lookupAnswered (node: number, key: string, now: number): void {
    const k = this.keyClock(node, key, now)
    k.busyHeard = false
    this.update(k, now)
  }

  paused (node: number, paused: boolean, now: number): void {
    const n = this.nodeClock(node)
    if (n.paused === paused) return
    if (paused) n.pausedSince = now
    else n.pausedTotal += now - n.pausedSince
    n.paused = paused
    for (const k of n.keys) this.update(k, now)
  }

  private fullChanged (n: NodeClock, delta: number, now: number): void {
    n.fullProviders += delta
    for (const k of n.keys) this.update(k, now)
  }

  private excused (k: KeyClock): boolean {
    const n = this.nodeClock(k.node)
    return n.paused || k.bodies > 0 || (k.fetching === 0 && (n.fullProviders > 0 || k.busyHeard))
  }

  private update (k: KeyClock, now: number): void {
    const excused = this.excused(k)
    if (k.since !== undefined && !excused) {
      k.total += now - k.since
      k.since = undefined
    } else if (k.since === undefined && excused) {
      k.since = now
    }
  }

  private keyClock (node: number, key: string, now: number): KeyClock {
    const id = `${node}|${key}`
    let k = this.keys.get(id)
    if (k === undefined) {
      k = { node, fetching: 0, bodies: 0, busyHeard: false, total: 0, since: undefined }
      this.keys.set(id, k)
      this.nodeClock(node).keys.add(k)
      this.update(k, now)
    }
    return k
  }

  private nodeClock (node: number): NodeClock {
    let n = this.nodes.get(node)
    if (n === undefined) {
      n = { paused: false, pausedTotal: 0, pausedSince: 0, running: new Map(), fullProviders: 0, keys: new Set() }
      this.nodes.set(node, n)
    }
    return n
  }
}
