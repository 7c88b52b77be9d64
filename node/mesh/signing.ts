import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { Signer, Verifier } from '../../protocols/cache/index.js'

// DER prefixes that wrap raw Ed25519 keys as PKCS#8 / SPKI, so node:crypto can use them directly.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** Signs cache records with the node's Ed25519 identity key (synchronously, through node:crypto). */
export function ed25519Signer (privateKey: PrivateKey): Signer {
  if (privateKey.type !== 'Ed25519') throw new Error(`cache records need an Ed25519 identity, not ${privateKey.type}`)
  const seed = privateKey.raw.subarray(0, 32)
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  return bytes => new Uint8Array(sign(null, bytes, key))
}

/**
 * Verifies record signatures against the producer's peer ID (Ed25519 peer IDs embed their public
 * key). Keys are cached per peer: verification is on the path of every new announcement.
 */
export function ed25519Verifier (maxCachedKeys = 4096): Verifier {
  const keys = new Map<string, KeyObject | null>()
  const keyOf = (peer: string): KeyObject | null => {
    let key = keys.get(peer)
    if (key !== undefined) return key
    try {
      const publicKey = peerIdFromString(peer).publicKey
      key = publicKey?.type === 'Ed25519'
        ? createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey.raw]), format: 'der', type: 'spki' })
        : null
    } catch {
      key = null
    }
    if (keys.size >= maxCachedKeys) keys.delete(keys.keys().next().value as string)
    keys.set(peer, key)
    return key
  }
  return (peer, bytes, signature) => {
    const key = keyOf(peer)
    return key != null && verify(null, bytes, key, signature)
  }
}
