import { createHash } from 'node:crypto'
import { Xoshiro128 } from '../../../protocols/core/index.js'
import type { Millis, PeerId } from '../../../protocols/core/index.js'
import { CacheProtocol, TrustPolicy, signRecord } from '../../../protocols/cache/index.js'
import type { CacheCommand, CacheConfigOverrides, PeerLoadView, SignedRecord, Signer, Verifier } from '../../../protocols/cache/index.js'

/**
 * Test keys: a peer's "signature" is SHA-256(peer id, bytes). Only code that knows the peer id
 * can make it, so a record signed by one peer and claiming another producer fails to verify,
 * which is all these scenarios need (one test uses real Ed25519 keys).
 */
export function signerFor (peer: PeerId): Signer {
  return bytes => new Uint8Array(createHash('sha256').update(peer).update('\0').update(bytes).digest())
}

export const verifyFake: Verifier = (peer, bytes, signature) => {
  const expected = signerFor(peer)(bytes)
  return expected.length === signature.length && expected.every((b, i) => b === signature[i])
}

/** A Gradle key made from a small number (32 hex characters). */
export function gradleKey (n: number): string {
  return n.toString(16).padStart(32, '0')
}

export function sha256Of (text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** A record for entry `n` produced and signed by `producer`. */
export function recordBy (producer: PeerId, n: number, signer: Signer = signerFor(producer)): SignedRecord {
  return signRecord({ gradleKey: gradleKey(n), sha256: sha256Of(`blob ${n}`), size: 1000 + n, producer, time: 1_700_000_000_000 + n }, signer)
}

/** Membership and transport as a test sets them. */
export class FakePeers implements PeerLoadView {
  readonly rtts = new Map<PeerId, Millis>()
  readonly loads = new Map<PeerId, number>()
  readonly alive = new Set<PeerId>()

  constructor (peers: readonly PeerId[] = []) {
    for (const peer of peers) this.alive.add(peer)
  }

  rtt (peer: PeerId): Millis | undefined { return this.rtts.get(peer) }
  load (peer: PeerId): number { return this.loads.get(peer) ?? 0 }
  isAlive (peer: PeerId): boolean { return this.alive.has(peer) }
  alivePeers (): readonly PeerId[] { return [...this.alive] }
}

export interface TestNode {
  readonly self: PeerId
  readonly cache: CacheProtocol
  readonly peers: FakePeers
}

export function makeNode (self: PeerId, peers: readonly PeerId[], options: { trust?: TrustPolicy, config?: CacheConfigOverrides, seed?: number } = {}): TestNode {
  const fake = new FakePeers(peers.filter(p => p !== self))
  const cache = new CacheProtocol({
    self,
    sign: signerFor(self),
    verify: verifyFake,
    peers: fake,
    random: new Xoshiro128(options.seed ?? 7),
    ...(options.trust === undefined ? {} : { trust: options.trust })
  }, options.config)
  return { self, cache, peers: fake }
}

/** Commands of one kind from a drained list. */
export function only<K extends CacheCommand['kind']> (commands: readonly CacheCommand[], kind: K): Array<Extract<CacheCommand, { kind: K }>> {
  return commands.filter((c): c is Extract<CacheCommand, { kind: K }> => c.kind === kind)
}

/** Pending timers of one node, as a driver would keep them. */
export class Timers {
  readonly at = new Map<string, Millis>()

  apply (effects: ReturnType<CacheProtocol['drainEffects']>): void {
    for (const e of effects) {
      if (e.kind === 'setTimer') this.at.set(e.key, e.at)
      if (e.kind === 'cancelTimer') this.at.delete(e.key)
    }
  }

  /** Fires (in time order) every timer due by `now` on `cache`. */
  fireDue (cache: CacheProtocol, now: Millis): string[] {
    const due = [...this.at].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1])
    for (const [key] of due) {
      this.at.delete(key)
      cache.onTimer(key, now)
    }
    return due.map(([key]) => key)
  }
}

/**
 * Carries `from`'s publish and send effects to the other nodes (lossless, instant) and returns
 * every node's verdicts; repeats until no node has anything left to say. Timers are kept per node.
 */
export function settle (nodes: readonly TestNode[], timers: Map<PeerId, Timers>, now: Millis): string[] {
  const verdicts: string[] = []
  for (let round = 0; round < 100; round++) {
    let moved = false
    for (const node of nodes) {
      const effects = node.cache.drainEffects()
      timers.get(node.self)?.apply(effects)
      for (const e of effects) {
        if (e.kind === 'publish') {
          for (const other of nodes) if (other !== node) verdicts.push(other.cache.onMessage(node.self, e.topic, e.bytes, now))
          moved = true
        } else if (e.kind === 'send') {
          const target = nodes.find(n => n.self === e.to)
          if (target !== undefined) verdicts.push(target.cache.onMessage(node.self, e.protocolId, e.bytes, now))
          moved = true
        }
      }
    }
    if (!moved) return verdicts
  }
  throw new Error('the nodes kept talking for 100 rounds')
}

/** Hands `me`'s queued effects to `timers` and returns the commands it issued meanwhile: one step of a scenario. */
export function step (me: TestNode, timers: Timers): CacheCommand[] {
  timers.apply(me.cache.drainEffects())
  return me.cache.drainCommands()
}
