import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { preSharedKey } from '@libp2p/pnet'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { GossipSub } from '@libp2p/gossipsub'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { encodeSwarmKey, SWARM_KEY_BYTES } from './swarm-key.js'
import { meshGossipOptions, MeshTopics } from './gossip-config.js'
import { peerDialer } from './peer-dialer.js'
import type { PeerDialer } from './peer-dialer.js'
import { MeshConfigError } from './errors.js'
import { patchPnetCipher } from './pnet-cipher-fix.js'
import { HandshakeWatch } from './handshake-watch.js'
import { mdnsChoice } from './mdns-choice.js'
import { BoundedDhtStore, DEFAULT_DHT_STORE_LIMITS, type DhtStoreLimits } from './dht-store.js'

/** The DHT of gmesh is its own network: it never mixes with the public IPFS DHT. */
export const MESH_DHT_PROTOCOL = '/gmesh/kad/1.0.0'
/** Where the DHT keeps its records in the node's datastore (BoundedDhtStore caps those of other peers). */
export const MESH_DHT_DATASTORE_PREFIX = '/gmesh-dht'
/**
 * An inbound connection must finish its handshake (pnet's nonce exchange, Noise XX, the muxer's negotiation: about
 * five round trips) within this. libp2p's default of 10 s let an idle connection hold a slot that long; a handshake
 * takes tens of ms on loopback with the machine loaded 7x its cores (150 ms at worst) and well under 2 s across
 * continents, so 5 s leaves room for a node whose event loop stalls.
 */
export const INBOUND_HANDSHAKE_TIMEOUT_MS = 5000
/**
 * Inbound connections in the handshake at once, from all addresses (libp2p's default: 10). Each address may hold only
 * a few of them (HandshakeWatch), so a host holding idle connections no longer fills them all.
 */
export const MAX_PENDING_INBOUND = 64

/** mDNS service name, so gmesh nodes answer each other and not every libp2p node on the LAN. */
export const MESH_MDNS_SERVICE = '_gmesh._udp.local'

export interface MeshNodeConfig {
  /** The node's identity (see node/identity.ts); the peer ID derives from it. */
  privateKey: PrivateKey
  /** Listen multiaddrs, e.g. `/ip4/0.0.0.0/tcp/4001` (`/tcp/0` picks a free port). */
  listen: string[]
  /** Multiaddrs dialled at start and redialled while unconnected; `/p2p/<id>` is optional. */
  bootstrap: string[]
  /** The 32 raw bytes of the private mesh key (see swarm-key.ts); without it the mesh is open. */
  swarmKey?: Uint8Array
  /** Discover peers on the LAN by multicast DNS (never when every listen address is loopback: see mdnsChoice). */
  mdns: boolean
  /** Gossip topics this node may use. Default: the gmesh topics. */
  topics?: string[]
  /** How often unconnected bootstrap peers are redialled. Default 5 s. */
  bootstrapRetryMs?: number
  /** Discovered peers are dialled while the node has fewer connections than this. Default 64. */
  maxAutoDialConnections?: number
  /** Caps on the DHT records other peers may have this node hold. Default DEFAULT_DHT_STORE_LIMITS. */
  dhtLimits?: Partial<DhtStoreLimits>
}

export interface MeshServices extends Record<string, unknown> {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  dht: KadDHT
  dialer: PeerDialer
  /** Connections that failed in the private-network or encryption handshake (another swarm key), and a cap per address on those under way. */
  handshakes: HandshakeWatch
}

export type MeshLibp2p = Libp2p<MeshServices>

/**
 * Creates and starts the libp2p node of gmesh: TCP + Noise + Yamux, identify, ping,
 * gossipsub (gmesh topics, scoring tuned for quiet topics), a LAN-only kad-dht on its own
 * protocol whose records of other peers are capped (BoundedDhtStore), mDNS, the bootstrap dialer, pnet when a swarm key
 * is given, and a watch on failed handshakes.
 * Stop it with `node.stop()`.
 */
export async function createMeshLibp2p (config: MeshNodeConfig): Promise<MeshLibp2p> {
  validate(config)
  if (config.swarmKey != null && !patchPnetCipher()) {
    throw new MeshConfigError('cannot apply the pnet cipher workaround (unknown xsalsa20 version): a keyed mesh would crash on large transfers')
  }
  const protector = config.swarmKey == null ? undefined : preSharedKey({ psk: encodeSwarmKey(config.swarmKey) })
  const handshakes = new HandshakeWatch()
  return await createLibp2p<MeshServices>({
    privateKey: config.privateKey,
    datastore: new BoundedDhtStore(MESH_DHT_DATASTORE_PREFIX, peerIdFromPrivateKey(config.privateKey).toString(), { ...DEFAULT_DHT_STORE_LIMITS, ...config.dhtLimits }),
    addresses: { listen: config.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(protector == null ? {} : { connectionProtector: protector }),
    connectionGater: handshakes.gater,
    connectionManager: { inboundUpgradeTimeout: INBOUND_HANDSHAKE_TIMEOUT_MS, maxIncomingPendingConnections: MAX_PENDING_INBOUND },
    peerDiscovery: mdnsChoice(config.listen, config.mdns).on ? [mdns({ serviceTag: MESH_MDNS_SERVICE, interval: 10_000 })] : [],
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub(meshGossipOptions(config.topics ?? Object.values(MeshTopics))),
      dht: kadDHT({
        protocol: MESH_DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        logPrefix: 'libp2p:gmesh-dht',
        datastorePrefix: MESH_DHT_DATASTORE_PREFIX,
        metricsPrefix: 'gmesh_dht'
      }),
      dialer: peerDialer({
        bootstrap: config.bootstrap,
        retryMs: config.bootstrapRetryMs,
        maxAutoDialConnections: config.maxAutoDialConnections
      }),
      handshakes: () => handshakes
    }
  })
}

function validate (config: MeshNodeConfig): void {
  if (config.swarmKey != null && config.swarmKey.byteLength !== SWARM_KEY_BYTES) {
    throw new MeshConfigError(`swarm key must be ${SWARM_KEY_BYTES} bytes, got ${config.swarmKey.byteLength}: read it with readSwarmKeyFile`)
  }
  for (const [what, list] of [['listen', config.listen], ['bootstrap', config.bootstrap]] as const) {
    for (const text of list) {
      try {
        multiaddr(text)
      } catch (err) {
        throw new MeshConfigError(`invalid ${what} multiaddr "${text}": ${(err as Error).message}`, { cause: err })
      }
    }
  }
}
