import type { ConnectivityInfo } from '../client/api-types.js'

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

/**
 * One line on why a node without peers has none, from what it counted (`connectivity` of its status), or
 * undefined when it has peers or nothing points at a cause. The common setup mistakes first: another swarm key
 * on one side (connections fail in the private-network handshake), then handshakes that only ran out of time (idle
 * connections: not a key), nothing to find peers by (no mDNS, no bootstrap), then addresses that reach no node.
 */
export function connectivityHint (peers: number, connectivity: ConnectivityInfo | undefined): string | undefined {
  if (peers > 0 || connectivity == null) return undefined
  const { handshake, unreachable } = connectivity.failures
  const failed = handshake.inbound + handshake.outbound
  if (failed > 0) {
    const what = `${plural(failed, 'connection', 'connections')} failed in the private-network handshake`
    return connectivity.privateMesh
      ? `${what}: do both nodes use the same --swarm-key?`
      : `${what}: the other nodes use a --swarm-key and this one none? start every node with the same --swarm-key`
  }
  const stalled = handshake.timedOut + handshake.refused
  if (stalled > 0) {
    return `${plural(stalled, 'connection', 'connections')} ran out of time in the handshake or were refused (too many at once from one address): ` +
      'something opens connections to this node and sends nothing (a port scan, connections held open) or a peer is overloaded; that alone is no sign of another --swarm-key'
  }
  if (!connectivity.mdns && connectivity.bootstrap === 0) {
    return 'mDNS is off and no --bootstrap was given: this node finds no peers, it waits for nodes started with --bootstrap and its address (gmesh status shows it)'
  }
  if (unreachable > 0) {
    return `${plural(unreachable, 'dial', 'dials')} reached no node (refused, no route or timed out): are the --bootstrap addresses right, and those nodes up?`
  }
  return undefined
}
