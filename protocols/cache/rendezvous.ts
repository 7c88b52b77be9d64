import type { PeerId } from '../core/index.js'

/**
 * Rendezvous (highest-random-weight) hashing: each (key, peer) pair gets a pseudo-random weight
 * and a key's replicas are the R live peers with the highest weights. A peer joining takes over
 * only the keys where it now ranks in the top R (about R/N of them); a peer leaving moves only
 * its own keys. No ring, no virtual nodes, no shared state: every node computes the same answer
 * from the same membership.
 */

/** Two independent 32-bit FNV-1a hashes of a string (UTF-16 code units), as a pair. */
function hashPair (text: string): [number, number] {
  let a = 0x811c9dc5
  let b = 0x050c5d1f
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15)
  }
  return [a >>> 0, b >>> 0]
}

/** murmur3's 32-bit finaliser: a bijection with full avalanche. */
function fmix32 (x: number): number {
  let h = x >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** The 53-bit weight of `peer` for a key whose hash pair is `k`. */
function weight (k: [number, number], peer: [number, number]): number {
  const hi = fmix32(k[0] ^ fmix32(peer[0] + 0x9e3779b9))
  const lo = fmix32(k[1] ^ fmix32(peer[1] + 0x7f4a7c15))
  return (hi >>> 11) * 4294967296 + lo
}

/** Weight of one (key, peer) pair; exposed for tests and for tie analysis. */
export function rendezvousWeight (key: string, peer: PeerId): number {
  return weight(hashPair(key), hashPair(peer))
}

/**
 * The `replicas` peers among `peers` with the highest weight for `key`, best first.
 * Ties (practically impossible with 53-bit weights) break by peer id so every node agrees.
 */
export function chooseReplicas (key: string, peers: Iterable<PeerId>, replicas: number): PeerId[] {
  if (replicas <= 0) return []
  const k = hashPair(key)
  const ranked: Array<{ peer: PeerId, w: number }> = []
  for (const peer of peers) ranked.push({ peer, w: weight(k, hashPair(peer)) })
  ranked.sort((x, y) => y.w - x.w || (x.peer < y.peer ? -1 : x.peer > y.peer ? 1 : 0))
  const out: PeerId[] = []
  for (const { peer } of ranked) {
    if (out.length === replicas) break
    if (out[out.length - 1] !== peer) out.push(peer)
  }
  return out
}

export interface ReplicationConfig {
  /** Replicas to push each own PUT to (`--replicas`); 0 turns pushing off. */
  readonly replicas: number
  /**
   * A pushed entry is kept when this node ranks within the key's top `acceptRank` peers
   * (the pusher's R plus slack, since views differ a little); 0 refuses every push.
   */
  readonly acceptRank: number
  /** Largest entry worth pushing or keeping, in bytes. */
  readonly maxPushBytes: number
}

/** Most replicas a node may push each entry to (`--replicas` above it is refused). */
export const MAX_REPLICAS = 16

/** How far below the pusher's R a receiver may rank in its own view of the mesh and still be one of the R (views differ a little). */
export const REPLICA_RANK_SLACK = 2

/**
 * Receivers accept up to the largest R any pusher may use, plus slack: the push frame does not carry the pusher's R,
 * and a member could claim any R up to the limit anyway, so this bounds what a peer may store here just as well.
 */
export const DEFAULT_REPLICATION: ReplicationConfig = Object.freeze({ replicas: 0, acceptRank: MAX_REPLICAS + REPLICA_RANK_SLACK, maxPushBytes: 100 * 1024 * 1024 })

/**
 * Where to push an entry this node just produced: the top `replicas` live peers other than this
 * node, minus peers already known to provide it.
 */
export function pushTargets (key: string, self: PeerId, livePeers: Iterable<PeerId>, size: number, alreadyProviding: ReadonlySet<PeerId>, config: ReplicationConfig): PeerId[] {
  if (config.replicas <= 0 || size > config.maxPushBytes) return []
  const others: PeerId[] = []
  for (const peer of livePeers) if (peer !== self) others.push(peer)
  return chooseReplicas(key, others, config.replicas).filter(peer => !alreadyProviding.has(peer))
}

/**
 * Whether this node should keep a replica pushed to it: the entry fits, and this node ranks within
 * the key's top `acceptRank` among the live peers and itself, as the pusher computes it (pusher
 * excluded). Stops any member from filling another's disk with arbitrary keys.
 */
export function shouldAcceptPush (key: string, self: PeerId, pusher: PeerId, livePeers: Iterable<PeerId>, size: number, config: ReplicationConfig): boolean {
  if (config.acceptRank <= 0 || size > config.maxPushBytes) return false
  const candidates = new Set<PeerId>([self])
  for (const peer of livePeers) if (peer !== pusher) candidates.add(peer)
  return chooseReplicas(key, candidates, config.acceptRank).includes(self)
}
