import type { PeerId } from '../core/index.js'
import type { PenaltyReason } from './commands.js'
import { BadSignatureError, UntrustedProducerError } from './errors.js'
import { verifyRecord } from './record.js'
import type { SignedRecord, Verifier } from './record.js'

/**
 * Who a trust rule admits: every member of this private mesh (the swarm key already keeps
 * strangers out), or an explicit list of peer ids.
 */
export type TrustList =
  | { readonly mode: 'any-member' }
  | { readonly mode: 'peers', readonly peers: readonly PeerId[] }

export interface TrustConfig {
  /** Whose cache entries this node accepts (announcements, fetched records, replica pushes). */
  readonly producers: TrustList
  /** Who may submit builds to this node (read by the scheduling side; kept here so both lists live in one place). */
  readonly submitters: TrustList
  /** Whether this node signs and announces its own PUTs. False on a read-only developer laptop. */
  readonly announceOwnPuts: boolean
}

/** Everyone in the mesh pushes and submits: the default for a small trusted team. */
export const OPEN_MESH_TRUST: TrustConfig = Object.freeze<TrustConfig>({
  producers: { mode: 'any-member' },
  submitters: { mode: 'any-member' },
  announceOwnPuts: true
})

/**
 * Gradle's own advice, "CI pushes, developers read": every node trusts only the CI machines as
 * producers; CI nodes announce their PUTs, developer nodes keep theirs local.
 */
export function ciPushesDevelopersRead (ciPeers: readonly PeerId[], thisNodeIsCi: boolean): TrustConfig {
  const ci: TrustList = { mode: 'peers', peers: [...ciPeers] }
  return { producers: ci, submitters: ci, announceOwnPuts: thisNodeIsCi }
}

/** Answers trust questions in O(1). */
export class TrustPolicy {
  private readonly producers: ReadonlySet<PeerId> | undefined
  private readonly submitters: ReadonlySet<PeerId> | undefined

  constructor (readonly config: TrustConfig = OPEN_MESH_TRUST) {
    this.producers = asSet(config.producers)
    this.submitters = asSet(config.submitters)
  }

  /** May entries produced (signed) by `peer` enter this node's index and store? */
  mayProduce (peer: PeerId): boolean {
    return this.producers === undefined || this.producers.has(peer)
  }

  /** True when any member may produce entries (no producers list): then mayProduce never says no. */
  get admitsEveryProducer (): boolean {
    return this.producers === undefined
  }

  /**
   * May `peer` submit builds to this node? Under "any member", `isMember` (membership's view, when the caller has one)
   * says who is a member: a key merely able to sign a gossip message, or named in a ticket, is not one.
   */
  maySubmit (peer: PeerId, isMember?: (peer: PeerId) => boolean): boolean {
    return this.submitters === undefined ? isMember?.(peer) ?? true : this.submitters.has(peer)
  }

  /** Does this node sign and announce its own PUTs? (And replicate them.) */
  get announcesOwnPuts (): boolean {
    return this.config.announceOwnPuts
  }
}

function asSet (list: TrustList): ReadonlySet<PeerId> | undefined {
  return list.mode === 'any-member' ? undefined : new Set(list.peers)
}

/** Throws `BadSignatureError` or `UntrustedProducerError` unless `record` may enter this node's store. */
export function assertAcceptableRecord (record: SignedRecord, verify: Verifier, policy: TrustPolicy): void {
  if (!verifyRecord(record, verify)) throw new BadSignatureError(record.gradleKey, record.producer)
  if (!policy.mayProduce(record.producer)) throw new UntrustedProducerError(record.gradleKey, record.producer)
}

/**
 * Why the record in a provider's `found` fetch header is misbehaviour, or undefined if it is not: a record for another
 * key, or one its producer did not sign; or, from a provider fetched because it announced a trusted record for the key
 * (`announced`: the index holds only trusted ones), a record by a producer `policy` does not trust: a substitution
 * (forgiven once in a while: ProviderChoice.judgeHeader). A provider may have replaced its entry since it announced it (Gradle PUT the key again): a newer record signed by a
 * trusted producer is as good as the announced one and is no fault. Without an announced record (the DHT named the
 * provider), an untrusted producer is only another node's trust list.
 */
export function fetchedRecordFault (key: string, announced: SignedRecord | undefined, record: SignedRecord,
  checkSignature: (record: SignedRecord) => boolean, policy: TrustPolicy): PenaltyReason | undefined {
  if (record.gradleKey !== key) return 'wrong-record'
  if (!checkSignature(record)) return 'bad-signature'
  if (announced !== undefined && !policy.mayProduce(record.producer)) return 'untrusted-record'
  return undefined
}
