import test from 'ava'
import { multiaddr } from '@multiformats/multiaddr'
import { generateSwarmKey } from '../../../node/libp2p/swarm-key.js'
import { addressOf, startNode } from './helpers.js'

test('nodes sharing a swarm key connect', async t => {
  const swarmKey = generateSwarmKey()
  const a = await startNode(t, { swarmKey })
  const b = await startNode(t, { swarmKey })
  const connection = await b.dial(multiaddr(addressOf(a)))
  t.true(connection.remotePeer.equals(a.peerId))
  t.is(await b.services.ping.ping(a.peerId) >= 0, true)
})

test('a node with a different swarm key never connects', async t => {
  const a = await startNode(t, { swarmKey: generateSwarmKey() })
  const intruder = await startNode(t, { swarmKey: generateSwarmKey() })
  await t.throwsAsync(intruder.dial(multiaddr(addressOf(a)), { signal: AbortSignal.timeout(10_000) }))
  t.is(a.getConnections().length, 0)
  t.is(intruder.getConnections().length, 0)
})

test('a node without a key cannot join a keyed mesh, nor a keyed node an open one', async t => {
  const keyed = await startNode(t, { swarmKey: generateSwarmKey() })
  const open = await startNode(t)
  await t.throwsAsync(open.dial(multiaddr(addressOf(keyed)), { signal: AbortSignal.timeout(10_000) }))
  await t.throwsAsync(keyed.dial(multiaddr(addressOf(open)), { signal: AbortSignal.timeout(10_000) }))
  t.is(keyed.getConnections().length, 0)
  t.is(open.getConnections().length, 0)
})
