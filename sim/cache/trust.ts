import type { PeerId } from '../../protocols/core/index.js'
import { TrustPolicy, ciPushesDevelopersRead } from '../../protocols/cache/index.js'

/** Builds node `i`'s trust policy; tests pass deliberately broken ones through the run options. */
export type TrustFactory = (node: number, peer: PeerId) => TrustPolicy

/**
 * Every node trusts only the honest nodes' entries, as `ciPushesDevelopersRead` with the honest
 * nodes for CI: an explicit list of peer ids that leaves the forgers out. Every node announces its
 * own PUTs (a forger signs what it likes anyway).
 */
export function honestProducersTrust (honest: readonly PeerId[]): TrustFactory {
  const config = ciPushesDevelopersRead(honest, true)
  return () => new TrustPolicy(config)
}

/** Where a node's trust policy was asked about a forger's record (the driver call that led there). */
export type ForgeryCheckpoint = 'announcement' | 'index-page' | 'push-offer' | 'fetch-header' | 'other'

export interface ForgeryStats {
  /** Records forgers signed with their own keys for keys honest nodes produce, mapping them to other bytes. */
  forged: number
  /** Honest records forgers re-announced and offered as replica pushes while serving their forged entry. */
  baits: number
  /** A node's trust policy refused a forger's record, by where it was asked ('other': lookups ranking the index). */
  readonly refused: Record<ForgeryCheckpoint, number>
  /** A node's trust policy let a forger's record in (0 unless trust is broken). */
  admitted: number
  /** Replica pulls of a baited offer refused because the forger's response header named other bytes than the offer. */
  pullsRefused: number
  /** Fetches from a forger that the DHT named (no announced record with them): their headers carry the forged record. */
  dhtFetches: number
  /** Lookup fetches sent to forgers: each is a wasted attempt (a forger answers every key with its forged record). */
  lookupFetches: number
  /** Penalties honest nodes gave forgers (a forger penalised is skipped by that node's lookups for a while). */
  forgersPenalised: number
  /** Lookup fetches a node sent to a forger it had penalised before (0: a penalty lasts longer than a run). */
  fetchesAfterPenalty: number
  /** Penalties honest nodes gave malicious providers (corrupt bytes under honest records). */
  maliciousPenalised: number
  /** Penalties honest nodes gave honest peers: 0 unless a legitimate answer is taken for misbehaviour. */
  honestPenalised: number
}

/**
 * Counts what the nodes' trust policies answer about forgers' records. The driver runs each protocol
 * call that may ask through `at(checkpoint, ...)`, so every answer is credited to where it was given
 * (the simulator is single-threaded: the checkpoint is a dynamic scope).
 */
export class ForgeryLedger {
  readonly stats: ForgeryStats = {
    forged: 0,
    baits: 0,
    refused: { announcement: 0, 'index-page': 0, 'push-offer': 0, 'fetch-header': 0, other: 0 },
    admitted: 0,
    pullsRefused: 0,
    dhtFetches: 0,
    lookupFetches: 0,
    forgersPenalised: 0,
    fetchesAfterPenalty: 0,
    maliciousPenalised: 0,
    honestPenalised: 0
  }

  private checkpoint: ForgeryCheckpoint = 'other'
  /** `node|forger` for every forger a node penalised. */
  private readonly penalties = new Set<string>()

  /** `maliciousPeers`: providers that serve corrupt bytes; penalising them is right too, not counted as honest. */
  constructor (private readonly forgerPeers: ReadonlySet<PeerId>, private readonly maliciousPeers: ReadonlySet<PeerId> = new Set()) {}

  isForger (peer: PeerId): boolean {
    return this.forgerPeers.has(peer)
  }

  /** Runs `action`, crediting the trust answers it leads to `checkpoint`. */
  at<T> (checkpoint: ForgeryCheckpoint, action: () => T): T {
    const outer = this.checkpoint
    this.checkpoint = checkpoint
    try {
      return action()
    } finally {
      this.checkpoint = outer
    }
  }

  /** A trust policy answered whether `producer` may produce entries here. */
  answered (producer: PeerId, admitted: boolean): void {
    if (!this.forgerPeers.has(producer)) return
    if (admitted) this.stats.admitted++
    else this.stats.refused[this.checkpoint]++
  }

  /** Node `node`'s lookup fetches from `peer`; `namedByDht`: the DHT named it (no announced record came with it). */
  fetchedFrom (node: number, peer: PeerId, namedByDht: boolean): void {
    if (!this.forgerPeers.has(peer)) return
    this.stats.lookupFetches++
    if (namedByDht) this.stats.dhtFetches++
    if (this.penalties.has(`${node}|${peer}`)) this.stats.fetchesAfterPenalty++
  }

  /** Node `node` penalised `peer` (a `penalise` command). */
  penalised (node: number, peer: PeerId): void {
    if (!this.forgerPeers.has(peer)) {
      if (this.maliciousPeers.has(peer)) this.stats.maliciousPenalised++
      else this.stats.honestPenalised++
      return
    }
    this.stats.forgersPenalised++
    this.penalties.add(`${node}|${peer}`)
  }
}

/** The node's policy as given, reporting every answer about a forger's record to the ledger. */
export class CountingTrust extends TrustPolicy {
  constructor (private readonly inner: TrustPolicy, private readonly ledger: ForgeryLedger) {
    super(inner.config)
  }

  override mayProduce (peer: PeerId): boolean {
    const admitted = this.inner.mayProduce(peer)
    this.ledger.answered(peer, admitted)
    return admitted
  }

  override maySubmit (peer: PeerId, isMember?: (peer: PeerId) => boolean): boolean {
    return this.inner.maySubmit(peer, isMember)
  }

  override get announcesOwnPuts (): boolean {
    return this.inner.announcesOwnPuts
  }
}
