import test from 'ava'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2pEvents, PeerId, PeerInfo, TypedEventTarget } from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import { PeerDialer } from '../../../node/libp2p/peer-dialer.js'

const newPeer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

/** A connection manager that records dials and can be told which peers are connected. */
class FakeConnections {
  readonly dials: string[] = []
  readonly connected: PeerId[] = []
  failNext = 0
  /** What the failing dials throw (default: an error of the upgrade, after a node answered). */
  failure: () => unknown = () => new Error('connection refused')
  private waiters: Array<() => void> = []

  async openConnection (target: PeerId | Multiaddr): Promise<Connection> {
    this.dials.push(target.toString())
    for (const wake of this.waiters.splice(0)) wake()
    if (this.failNext > 0) {
      this.failNext--
      throw this.failure()
    }
    return { remotePeer: 'getComponents' in target ? bootstrapPeer : target } as unknown as Connection
  }

  getConnections (peer?: PeerId): Connection[] {
    const list = peer == null ? this.connected : this.connected.filter(p => p.equals(peer))
    return list.map(remotePeer => ({ remotePeer }) as unknown as Connection)
  }

  /** Resolves once `count` dials happened in total. */
  async dialled (count: number): Promise<void> {
    while (this.dials.length < count) await new Promise<void>(resolve => { this.waiters.push(resolve) })
  }
}

let bootstrapPeer: PeerId

async function dialer (init: { self?: PeerId, bootstrap?: string[], maxAutoDialConnections?: number, retryMs?: number, maxRetryMs?: number } = {}) {
  const self = init.self ?? await newPeer()
  const events = new TypedEventEmitter<Libp2pEvents>() as TypedEventTarget<Libp2pEvents>
  const connections = new FakeConnections()
  const service = new PeerDialer({ peerId: self, events, connectionManager: connections }, { bootstrap: init.bootstrap ?? [], ...init })
  service.start()
  service.afterStart()
  const discover = (id: PeerId): void => { events.dispatchEvent(new CustomEvent<PeerInfo>('peer:discovery', { detail: { id, multiaddrs: [] } })) }
  const disconnect = (id: PeerId): void => { events.dispatchEvent(new CustomEvent<PeerId>('peer:disconnect', { detail: id })) }
  return { self, service, connections, discover, disconnect }
}

test('a discovered peer is dialled once; self and connected peers are not', async t => {
  const { self, service, connections, discover } = await dialer()
  t.teardown(() => { service.stop() })
  const peer = await newPeer()
  const known = await newPeer()
  connections.connected.push(known)
  discover(self)
  discover(known)
  discover(peer)
  discover(peer)
  await connections.dialled(1)
  t.deepEqual(connections.dials, [peer.toString()])
  t.deepEqual(service.stats, { discoveries: 3, dials: 1, failedDials: 0, unreachable: 0 }, 'reports of others counted, self not')
})

test('discovered peers are not dialled past the connection cap', async t => {
  const { service, connections, discover } = await dialer({ maxAutoDialConnections: 1 })
  t.teardown(() => { service.stop() })
  connections.connected.push(await newPeer())
  discover(await newPeer())
  t.deepEqual(connections.dials, [])
})

test('a bootstrap address is dialled at start and redialled until it connects', async t => {
  bootstrapPeer = await newPeer()
  const address = `/ip4/127.0.0.1/tcp/4001/p2p/${bootstrapPeer.toString()}`
  const { service, connections } = await dialer({ bootstrap: [address], retryMs: 20 })
  t.teardown(() => { service.stop() })
  connections.failNext = 2
  await connections.dialled(3)
  t.deepEqual(connections.dials.slice(0, 3), [address, address, address].map(a => multiaddr(a).toString()))
  t.like(service.stats, { failedDials: 2, lastDialError: 'connection refused' }, 'the failures and why, for gmesh status')
})

test('the node\'s own address in its bootstrap list (one list given to every node) is never dialled', async t => {
  bootstrapPeer = await newPeer()
  const self = await newPeer()
  const own = `/ip4/127.0.0.1/tcp/4002/p2p/${self.toString()}`
  const other = `/ip4/127.0.0.1/tcp/4001/p2p/${bootstrapPeer.toString()}`
  const { service, connections } = await dialer({ self, bootstrap: [own, other], retryMs: 10 })
  t.teardown(() => { service.stop() })
  connections.failNext = 2 // the other peer is dialled again until it connects: three rounds of the list
  await connections.dialled(3)
  t.deepEqual(connections.dials, [other, other, other].map(a => multiaddr(a).toString()))
  t.like(service.stats, { dials: 3, failedDials: 2 }, 'no dial of self counted, nor failed')
})

test('a dial rejected with an event instead of an Error says what it can, never "[object Event]"', async t => {
  bootstrapPeer = await newPeer()
  const { service, connections } = await dialer({ bootstrap: [`/ip4/127.0.0.1/tcp/4001/p2p/${bootstrapPeer.toString()}`], retryMs: 20 })
  t.teardown(() => { service.stop() })
  const closedWithError = Object.assign(new Event('close'), { error: new Error('read ECONNRESET') })
  const failures = [new Event('close'), new AggregateError([closedWithError, new Error('connect ECONNREFUSED')], 'All multiaddr dials failed')]
  const seen: Array<string | undefined> = []
  connections.failNext = failures.length
  connections.failure = () => {
    seen.push(service.stats.lastDialError)
    return failures[seen.length - 1]
  }
  await connections.dialled(failures.length + 1)
  seen.push(service.stats.lastDialError)
  t.deepEqual(seen.slice(1), [
    'the connection ended ("close" event, no error given)',
    'All multiaddr dials failed (read ECONNRESET; connect ECONNREFUSED)'
  ])
})

test('dials whose every address reached no node (refused, no route, connect timeout) are counted apart', async t => {
  bootstrapPeer = await newPeer()
  const { service, connections } = await dialer({ bootstrap: [`/ip4/127.0.0.1/tcp/4001/p2p/${bootstrapPeer.toString()}`], retryMs: 20 })
  t.teardown(() => { service.stop() })
  const socketError = (code: string): Error => Object.assign(new Error(`connection error 127.0.0.1:4001: connect ${code}`), { code })
  const timeout = Object.assign(new Error('Connection timeout after 5000ms'), { name: 'TimeoutError' })
  const failures = [
    socketError('ECONNREFUSED'),
    new AggregateError([socketError('EHOSTUNREACH'), timeout], 'All multiaddr dials failed'),
    new AggregateError([socketError('ECONNREFUSED'), Object.assign(new Error('read ECONNRESET'), { name: 'EncryptionFailedError' })], 'All multiaddr dials failed'),
    Object.assign(new Error('The operation was aborted due to timeout'), { name: 'EncryptionFailedError' })
  ]
  const first = connections.dials.length // the dial at start connected
  connections.failNext = failures.length
  connections.failure = () => failures[connections.dials.length - first - 1]!
  await connections.dialled(first + failures.length + 1)
  t.like(service.stats, { failedDials: 4, unreachable: 2 }, 'an address that answered makes the dial not unreachable')
})

test('a discovered peer whose dial failed is dialled again, later each time, though libp2p never reports it again', async t => {
  const { service, connections, discover } = await dialer({ retryMs: 10, maxRetryMs: 40 })
  t.teardown(() => { service.stop() })
  const peer = await newPeer()
  connections.failNext = 3
  discover(peer)
  await connections.dialled(4) // the first dial and three more, 20, 40 and 40 ms apart
  t.deepEqual(new Set(connections.dials), new Set([peer.toString()]))
  t.is(service.stats.failedDials, 3)
})

test('a discovered peer whose connection dropped is dialled again', async t => {
  const { service, connections, discover, disconnect } = await dialer({ retryMs: 10 })
  t.teardown(() => { service.stop() })
  const peer = await newPeer()
  discover(peer)
  await connections.dialled(1)
  connections.connected.push(peer) // the dial connected it
  disconnect(peer)
  connections.connected.splice(0) // and now it is gone (a partition, a restart)
  await connections.dialled(2)
  t.deepEqual(connections.dials, [peer.toString(), peer.toString()])
})

// serial: it steps Date.now back for the whole process while it runs
test.serial('a discovered peer whose dial failed is dialled again after its wait although the wall clock stepped back 30 s', async t => {
  t.timeout(5000, 'the redial waited for the wall clock to catch up')
  const wallNow = Date.now
  let steppedBack = 0
  Date.now = () => wallNow() - steppedBack
  t.teardown(() => { Date.now = wallNow })
  const { service, connections, discover } = await dialer({ retryMs: 10, maxRetryMs: 40 })
  t.teardown(() => { service.stop() })
  const peer = await newPeer()
  connections.failNext = 1
  discover(peer)
  await connections.dialled(1)
  await new Promise(resolve => setImmediate(resolve)) // the failed dial's wait is set (microtasks) before the clock steps
  steppedBack = 30_000
  await connections.dialled(2)
  t.deepEqual(connections.dials, [peer.toString(), peer.toString()])
})
