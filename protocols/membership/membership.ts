import type { Effect, Millis, PeerId, SansIoProtocol, TimerKey, Verdict } from '../core/index.js'
import { DEFAULT_MEMBERSHIP_CONFIG, heartbeatIntervalMs, startVouchMs, suspicionTimeoutMs } from './config.js'
import type { MembershipConfig, MembershipOptions } from './config.js'
import { MEMBERSHIP_PROTOCOL, MEMBERSHIP_TOPIC, NO_LOAD, decodeOn } from './messages.js'
import type { Load, MemberRecord, MembershipMessage } from './messages.js'
import { AntiEntropy, viewBuckets, vouchedDead } from './anti-entropy.js'
import { MAX_INCARNATION_STEP, MAX_WELCOME_STEP, credible } from './credence.js'
import { HeardMessages } from './heard.js'
import { noteBeats, replayedBeat } from './heartbeat-order.js'
import { Joiner } from './joining.js'
import { MembershipEffects } from './membership-effects.js'
import { OwnIncarnation } from './own-incarnation.js'
import { Prober } from './prober.js'
import { Suspicion, suspectOfTimer } from './suspicion.js'
import { TableAnswers } from './table-answers.js'
import { MemberTable, aboutPeer, peerHash } from './table.js'
import { TableView } from './view.js'
import type { MembershipView } from './view.js'

/**
 * Membership and failure detection (SWIM with suspicion) plus gossiped load heartbeats.
 *
 * - Every period the node pings one member (shuffled round-robin); without an ack by `ackTimeoutMs` it asks
 *   `indirectProbes` members to ping it; without any ack by the end of the period the member becomes suspect, and
 *   dead after `suspicionTimeoutMs` unless it refutes with a higher incarnation.
 * - Suspicions, deaths and refutations are published on `gmesh/v1/membership` at once; each node also publishes its
 *   own record with its load every `heartbeatIntervalMs(n)`, a period that grows with the mesh so every node hears
 *   about `heartbeatDeliveriesPerSec` heartbeats per second. Only gossip is taken from the topic, the rest from the
 *   stream only (`allowedOn`): another message is rejected.
 * - Pings and acks carry the receiver's record when the sender holds it suspect or dead, so a live member refutes at
 *   once. A member held live is pinged with the verdict when it is declared dead, and every period the node pings the
 *   next member it holds dead (round-robin reconnect probe), so a live one wrongly held dead refutes once reachable.
 * - Records about others are taken only if credible (`credible`); those about self go to OwnIncarnation. A member's
 *   heartbeat signed before one taken at its incarnation is a replay, ignored (heartbeat-order.ts).
 * - A member heard of only from others is a rumour (it may not exist) until heard from directly: probed directly only,
 *   it is let go unannounced if that fails or its heartbeats do (Suspicion.silent), with no verdict or reconnect ping.
 * - Pings and acks carry the sender's alive-set digest; a node shown only differing digests for `pullAfterMs` pulls
 *   the records of the buckets whose digests differ from a member and merges them: the repair for a rumour it missed
 *   (AntiEntropy). A member it heard from and holds dead but the answer holds alive is pinged with the verdict.
 * - A join is answered with the whole table, a pull with part of it: a node answers one join per joiner
 *   per `joinAnswerIntervalMs` and one pull per requester per `pullAnswerIntervalMs` (TableAnswers).
 */
export class Membership implements SansIoProtocol {
  readonly topics = [MEMBERSHIP_TOPIC]
  readonly protocolIds = [MEMBERSHIP_PROTOCOL]
  readonly view: MembershipView
  readonly config: MembershipConfig
  private readonly table: MemberTable
  private readonly effects = new MembershipEffects()
  private readonly prober: Prober
  private readonly suspicion: Suspicion
  private readonly own: OwnIncarnation
  private load: Load
  private running = false
  private readonly joiner: Joiner
  private readonly antiEntropy: AntiEntropy
  private readonly answers: TableAnswers
  /** Time of the input being handled (for rate limits inside helpers). */
  private lastInput: Millis = 0
  /** Malformed inputs rejected so far. */
  rejected = 0
  /** Gossip ignored as a replay: its author's heartbeat, signed before one taken at that incarnation (heartbeat-order.ts). */
  staleBeats = 0
  /** Messages taken since start, by kind (HeardMessages); replays and malformed input are not (`staleBeats`, `rejected`). */
  readonly heard = new HeardMessages()
  private refusedRecords = 0

  constructor (private readonly options: MembershipOptions) {
    this.config = { ...DEFAULT_MEMBERSHIP_CONFIG, ...options.config }
    this.table = new MemberTable(this.config.maxMembers)
    this.own = new OwnIncarnation(options.restoredIncarnation === undefined ? 0 : options.restoredIncarnation + 1, this.config.probeIntervalMs)
    this.load = options.load ?? NO_LOAD
    this.prober = new Prober(this.table, options.random)
    this.suspicion = new Suspicion(this.table, this.effects, () => suspicionTimeoutMs(this.config, this.meshSize))
    this.antiEntropy = new AntiEntropy(this.config.pullAfterMs)
    this.answers = new TableAnswers(this.table, this.config, () => startVouchMs(this.config, this.meshSize))
    this.joiner = new Joiner(options.seeds, this.config.joinRetryMs, options.random)
    this.view = new TableView(options.self, this.table, peerHash(options.self))
  }

  get self (): PeerId { return this.options.self }
  /** The full member table, tombstones included (read by the simulator's invariant checkers). */
  get members (): MemberTable { return this.table }
  /** Pulls sent so far because digests kept differing (anti-entropy). */
  get pulls (): number { return this.antiEntropy.pulls }
  /** Pulls from others left unanswered: the requester was answered less than `pullAnswerIntervalMs` ago (TableAnswers). */
  get pullsRefused (): number { return this.answers.pullsRefused }
  /** Joins left unanswered: the joiner was answered less than `joinAnswerIntervalMs` ago (TableAnswers). */
  get joinsRefused (): number { return this.answers.joinsRefused }
  /** Ping-reqs not relayed: from or about a peer not held live, or over the relay caps (Prober). */
  get relaysRefused (): number { return this.prober.relaysRefused }
  /** The incarnation to persist (restart with disk). */
  get currentIncarnation (): number { return this.own.value }
  /** Records refused as forgeries: about others (credible, options.isPeerId) and about this node (OwnIncarnation). */
  get incredible (): number { return this.refusedRecords + this.own.incredible }
  private get meshSize (): number { return this.table.liveCount + 1 }

  start (now: Millis): void {
    this.running = true
    const random = this.options.random
    this.effects.setTimer('probe', now + random.nextInt(this.config.probeIntervalMs) + 1)
    this.effects.setTimer('heartbeat', now + random.nextInt(this.config.probeIntervalMs) + 1)
    this.effects.setTimer('sweep', now + heartbeatIntervalMs(this.config, this.meshSize))
    this.publishSelf()
    this.join(now)
  }

  /** Leaves gracefully: tells the mesh this incarnation is gone. */
  stop (_now: Millis): void {
    if (!this.running) return
    this.running = false
    this.effects.gossip([{ ...this.selfRecord(), status: 'dead' }])
  }

  /** Local command: the node's load changed; it travels with the next heartbeat, ping and ack. */
  setLoad (load: Load): void { this.load = load }

  drainEffects (): Effect[] { return this.effects.drain() }

  onMessage (from: PeerId, via: string, bytes: Uint8Array, now: Millis, sent?: bigint): Verdict {
    if (!this.running || from === this.self) return 'ignore'
    this.lastInput = now
    const message = decodeOn(bytes, via)
    if (message === undefined) {
      this.rejected++
      return 'reject'
    }
    if (message.type === 'gossip' && sent !== undefined && replayedBeat(this.table, from, message.updates, sent)) {
      this.staleBeats++
      return 'ignore'
    }
    this.heard.count(from, message)
    this.dispatch(from, message, now)
    if (message.type === 'gossip' && sent !== undefined) noteBeats(this.table, from, message.updates, sent)
    if (this.joiner.awaitingMember && this.view.liveCount > 0) this.join(now)
    return 'accept'
  }

  onTimer (key: TimerKey, now: Millis): void {
    if (!this.running) return
    switch (key) {
      case 'probe': this.onProbeTick(now); return
      case 'ack': this.onAckTimeout(); return
      case 'heartbeat': this.onHeartbeatTick(now); return
      case 'sweep': this.onSweepTick(now); return
      case 'join': this.join(now); return
    }
    const suspect = suspectOfTimer(key)
    if (suspect !== undefined) this.onSuspicionTimeout(suspect, now)
  }

  private dispatch (from: PeerId, m: MembershipMessage, now: Millis): void {
    switch (m.type) {
      case 'ping':
        this.heardFrom(from, m.incarnation, m.load, now, true)
        if (m.about !== undefined) this.learnAboutSelf(m.about)
        this.effects.sendMessage(from, { type: 'ack', seq: m.seq, subject: this.self, incarnation: this.own.value, load: this.load, ...aboutPeer(this.table, from), digest: this.view.aliveDigest })
        this.compareDigest(from, m.digest)
        return
      case 'ack': this.onAck(from, m, now); return
      case 'ping-req': this.relayProbe(from, m.seq, m.target, now); return
      case 'join': { // a joiner's incarnation is its restart's, honestly below the mesh's: re-based only past what its welcome may move it
        const member = this.table.isConfirmedLive(from)
        this.heardFrom(from, m.incarnation, m.load, now, true, MAX_WELCOME_STEP)
        for (const welcome of this.answers.toJoin(this.selfRecord(), from, now, member)) this.effects.sendMessage(from, welcome)
        return
      }
      case 'welcome': // one from a peer asked, before the join is complete, answers it (pulls come after): see OwnIncarnation
        this.applyAll(m.members, from, now, this.joiner.answersJoin(from))
        this.answers.vouches.took(m.members, this.table, now, this.joiner.answersJoin(from) || this.antiEntropy.answersPull(from, now))
        for (const peer of vouchedDead(this.table, m.members)) this.pingHeldDead(peer)
        if (m.about !== undefined) this.learnAboutSelf(m.about, this.joiner.answersJoin(from))
        if (this.joiner.welcomed(from, m.part, m.parts)) this.answers.vouches.joined(now)
        return
      case 'gossip': this.applyAll(m.updates, from, now); return
      case 'pull':
        for (const welcome of this.answers.toPull(this.selfRecord(), from, m.buckets, now)) this.effects.sendMessage(from, welcome)
    }
  }

  /** An ack proves its subject alive when the subject sent it or it answers a probe or relay of this node's; else it is ignored. */
  private onAck (from: PeerId, m: Extract<MembershipMessage, { type: 'ack' }>, now: Millis): void {
    const direct = m.subject === from
    const relay = this.prober.takeRelay(m.seq, m.subject)
    const answersProbe = relay !== undefined || this.prober.acknowledge(m.seq, m.subject)
    // relayed, the incarnation is the helper's word: taken as any record passed on (credible)
    if (!direct && (!answersProbe || !credible(this.table, { peer: m.subject, status: 'alive', incarnation: m.incarnation, load: m.load }, from))) return
    this.heardFrom(m.subject, m.incarnation, m.load, now, direct)
    if (direct) {
      if (m.about !== undefined) this.learnAboutSelf(m.about)
      this.compareDigest(from, m.digest)
    }
    if (relay !== undefined) this.effects.sendMessage(relay.requester, { type: 'ack', seq: relay.requesterSeq, subject: m.subject, incarnation: m.incarnation, load: m.load })
  }

  /** Pings `target` for `requester`'s indirect probe: only between members held live, and within the prober's caps. */
  private relayProbe (requester: PeerId, seq: number, target: PeerId, now: Millis): void {
    const live = target !== this.self && this.view.isLive(requester) && this.table.isConfirmedLive(target)
    const relaySeq = live ? this.prober.relay(requester, seq, target, now) : this.prober.refuseRelay()
    if (relaySeq !== undefined) this.effects.sendMessage(target, this.ping(relaySeq, target))
  }

  private onProbeTick (now: Millis): void {
    const silent = this.prober.finish()
    if (silent !== undefined) this.effects.gossip(this.suspicion.silent([silent], now))
    this.prober.expireRelays(now, this.config.probeIntervalMs)
    const probe = this.prober.begin()
    if (probe !== undefined) {
      this.effects.sendMessage(probe.target, this.ping(probe.seq, probe.target))
      this.effects.setTimer('ack', now + this.config.ackTimeoutMs)
    }
    const dead = this.prober.nextDead()
    if (dead !== undefined) this.pingHeldDead(dead)
    this.effects.setTimer('probe', now + this.config.probeIntervalMs)
  }

  private onAckTimeout (): void {
    const probe = this.prober.pending()
    // a rumour is probed directly only: asking others to probe a peer that may not exist would multiply the cost of a forgery
    if (probe === undefined || !this.table.isConfirmed(probe.target)) return
    for (const helper of this.prober.helpers(this.config.indirectProbes, probe.target)) this.effects.sendMessage(helper, { type: 'ping-req', seq: probe.seq, target: probe.target })
  }

  private onHeartbeatTick (now: Millis): void {
    this.publishSelf()
    const interval = heartbeatIntervalMs(this.config, this.meshSize)
    this.effects.setTimer('heartbeat', now + Math.round(interval * (0.75 + 0.5 * this.options.random.nextFloat())))
  }

  /**
   * Suspects alive members silent for `staleHeartbeats` heartbeat intervals (lost gossip backstop), in one
   * publication, and forgets members dead for longer than `deadRetentionMs`.
   */
  private onSweepTick (now: Millis): void {
    this.table.reapDead(now - this.config.deadRetentionMs)
    const interval = heartbeatIntervalMs(this.config, this.meshSize)
    const staleBefore = now - interval * this.config.staleHeartbeats - this.config.probeIntervalMs
    this.effects.gossip(this.suspicion.silent(this.table.silentSince(staleBefore), now))
    this.effects.setTimer('sweep', now + interval)
  }

  private onSuspicionTimeout (peer: PeerId, now: Millis): void {
    const expired = this.suspicion.expire(peer)
    if (expired === undefined) return
    this.apply(expired.declared, now)
    if (expired.publish) this.effects.gossip([expired.declared])
  }

  /**
   * Applies a record from the network (Suspicion keeps the timers in step); a member it makes dead is pinged with the
   * verdict, if this node ever heard from it (a rumour's death costs no dial).
   */
  private apply (record: MemberRecord, now: Millis): void {
    if (this.suspicion.apply(record, now) && this.table.isConfirmed(record.peer)) this.pingHeldDead(record.peer)
  }

  /** Pings a member held dead with the verdict: if it lives and hears it, it refutes or republishes. */
  private pingHeldDead (peer: PeerId): void {
    this.effects.sendMessage(peer, this.ping(this.prober.nextSeq(), peer))
  }

  /** A ping to `peer`, carrying its record if this node holds it suspect or dead, and this node's digest. */
  private ping (seq: number, peer: PeerId): MembershipMessage {
    return { type: 'ping', seq, incarnation: this.own.value, load: this.load, ...aboutPeer(this.table, peer), digest: this.view.aliveDigest }
  }

  /** Anti-entropy: pulls the records of `from` whose buckets differ, once digests have differed long enough. */
  private compareDigest (from: PeerId, digest: number | undefined): void {
    const own = this.joiner.complete ? this.view.aliveDigest : undefined
    if (this.antiEntropy.observe(own, digest, this.lastInput, from)) this.effects.sendMessage(from, { type: 'pull', buckets: viewBuckets(this.table, this.self) })
  }

  private applyAll (records: readonly MemberRecord[], from: PeerId, now: Millis, joining = false): void {
    for (const record of records) {
      if (record.peer === this.self) this.learnAboutSelf(record, joining)
      else if (!credible(this.table, record, from) || this.options.isPeerId?.(record.peer) === false) this.refusedRecords++
      else if (record.peer === from && record.status === 'alive') this.heardFrom(from, record.incarnation, record.load, now, false)
      else this.apply(record, now)
    }
  }

  /**
   * A direct message from `peer` proves it was alive at `incarnation`; `reached`: it came over a stream (a ping, join or
   * the peer's own ack), not as signed gossip.
   */
  private heardFrom (peer: PeerId, incarnation: number, load: Load, now: Millis, reached: boolean, rebaseStep = MAX_INCARNATION_STEP): void {
    if (peer === this.self) return
    this.table.heardFromDirectly(peer, incarnation, rebaseStep)
    this.apply({ peer, status: 'alive', incarnation, load }, now)
    this.table.touch(peer, now, reached)
  }

  /** Someone holds a record about this node: refute it, republish, or catch up (OwnIncarnation). */
  protected learnAboutSelf (record: MemberRecord, joining = false): void {
    if (record.peer === this.self && this.own.learn(record, this.lastInput, joining)) this.publishSelf()
  }

  /** Asks one member (a seed until some member is known) for a welcome, until a complete one arrives. */
  private join (now: Millis): void {
    const { targets, retryAt } = this.joiner.next(this.view, now)
    for (const target of targets) this.effects.sendMessage(target, { type: 'join', incarnation: this.own.value, load: this.load })
    if (retryAt !== undefined) this.effects.setTimer('join', retryAt)
  }

  private selfRecord (): MemberRecord { return { peer: this.self, status: 'alive', incarnation: this.own.value, load: this.load } }
  private publishSelf (): void { this.effects.gossip([this.selfRecord()]) }
}
