import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

/**
 * Whether `peer` is a libp2p peer id in its canonical text form (what `PeerId.toString()` gives). Membership takes
 * records about peers from any member (`MembershipOptions.isPeerId`): a string that is no peer id names nobody it
 * could ever reach, and another spelling of a real one would be held as a second member.
 */
export function isCanonicalPeerId (peer: string): boolean {
  try {
    return peerIdFromString(peer).toString() === peer
  } catch {
    return false
  }
}

/**
 * Peer IDs named in bootstrap multiaddrs (`.../p2p/<id>`): membership's seeds, but for `self`. One bootstrap list is
 * often given to every node of a mesh: a node whose only seed is itself has nobody to ask, and must wait to hear of a
 * member (as a node without seeds does) rather than retry a join to nobody.
 */
export function seedPeers (bootstrap: readonly string[], self: string): string[] {
  return bootstrap.flatMap(address => {
    const id = multiaddr(address).getComponents().find(c => c.name === 'p2p')?.value
    return id == null || peerIdFromString(id).toString() === self ? [] : [id]
  })
}
