// The libp2p side of a gmesh node: what the daemon and the protocol adapters use.
export { createMeshLibp2p, MESH_DHT_PROTOCOL, MESH_MDNS_SERVICE } from './create-node.js'
export type { MeshLibp2p, MeshNodeConfig, MeshServices } from './create-node.js'
export { BoundedDhtStore, DEFAULT_DHT_STORE_LIMITS } from './dht-store.js'
export type { DhtStoreLimits } from './dht-store.js'
export type { PeerDialerStats } from './peer-dialer.js'
export { mdnsChoice } from './mdns-choice.js'
export type { MdnsChoice } from './mdns-choice.js'
export { HandshakeWatch } from './handshake-watch.js'
export type { HandshakeFailure, HandshakeFailureStats } from './handshake-watch.js'
export { MeshTopics, meshGossipOptions, MAX_GOSSIP_MESSAGE_BYTES } from './gossip-config.js'
export { TopicGuard } from './topic-guard.js'
export type { GuardedMessage, Judge, RejectReason, ThrottleReason, TopicGuardInit, TopicRejection, TopicSchema, Verdict } from './topic-guard.js'
export { BadRequestError, BODY_STALL_MS, callRpc, openRpc, sendFrame, StreamRpcServer } from './stream-rpc.js'
export type { RpcBodyResponse, RpcCallOptions, RpcContext, RpcHandler, RpcOpenOptions, RpcReply, RpcServerInit, RpcServerStats, SendFrameOptions } from './stream-rpc.js'
export {
  encodeSwarmKey, generateSwarmKey, parseSwarmKey, readSwarmKeyFile, writeSwarmKeyFile, SwarmKeyExistsError, SwarmKeyFormatError,
  SWARM_KEY_BYTES
} from './swarm-key.js'
export * from './errors.js'
