import { peerIdFromString } from '@libp2p/peer-id'

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
