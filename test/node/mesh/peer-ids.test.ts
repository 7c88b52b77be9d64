import test from 'ava'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { isCanonicalPeerId } from '../../../node/mesh/peer-ids.js'

test('membership takes records about libp2p peer ids in their canonical spelling only', async t => {
  const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  t.true(isCanonicalPeerId(id))
  t.false(isCanonicalPeerId('made-up-1'), 'a made-up name')
  t.false(isCanonicalPeerId(''))
  t.false(isCanonicalPeerId(id.slice(0, -1)), 'a truncated id')
  t.false(isCanonicalPeerId(`z${id}`), 'the same key spelled with a multibase prefix would be a second member')
})
