import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { DataFiles } from '../src/config/data-dir.js'
import { loadOrCreateSecret } from './data-dir.js'

/**
 * The node's libp2p identity: an Ed25519 key kept in `<dataDir>/identity.key` (protobuf, mode 0600),
 * so the peer ID survives restarts. A damaged key file is never overwritten.
 */
export async function loadOrCreateIdentity (dataDir: string): Promise<PrivateKey> {
  const fresh = await generateKeyPair('Ed25519')
  const bytes = await loadOrCreateSecret(join(dataDir, DataFiles.identity), () => privateKeyToProtobuf(fresh),
    'libp2p private key', isPrivateKey)
  return privateKeyFromProtobuf(bytes)
}

function isPrivateKey (bytes: Uint8Array): boolean {
  try {
    privateKeyFromProtobuf(bytes)
    return true
  } catch {
    return false
  }
}

/** The bearer token of the control API: 32 random bytes as hex in `<dataDir>/token`, mode 0600. */
export async function loadOrCreateToken (dataDir: string): Promise<string> {
  const bytes = await loadOrCreateSecret(join(dataDir, DataFiles.token),
    () => Buffer.from(randomBytes(32).toString('hex')), 'control API token',
    b => /^[0-9a-f]{64}\s*$/.test(Buffer.from(b).toString('utf8')))
  return Buffer.from(bytes).toString('utf8').trim()
}
