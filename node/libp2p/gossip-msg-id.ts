import { createHash } from 'node:crypto'
import type { RPC } from '@libp2p/gossipsub/message'

const encoder = new TextEncoder()
/** An absent field's length, so absent and empty frame apart. */
const ABSENT = 0xffffffff
/** Each field's length as it goes into the hash (the id is computed synchronously: one buffer serves every call). */
const length = Buffer.alloc(4)

/**
 * Gossipsub's fast message id: a SHA-256 of every field of a message as it came over the wire (author, seqno,
 * topic, data, signature, key). Gossipsub checks a message's signature before it looks the message id up in its
 * seen-cache, so without a fast id it verifies every copy a mesh peer forwards: with 10 peers the same heartbeat
 * arrives up to D times and each copy costs an ed25519 verify. With it, a copy byte for byte equal to one whose
 * signature already checked out is a duplicate at once; a copy that differs in any byte (a forged signature, say)
 * has another id and is verified as before. Gossipsub caches fast ids only after a message's signature passed.
 * Each field is hashed as a 4-byte length and its bytes (absent: length 0xffffffff), so no two messages frame alike;
 * the fields go into the hash as they are, not copied into one buffer first.
 */
export function gossipFastMsgId (msg: RPC.Message): string {
  const sha256 = createHash('sha256')
  for (const field of [msg.from, msg.seqno, encoder.encode(msg.topic), msg.data, msg.signature, msg.key]) {
    length.writeUInt32BE(field === undefined ? ABSENT : field.byteLength)
    sha256.update(length)
    if (field !== undefined) sha256.update(field)
  }
  return sha256.digest('base64')
}
