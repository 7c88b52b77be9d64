import type { Millis, PeerId, Random } from '../core/index.js'
import type { Load } from './messages.js'
import { DEFAULT_MAX_MEMBERS } from './table.js'

/** Tunables of the membership protocol (SWIM-style probing plus gossiped load heartbeats). */
export interface MembershipConfig {
  /** One probe of one member per period. */
  readonly probeIntervalMs: Millis
  /** Wait this long for a direct ack before asking others to probe indirectly. */
  readonly ackTimeoutMs: Millis
  /** Members asked to probe indirectly (SWIM's k). */
  readonly indirectProbes: number
  /** Suspicion lasts multiplier × max(1, log10(n)) probe periods before the member is declared dead. */
  readonly suspicionMultiplier: number
  /** Load heartbeats aim at this many heartbeat deliveries per node per second, whatever the mesh size. */
  readonly heartbeatDeliveriesPerSec: number
  /**
   * A node beats at most this often, however small the mesh (below 20 nodes at the default 2 s: there the target above
   * would ask for a beat every 1–1.9 s). Each heartbeat reaches a node 4.6–6.4 times over gossipsub (flood publish,
   * then mesh forwarding; 42 copies a second at 1 s in an 11-node mesh), each copy decrypted and decoded: most of an idle
   * node's CPU. At 2 s an idle node of 11 hears 5 heartbeats a second instead of 9 (about 3.1% of a core instead of 4.1%).
   * Failure detection does not wait for heartbeats (probes do it); the stale-heartbeat backstop suspects a silent member
   * after 3 × 2 s + a period, 7 s, instead of 4 s; the node samples the load a beat carries every 2 s (node/mesh/mesh.ts).
   * A starting node beats again within a probe period whatever this is (Membership.start): its new incarnation spreads at once.
   */
  readonly heartbeatMinMs: Millis
  readonly heartbeatMaxMs: Millis
  /** A member silent for this many heartbeat intervals is suspected even if no probe reached it. */
  readonly staleHeartbeats: number
  /**
   * Anti-entropy: a node shown alive-set digests that differ from its own for this long, with no
   * equal one in between, pulls the records it may lack from the member that showed the last one
   * (see AntiEntropy).
   */
  readonly pullAfterMs: Millis
  /**
   * A node answers at most one pull per requester in this long (and at most MAX_ANSWERED_REQUESTERS requesters in it):
   * keep it under `pullAfterMs`, the least time between two pulls of an honest node.
   */
  readonly pullAnswerIntervalMs: Millis
  /**
   * First delay before joins are sent again (doubling each time, up to 32×, each drawn from 0.5–1.5× of it) until a
   * welcome is complete.
   */
  readonly joinRetryMs: Millis
  /**
   * A node answers at most one join per joiner in this long (and at most MAX_ANSWERED_REQUESTERS joiners in it): keep
   * it well under `joinRetryMs / 2`, the least time between two joins of an honest node, so that a retry is answered
   * even when it arrives sooner after the join it repeats than it was sent.
   */
  readonly joinAnswerIntervalMs: Millis
  /** First-probe rounds the detection bound allows for: P(a crash is not probed in r rounds) ≈ e^-r. */
  readonly boundProbeRounds: number
  /** Allowance in the bounds for gossip and stream latency. */
  readonly boundSlackMs: Millis
  /** A member dead this long is forgotten; its heartbeat brings it back if it lives. */
  readonly deadRetentionMs: Millis
  /** Members held at most, tombstones included (see MemberTable). */
  readonly maxMembers: number
  /**
   * After its join completes, a node passes on in its answers the live members of the answers it asked for (its
   * welcome, its pulls' answers) for one heartbeat interval or this long, the shorter (StartVouches). Short: a forger
   * that answers a join has its made-up peers passed on by the joiner this long; the joiner's pulls come every 3 s.
   */
  readonly startVouchMaxMs: Millis
}

export const DEFAULT_MEMBERSHIP_CONFIG: MembershipConfig = Object.freeze({
  probeIntervalMs: 1000,
  ackTimeoutMs: 400,
  indirectProbes: 3,
  suspicionMultiplier: 4,
  heartbeatDeliveriesPerSec: 10,
  heartbeatMinMs: 2000,
  heartbeatMaxMs: 120_000,
  staleHeartbeats: 3,
  pullAfterMs: 3000,
  pullAnswerIntervalMs: 2000,
  joinRetryMs: 2000,
  joinAnswerIntervalMs: 500,
  boundProbeRounds: 20,
  boundSlackMs: 3000,
  deadRetentionMs: 3_600_000,
  maxMembers: DEFAULT_MAX_MEMBERS,
  startVouchMaxMs: 10_000
})

/** How long a suspicion lasts in a mesh of `n` members. */
export function suspicionTimeoutMs (config: MembershipConfig, n: number): Millis {
  return Math.round(config.suspicionMultiplier * Math.max(1, Math.log10(Math.max(n, 1))) * config.probeIntervalMs)
}

/** The heartbeat period: every member hears n / interval heartbeats per second, held near the target. */
export function heartbeatIntervalMs (config: MembershipConfig, n: number): Millis {
  const ideal = (Math.max(n, 1) * 1000) / config.heartbeatDeliveriesPerSec
  return Math.min(config.heartbeatMaxMs, Math.max(config.heartbeatMinMs, Math.round(ideal)))
}

/** How long a node that just joined passes on the members of the answers it asked for (StartVouches). */
export function startVouchMs (config: MembershipConfig, n: number): Millis {
  return Math.min(heartbeatIntervalMs(config, n), config.startVouchMaxMs)
}

/**
 * Repair delay: gossip delivers a rumour once, and a node that missed it (loss, a partition that
 * cut it in flight, a pause) is the only one holding its view. Its digest then differs from every
 * digest it is shown (at least the ack of its own probe each period), so it pulls from a member
 * once the mismatch has lasted `pullAfterMs`, at its next digest after that (within a period, one
 * more for a lost ack); the answer's round trip is in the slack.
 */
export function repairBoundMs (config: MembershipConfig): Millis {
  return config.pullAfterMs + 2 * config.probeIntervalMs
}

/**
 * Detection bound while the network is whole: a crashed member is first probed within
 * `boundProbeRounds` periods (each live member probes one member per period, so a given member is
 * probed about once per period), the probe and its indirect probes fail within one period, the
 * suspicion times out, and the declaration spreads by gossip; a node that missed the suspicion and
 * the declaration learns of them from a pull within the repair delay (and, if it pulled
 * the suspicion, declares the death itself a suspicion timeout later, hence repair + suspicion).
 */
export function detectionBoundMs (config: MembershipConfig, n: number): Millis {
  return (config.boundProbeRounds + 1) * config.probeIntervalMs + suspicionTimeoutMs(config, n) + repairBoundMs(config) + config.boundSlackMs
}

/**
 * Refutation bound: once connectivity is back, a live member wrongly held dead hears the verdict —
 * from the ping sent with every death declaration, or from a reconnect probe (each member pings the
 * next member it holds dead, round-robin, every period) — and refutes it with a higher incarnation
 * (or republishes its current one if the verdict is about an older incarnation); the refutation
 * spreads by gossip. A node that missed the refutation, or alone holds the member dead, pulls
 * within the repair delay: it takes the refutation from the answer, or finds the member alive
 * there and pings it with the verdict at once.
 */
export function refutationBoundMs (config: MembershipConfig, _n: number): Millis {
  return (config.boundProbeRounds + 1) * config.probeIntervalMs + repairBoundMs(config) + config.boundSlackMs
}

/** What a membership instance is built from. */
export interface MembershipOptions {
  readonly self: PeerId
  /** Peers to join through (bootstrap list); may include self, which is skipped. */
  readonly seeds: readonly PeerId[]
  readonly random: Random
  readonly config?: Partial<MembershipConfig>
  readonly load?: Load
  /** Incarnation persisted by an earlier run (restart with disk); the new run starts above it. */
  readonly restoredIncarnation?: number
  /**
   * Whether a string names a peer (the node checks it is a libp2p peer id, outside this package): records about
   * others that fail it are refused, counted in `incredible`. Any peer id is taken when absent (the simulator).
   */
  readonly isPeerId?: (peer: PeerId) => boolean
}
