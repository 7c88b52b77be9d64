import test from 'ava'
import { createConnection, type Socket } from 'node:net'
import { setTimeout as pause } from 'node:timers/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { generateSwarmKey } from '../../../node/libp2p/swarm-key.js'
import { MAX_HANDSHAKES_PER_ADDRESS, type HandshakeFailure } from '../../../node/libp2p/handshake-watch.js'
import { addressOf, nextEvent, startNode } from './helpers.js'

/** Where the stranger connects from: another loopback address, as another host would (libp2p limits rates per address). */
const STRANGER = '127.0.0.2'
/** More idle connections than libp2p's default limit of connections in the handshake (10). */
const IDLE_CONNECTIONS = 12
/** libp2p refuses a 6th connection per second from one address; the stranger stays under that, as the reviewer's script did. */
const STRANGER_GAP_MS = 250

/** TCP connections from STRANGER to `port` that never send a byte, opened one per STRANGER_GAP_MS; closed in the teardown. */
async function holdIdleConnections (t: { teardown: (fn: () => void) => void }, port: number): Promise<Socket[]> {
  const sockets: Socket[] = []
  t.teardown(() => { for (const socket of sockets) socket.destroy() })
  for (let i = 0; i < IDLE_CONNECTIONS; i++) {
    const socket = createConnection({ host: '127.0.0.1', port, localAddress: STRANGER })
    socket.on('error', () => {}) // a refused one is reset, sometimes before it has connected
    sockets.push(socket)
    await new Promise(resolve => { socket.once('connect', resolve).once('close', resolve) })
    await pause(STRANGER_GAP_MS) // pacing under the per-address rate limit, not a wait for something
  }
  return sockets
}

test('a keyless host holding idle connections to a keyed node does not keep a member out', async t => {
  t.timeout(60_000, 'libp2p nodes and a dozen sockets on a shared 2-core machine')
  const swarmKey = generateSwarmKey()
  const a = await startNode(t, { swarmKey })
  const port = Number(multiaddr(addressOf(a)).getComponents().find(c => c.name === 'tcp')!.value)
  await holdIdleConnections(t, port)
  t.true(a.services.handshakes.handshakesFrom(multiaddr(`/ip4/${STRANGER}/tcp/1`)) <= MAX_HANDSHAKES_PER_ADDRESS,
    'the stranger holds at most a few handshakes')

  const member = await startNode(t, { swarmKey })
  const started = performance.now()
  const connection = await member.dial(multiaddr(addressOf(a)), { signal: AbortSignal.timeout(10_000) })
  t.log(`the member joined in ${Math.round(performance.now() - started)} ms while the stranger held its connections`)
  t.true(connection.remotePeer.equals(a.peerId))
  t.true(a.services.handshakes.stats.refused >= IDLE_CONNECTIONS - MAX_HANDSHAKES_PER_ADDRESS, 'the rest were refused at once')
})

test('an idle connection that runs out of time in the handshake is counted as such, not as another swarm key', async t => {
  t.timeout(60_000, 'a libp2p node waits out a handshake deadline on a shared 2-core machine')
  const a = await startNode(t, { swarmKey: generateSwarmKey() })
  const port = Number(multiaddr(addressOf(a)).getComponents().find(c => c.name === 'tcp')!.value)
  const timedOut = nextEvent<HandshakeFailure>(a.services.handshakes, 'failure')
  const socket = createConnection({ host: '127.0.0.1', port })
  socket.on('error', () => {})
  t.teardown(() => { socket.destroy() })
  const failure = await timedOut
  t.like(failure, { direction: 'inbound', timedOut: true })
  t.like(a.services.handshakes.stats, { inbound: 0, outbound: 0, timedOut: 1 })
})
