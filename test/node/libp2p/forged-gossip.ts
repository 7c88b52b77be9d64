import { randomBytes } from 'node:crypto'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RPC } from '@libp2p/gossipsub/message'
import type { PrivateKey } from '@libp2p/interface'
import type { MeshLibp2p } from '../../../node/libp2p/create-node.js'

/** Gossipsub's signing domain (StrictSign): the signature covers this prefix and the encoded message without it. */
const SIGN_PREFIX = new TextEncoder().encode('libp2p-pubsub:')

/**
 * A gossip message on `topic` signed by `key` the way gossipsub signs its own: valid for any receiver, whoever
 * relays it. The author's key need not belong to any node of the mesh.
 */
export async function signedMessage (key: PrivateKey, topic: string, data: Uint8Array): Promise<RPC.Message> {
  const message: RPC.Message = { from: peerIdFromPrivateKey(key).toMultihash().bytes, data, seqno: randomBytes(8), topic }
  const signature = await key.sign(Uint8Array.from([...SIGN_PREFIX, ...RPC.Message.encode(message)]))
  return { ...message, signature, key: publicKeyToProtobuf(key.publicKey) }
}

/** Has `relay` send `messages` to `to` as gossip it forwards, in RPCs of at most `perRpc` messages. */
export function relayMessages (relay: MeshLibp2p, to: MeshLibp2p, messages: RPC.Message[], perRpc = 100): void {
  const pubsub = relay.services.pubsub as unknown as { sendRpc: (peer: string, rpc: RPC) => boolean }
  for (let i = 0; i < messages.length; i += perRpc) {
    if (!pubsub.sendRpc(to.peerId.toString(), { subscriptions: [], messages: messages.slice(i, i + perRpc) })) {
      throw new Error(`${relay.peerId.toString()} has no gossip stream to ${to.peerId.toString()}`)
    }
  }
}
