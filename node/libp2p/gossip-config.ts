import type { GossipsubOpts } from '@libp2p/gossipsub'
import { gossipFastMsgId } from './gossip-msg-id.js'

/** The versioned gossip topics of gmesh. */
export const MeshTopics = {
  membership: 'gmesh/v1/membership',
  cache: 'gmesh/v1/cache',
  /** v3: results vouched for by their worker; v2: announces carry the units' Merkle root (protocols/jobs JOBS_TOPIC). Versions do not mix. */
  jobs: 'gmesh/v3/jobs'
} as const

/** Largest gossip message gossipsub will even decode; topic guards set tighter per-topic limits. */
export const MAX_GOSSIP_MESSAGE_BYTES = 256 * 1024

/**
 * Gossipsub options for a small, quiet LAN mesh.
 *
 * - Only the gmesh topics are allowed; messages are signed (StrictSign) so `from` is authentic.
 * - Scoring: rejected messages cost their forwarder `invalidMessageDeliveriesWeight` times their count
 *   squared (-20, -80, -180, ...), decaying with a ~70 s half-life; with the small credit of time in
 *   the mesh and first deliveries, three invalid messages put a peer below the graylist threshold.
 * - The mesh-delivery-rate penalties (P3/P3b) are off: gmesh topics are quiet for minutes,
 *   and with the defaults every mesh peer of a quiet topic falls below the publish threshold.
 * - IP colocation is off: several nodes per host (loopback demos, CI) are normal here.
 * - A fast message id (gossipFastMsgId) lets a byte-identical copy of a message whose signature already checked out
 *   count as a duplicate without a second ed25519 verify.
 */
export function meshGossipOptions (topics: readonly string[] = Object.values(MeshTopics)): Partial<GossipsubOpts> {
  const topicParams = {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 100,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: -20,
    invalidMessageDeliveriesDecay: 0.99
  }
  return {
    allowedTopics: [...topics],
    allowPublishToZeroTopicPeers: true,
    floodPublish: true,
    emitSelf: false,
    maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
    fastMsgIdFn: gossipFastMsgId,
    scoreParams: {
      IPColocationFactorWeight: 0,
      topics: Object.fromEntries(topics.map(topic => [topic, topicParams]))
    }
  }
}
