import test from 'ava'
import type { ConnectivityInfo } from '../../src/client/api-types.js'
import { connectivityHint } from '../../src/cli/connectivity-hint.js'

interface Overrides extends Partial<Omit<ConnectivityInfo, 'failures'>> {
  handshake?: [number, number]
  timedOut?: number
  refused?: number
  unreachable?: number
}

function connectivity (overrides: Overrides = {}): ConnectivityInfo {
  const [inbound, outbound] = overrides.handshake ?? [0, 0]
  return {
    privateMesh: overrides.privateMesh ?? true,
    mdns: overrides.mdns ?? true,
    bootstrap: overrides.bootstrap ?? 0,
    failures: { handshake: { inbound, outbound, timedOut: overrides.timedOut ?? 0, refused: overrides.refused ?? 0 }, unreachable: overrides.unreachable ?? 0 }
  }
}

test('no hint for a node with peers, whatever failed, nor for one that cannot tell', t => {
  t.is(connectivityHint(1, connectivity({ handshake: [3, 4], mdns: false })), undefined)
  t.is(connectivityHint(0, undefined), undefined, 'a node without a mesh (or an older node)')
  t.is(connectivityHint(0, connectivity()), undefined, 'mDNS on, nothing failed: nobody found yet')
})

test('handshake failures in a keyed mesh ask whether both nodes use the same key', t => {
  t.is(connectivityHint(0, connectivity({ handshake: [5, 7], bootstrap: 1 })),
    '12 connections failed in the private-network handshake: do both nodes use the same --swarm-key?')
  t.is(connectivityHint(0, connectivity({ handshake: [0, 1], bootstrap: 1 })),
    '1 connection failed in the private-network handshake: do both nodes use the same --swarm-key?')
})

test('handshake failures on a node without a key point at the key the others have', t => {
  t.regex(connectivityHint(0, connectivity({ privateMesh: false, handshake: [0, 2], bootstrap: 1 })) ?? '',
    /^2 connections failed in the private-network handshake: the other nodes use a --swarm-key and this one none\?/)
})

test('a node with mDNS off and no bootstrap is told it cannot find anyone; a handshake failure (a peer dialled it) comes first', t => {
  t.regex(connectivityHint(0, connectivity({ mdns: false })) ?? '', /^mDNS is off and no --bootstrap was given: this node finds no peers/)
  t.regex(connectivityHint(0, connectivity({ mdns: false, handshake: [1, 0] })) ?? '', /^1 connection failed in the private-network handshake/)
})

test('dials that reached no node ask about the bootstrap addresses', t => {
  t.is(connectivityHint(0, connectivity({ bootstrap: 1, unreachable: 3 })),
    '3 dials reached no node (refused, no route or timed out): are the --bootstrap addresses right, and those nodes up?')
})

test('handshakes that only ran out of time or were refused (idle connections held open) do not blame the swarm key', t => {
  const hint = connectivityHint(0, connectivity({ timedOut: 9, refused: 3, mdns: false })) ?? ''
  t.regex(hint, /^12 connections ran out of time in the handshake or were refused \(too many at once from one address\): something opens connections to this node and sends nothing/)
  t.notRegex(hint, /do both nodes use the same --swarm-key\?/)
  t.regex(connectivityHint(0, connectivity({ timedOut: 9, handshake: [1, 0] })) ?? '', /^1 connection failed in the private-network handshake: do both nodes use the same --swarm-key\?$/,
    'a real handshake failure still comes first')
})
