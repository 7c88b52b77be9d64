import test from 'ava'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { isCanonicalPeerId, seedPeers } from '../../../node/mesh/peer-ids.js'

test('membership takes records about libp2p peer ids in their canonical spelling only', async t => {
  const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  t.true(isCanonicalPeerId(id))
  t.false(isCanonicalPeerId('made-up-1'), 'a made-up name')
  t.false(isCanonicalPeerId(''))
  t.false(isCanonicalPeerId(id.slice(0, -1)), 'a truncated id')
  t.false(isCanonicalPeerId(`z${id}`), 'the same key spelled with a multibase prefix would be a second member')
})

test('membership\'s seeds are the peer ids of the bootstrap list, but for the node itself', async t => {
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const bootstrap = [`/ip4/127.0.0.1/tcp/4001/p2p/${self}`, `/ip4/127.0.0.1/tcp/4002/p2p/${other}`, '/ip4/127.0.0.1/tcp/4003']
  t.deepEqual(seedPeers(bootstrap, self), [other], 'its own address (one list given to every node) and an address without /p2p/ name no seed')
  t.deepEqual(seedPeers([bootstrap[0]!], self), [], 'a node listed alone has no seed: it waits to hear of a member')
})
