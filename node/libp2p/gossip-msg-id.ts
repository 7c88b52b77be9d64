import { hash } from 'node:crypto'
import type { RPC } from '@libp2p/gossipsub/message'

const encoder = new TextEncoder()

/** Each field as a 4-byte length and its bytes (absent: length 0xffffffff), so no two messages frame alike. */
function framed (fields: ReadonlyArray<Uint8Array | undefined>): Buffer {
  const parts: Uint8Array[] = []
  for (const field of fields) {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(field === undefined ? 0xffffffff : field.byteLength)
    parts.push(length)
    if (field !== undefined) parts.push(field)
  }
  return Buffer.concat(parts)
}

/**
 * Gossipsub's fast message id: a SHA-256 of every field of a message as it came over the wire (author, seqno,
 * topic, data, signature, key). Gossipsub checks a message's signature before it looks the message id up in its
 * seen-cache, so without a fast id it verifies every copy a mesh peer forwards: with 10 peers the same heartbeat
 * arrives up to D times and each copy costs an ed25519 verify. With it, a copy byte for byte equal to one whose
 * signature already checked out is a duplicate at once; a copy that differs in any byte (a forged signature, say)
 * has another id and is verified as before. Gossipsub caches fast ids only after a message's signature passed.
 */
export function gossipFastMsgId (msg: RPC.Message): string {
  return hash('sha256', framed([msg.from, msg.seqno, encoder.encode(msg.topic), msg.data, msg.signature, msg.key]), 'base64')
}
