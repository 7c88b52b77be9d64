import { peerHash } from '../protocols/membership/table.js'

/** The simulator names node i `n<i>`. */
export function simPeerId (index: number): string {
  return `n${index}`
}

/** The same hash the membership view digests alive sets with. */
export function peerHashOf (peer: string): number {
  return peerHash(peer)
}
