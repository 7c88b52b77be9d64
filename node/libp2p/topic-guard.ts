import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { DEFAULT_FORWARDER_BUDGET, DEFAULT_GOSSIP_BUDGET, GossipBudget, type GossipBudgetInit } from './gossip-budget.js'

/**
 * What a gmesh gossip topic carries: a size limit and a decoder that throws on anything
 * malformed. The concrete message types live in protocols/; the guard only runs `decode`.
 */
export interface TopicSchema<T> {
  topic: string
  maxBytes: number
  decode: (data: Uint8Array) => T
}

export interface GuardedMessage<T> {
  topic: string
  /** The signed author of the message. */
  from: PeerId
  value: T
}

export type RejectReason = 'oversize' | 'malformed' | 'unsigned'

/** Whose budget a throttled message spent: its signed author's, or its forwarder's (the peer that sent it to us). */
export type ThrottleReason = 'author' | 'forwarder'

/** A sans-IO protocol's answer about a message (protocols/core `Verdict`). */
export type Verdict = 'accept' | 'ignore' | 'reject'

/**
 * Handles a message inside validation and says what gossipsub should do with it. `seqno`: the message's signed
 * sequence number (the author's clock, strictly increasing per author), which orders a replay after the seen-cache.
 */
export type Judge = (from: PeerId, data: Uint8Array, seqno: bigint) => Verdict

export interface TopicRejection {
  topic: string
  /** The peer that forwarded the message to us (the one gossipsub penalises). */
  peer: PeerId
  reason: RejectReason
  error?: unknown
}

export interface TopicGuardInit {
  /** Called for each rejected message (metrics, logs). */
  onReject?: (rejection: TopicRejection) => void
  /**
   * Called when a judging protocol threw: a bug of this node, not a fault of the message, so the message
   * is ignored and nobody is penalised for it.
   */
  onJudgeError?: (topic: string, error: unknown) => void
  /** Messages per author over all guarded topics (default DEFAULT_GOSSIP_BUDGET); past it they are ignored. */
  budget?: GossipBudgetInit
  /**
   * Messages per forwarding peer over all guarded topics signed by authors that are not members (`isMember`) (default
   * DEFAULT_FORWARDER_BUDGET); past it they are ignored.
   */
  forwarderBudget?: GossipBudgetInit
  /**
   * Whether `author` is a live member this node has reached (membership's view: MemberInfo.reached): its messages are
   * held to its author budget only, not to their forwarder's. Default: nobody is (every message takes from both).
   */
  isMember?: (author: PeerId) => boolean
  /** Called for each message ignored because its forwarder or its author spent its budget. */
  onThrottle?: (topic: string, author: PeerId, forwarder: PeerId, reason: ThrottleReason) => void
}

type GuardedPubSub = Pick<GossipSub, 'topicValidators' | 'subscribe' | 'unsubscribe' | 'publish' |
'addEventListener' | 'removeEventListener'>

/**
 * Validates every message on the guarded topics before gossipsub delivers or forwards it:
 * over `maxBytes`, unsigned or failing `decode` -> `Reject`, which counts as an invalid
 * message delivery in the forwarding peer's score. A valid message whose forwarder or author has
 * spent its budget (a flood) -> `Ignore`: neither delivered nor forwarded, and no penalty. The
 * forwarder's budget is what holds back a flood signed by many fresh keys (each with a full author
 * budget), so it counts only messages whose author is not a member (`isMember`): a member's traffic
 * grows with the mesh and with the records it holds, which no fixed budget of a relay follows, and a
 * message ignored here is lost for good (gossipsub has marked it seen before validating it, so copies
 * from other forwarders are dropped as duplicates). Members are held to their author budget only.
 * Being over a forwarder budget is not a proof of fault: an honest relay of a flooder forwards the
 * flood up to its own budget for that flooder, on top of its honest traffic, and a penalty would have
 * it graylisted and cut off with every node behind it. Counted in `throttledByForwarder` instead.
 */
export class TopicGuard {
  /** Messages ignored because their forwarder or their author spent its budget. */
  throttled = 0
  /** Of `throttled`, those ignored because their forwarder spent its budget. */
  throttledByForwarder = 0
  private readonly decoded = new WeakMap<Message, unknown>()
  private readonly unguards = new Map<string, () => void>()
  private readonly budget: GossipBudget
  private readonly forwarders: GossipBudget

  constructor (private readonly pubsub: GuardedPubSub, private readonly init: TopicGuardInit = {}) {
    this.budget = new GossipBudget(init.budget ?? DEFAULT_GOSSIP_BUDGET)
    this.forwarders = new GossipBudget(init.forwarderBudget ?? DEFAULT_FORWARDER_BUDGET)
  }

  /** Subscribes to `schema.topic` and delivers its valid messages to `onMessage`. Returns an unsubscribe. */
  guard<T>(schema: TopicSchema<T>, onMessage: (message: GuardedMessage<T>) => void): () => void {
    if (this.unguards.has(schema.topic)) throw new Error(`topic ${schema.topic} is already guarded`)
    this.pubsub.topicValidators.set(schema.topic, (peer, msg) => this.validate(schema, peer, msg))
    const listener = (evt: CustomEvent<Message>): void => {
      const msg = evt.detail
      if (msg.topic !== schema.topic || msg.type !== 'signed') return
      const value = this.decoded.has(msg) ? this.decoded.get(msg) as T : safeDecode(schema, msg.data)
      if (value === undefined) return
      onMessage({ topic: msg.topic, from: msg.from, value })
    }
    this.pubsub.addEventListener('message', listener)
    this.pubsub.subscribe(schema.topic)
    const unguard = (): void => {
      this.pubsub.removeEventListener('message', listener)
      this.pubsub.unsubscribe(schema.topic)
      this.pubsub.topicValidators.delete(schema.topic)
      this.unguards.delete(schema.topic)
    }
    this.unguards.set(schema.topic, unguard)
    return unguard
  }

  /**
   * Lets a protocol that both checks and handles a message (a sans-IO `onMessage` returning a
   * verdict) run as the validator of `topic`: oversize or unsigned -> reject; otherwise its
   * verdict decides (reject penalises the forwarder); a protocol that throws has a bug, and the
   * message is ignored (see `onJudgeError`). Returns an unsubscribe.
   */
  judge (topic: string, maxBytes: number, judge: Judge): () => void {
    if (this.unguards.has(topic)) throw new Error(`topic ${topic} is already guarded`)
    this.pubsub.topicValidators.set(topic, (peer, msg) => {
      if (msg.type !== 'signed') return this.reject(topic, peer, 'unsigned')
      if (msg.data.byteLength > maxBytes) return this.reject(topic, peer, 'oversize')
      if (!this.withinBudget(topic, peer, msg.from)) return TopicValidatorResult.Ignore
      let verdict: Verdict
      try {
        verdict = judge(msg.from, msg.data, msg.sequenceNumber)
      } catch (error) {
        this.init.onJudgeError?.(topic, error)
        return TopicValidatorResult.Ignore
      }
      if (verdict === 'reject') return this.reject(topic, peer, 'malformed')
      return verdict === 'accept' ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore
    })
    this.pubsub.subscribe(topic)
    const unguard = (): void => {
      this.pubsub.unsubscribe(topic)
      this.pubsub.topicValidators.delete(topic)
      this.unguards.delete(topic)
    }
    this.unguards.set(topic, unguard)
    return unguard
  }

  /** Encodes and publishes a value, refusing one the receivers' guard would reject for size. */
  async publish<T>(schema: TopicSchema<T>, value: T, encode: (value: T) => Uint8Array): Promise<void> {
    const data = encode(value)
    if (data.byteLength > schema.maxBytes) {
      throw new RangeError(`message of ${data.byteLength} bytes exceeds the ${schema.maxBytes}-byte limit of ${schema.topic}`)
    }
    await this.pubsub.publish(schema.topic, data)
  }

  /** Removes every guard (validators, subscriptions and listeners). */
  stop (): void {
    for (const unguard of [...this.unguards.values()]) unguard()
  }

  private validate<T>(schema: TopicSchema<T>, peer: PeerId, msg: Message): TopicValidatorResult {
    if (msg.type !== 'signed') return this.reject(schema.topic, peer, 'unsigned')
    if (msg.data.byteLength > schema.maxBytes) return this.reject(schema.topic, peer, 'oversize')
    if (!this.withinBudget(schema.topic, peer, msg.from)) return TopicValidatorResult.Ignore
    try {
      this.decoded.set(msg, schema.decode(msg.data))
    } catch (error) {
      return this.reject(schema.topic, peer, 'malformed', error)
    }
    return TopicValidatorResult.Accept
  }

  /**
   * Takes one message from the forwarder's budget, unless a member signed it, then (if it had some left) from the
   * author's.
   */
  private withinBudget (topic: string, forwarder: PeerId, author: PeerId): boolean {
    const member = this.init.isMember?.(author) === true
    const reason: ThrottleReason | undefined = !member && !this.forwarders.take(forwarder.toString())
      ? 'forwarder'
      : (this.budget.take(author.toString()) ? undefined : 'author')
    if (reason === undefined) return true
    this.throttled++
    if (reason === 'forwarder') this.throttledByForwarder++
    this.init.onThrottle?.(topic, author, forwarder, reason)
    return false
  }

  private reject (topic: string, peer: PeerId, reason: RejectReason, error?: unknown): TopicValidatorResult {
    this.init.onReject?.({ topic, peer, reason, error })
    return TopicValidatorResult.Reject
  }
}

function safeDecode<T> (schema: TopicSchema<T>, data: Uint8Array): T | undefined {
  if (data.byteLength > schema.maxBytes) return undefined
  try {
    return schema.decode(data)
  } catch {
    return undefined
  }
}
