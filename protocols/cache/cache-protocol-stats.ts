/** What one node's cache-sharing protocol counts and holds (CacheProtocol.stats): `/metrics` and `gmesh status` show it. */
export interface CacheProtocolStats {
  readonly hits: number
  readonly misses: number
  readonly negativeHits: number
  readonly deadlineMisses: number
  readonly corrupt: number
  /** Accepted bodies abandoned because they stopped or slowed to a trickle. */
  readonly stalledBodies: number
  readonly attempts: number
  readonly providerClaims: number
  readonly indexedKeys: number
  readonly heldRecords: number
  readonly announced: number
  readonly lookupsInFlight: number
  readonly negativeKeys: number
  /** Records whose signature was already verified once and not checked again. */
  readonly signatureChecksSaved: number
  readonly synced: boolean
  /** Own entries waiting for R replicas to confirm them (offered again later). */
  readonly replicaBacklog: number
  /** Own entries given up before R replicas confirmed them (the backlog's bound, or out of offers). */
  readonly replicaBacklogDropped: number
  /** Own entries every live peer holds, short of R copies only for lack of peers (offered again when a peer comes up). */
  readonly replicaParked: number
}
