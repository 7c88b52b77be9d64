import type { Millis, PeerId } from '../core/index.js'
import { inDifferingBuckets, viewBuckets } from './anti-entropy.js'
import type { MembershipConfig } from './config.js'
import { MAX_RECORDS_PER_MESSAGE } from './messages.js'
import type { MemberRecord, MembershipMessage } from './messages.js'
import { StartVouches } from './start-vouches.js'
import { aboutPeer } from './table.js'
import type { MemberInfo, MemberTable } from './table.js'

/** Most requesters an `AnswerLimit` holds: those answered within its last interval. */
export const MAX_ANSWERED_REQUESTERS = 128

/**
 * Answers to one kind of request, at most one per requester per `intervalMs`. A join or a pull costs its sender one
 * small message and its answerer up to the whole table, so a peer sending them as fast as it can would otherwise have
 * this node send its table as fast. The table of requesters holds only those answered within the last interval, at
 * most `maxRequesters`: while it is full, new requesters are refused too, so whoever sends them this node answers at
 * most `maxRequesters` requests per interval. Keep `intervalMs` under the least time between two requests of an
 * honest node, so that one is never refused for asking again.
 */
export class AnswerLimit {
  /** Requester -> when its last request was answered, oldest first. */
  private readonly answeredAt = new Map<PeerId, Millis>()
  /** Requests not answered so far. */
  refused = 0

  constructor (private readonly intervalMs: Millis, private readonly maxRequesters = MAX_ANSWERED_REQUESTERS) {}

  /** Requesters answered within the last interval (as of the latest call). */
  get size (): number {
    return this.answeredAt.size
  }

  /** Whether to answer a request from `requester` at `now` (if so, it is counted as answered). */
  allow (requester: PeerId, now: Millis): boolean {
    this.forgetBefore(now - this.intervalMs)
    if (this.answeredAt.has(requester) || this.answeredAt.size >= this.maxRequesters) {
      this.refused++
      return false
    }
    this.answeredAt.set(requester, now)
    return true
  }

  /** Whether `requester` was answered within the interval before `now`. */
  holds (requester: PeerId, now: Millis): boolean {
    this.forgetBefore(now - this.intervalMs)
    return this.answeredAt.has(requester)
  }

  /** Drops the requesters answered at or before `time` (they are in time order). */
  private forgetBefore (time: Millis): void {
    for (const [peer, at] of this.answeredAt) {
      if (at > time) return
      this.answeredAt.delete(peer)
    }
  }
}

/**
 * An AnswerLimit for live members this node heard from (confirmed) and one for everyone else: requesters it never
 * heard from (new keys cost an attacker nothing but a connection each) fill only the second, and cannot turn away a
 * member's pull or a restarted member's join. A requester answered by either is refused by both for the interval
 * (a joiner is a member from its first join on).
 */
export class MemberAnswerLimit {
  private readonly members: AnswerLimit
  private readonly others: AnswerLimit
  private refusedAsAnswered = 0

  constructor (intervalMs: Millis, maxRequesters = MAX_ANSWERED_REQUESTERS) {
    this.members = new AnswerLimit(intervalMs, maxRequesters)
    this.others = new AnswerLimit(intervalMs, maxRequesters)
  }

  get refused (): number { return this.members.refused + this.others.refused + this.refusedAsAnswered }

  allow (requester: PeerId, now: Millis, member: boolean): boolean {
    const [own, other] = member ? [this.members, this.others] : [this.others, this.members]
    if (other.holds(requester, now)) {
      this.refusedAsAnswered++
      return false
    }
    return own.allow(requester, now)
  }
}

/**
 * The answer to a join: every member, tombstones included (so a joiner learns of deaths announced
 * before it came; those this node saw happen, for half the retention), in chunks of at most MAX_RECORDS_PER_MESSAGE; the last chunk carries the
 * joiner's own record when it is held suspect or dead, so it refutes at once. The joiner's record is
 * among the members too, so one restarted without its disk, held alive at a later incarnation than
 * its own, goes one above it (OwnIncarnation). The answer to a pull is the same, restricted to the members
 * of the buckets that differ. `wanted` picks the members.
 */
export function welcomeMessages (self: MemberRecord, table: MemberTable, about: { about?: MemberRecord }, wanted: (member: MemberInfo) => boolean): MembershipMessage[] {
  const records: MemberRecord[] = [self]
  for (const m of table.values()) {
    if (wanted(m)) records.push({ peer: m.peer, status: m.status, incarnation: m.incarnation, load: m.load })
  }
  const messages: MembershipMessage[] = []
  const parts = Math.ceil(records.length / MAX_RECORDS_PER_MESSAGE)
  for (let part = 0; part < parts; part++) {
    const members = records.slice(part * MAX_RECORDS_PER_MESSAGE, (part + 1) * MAX_RECORDS_PER_MESSAGE)
    messages.push(part === parts - 1 ? { type: 'welcome', part, parts, members, ...about } : { type: 'welcome', part, parts, members })
  }
  return messages
}

/**
 * The answers that carry this node's member table, as welcome parts: to a join, the whole table;
 * to an anti-entropy pull, the buckets whose digests differ. Each kind is answered at most once
 * per requester per its interval (AnswerLimit): `joinAnswerIntervalMs` (500 ms, under the 1 s an
 * honest joiner waits at least before asking again) and `pullAnswerIntervalMs` (2 s, under the
 * 3 s between two honest pulls). A refused joiner asks again at its next retry, a refused puller
 * after its next wait.
 */
export class TableAnswers {
  private readonly joins: MemberAnswerLimit
  private readonly pulls: MemberAnswerLimit
  private readonly passOnDeadFor: Millis
  /** The members of the answers this node asked for, passed on for a short window after its join. */
  readonly vouches: StartVouches

  /** `startWindowMs`: how long after its join this node passes on the members of the answers it asked for (none by default). */
  constructor (
    private readonly table: MemberTable, config: Pick<MembershipConfig, 'joinAnswerIntervalMs' | 'pullAnswerIntervalMs' | 'deadRetentionMs'>,
    startWindowMs: () => Millis = () => 0
  ) {
    this.vouches = new StartVouches(startWindowMs)
    this.joins = new MemberAnswerLimit(config.joinAnswerIntervalMs)
    this.pulls = new MemberAnswerLimit(config.pullAnswerIntervalMs)
    this.passOnDeadFor = config.deadRetentionMs / 2
  }

  get joinsRefused (): number { return this.joins.refused }
  get pullsRefused (): number { return this.pulls.refused }

  /**
   * The welcome parts answering a join from `joiner` at `now`; none when it was answered within the interval.
   * `member`: the joiner was a live member this node had heard from before this join (see MemberAnswerLimit).
   */
  toJoin (self: MemberRecord, joiner: PeerId, now: Millis, member: boolean): MembershipMessage[] {
    if (!this.joins.allow(joiner, now, member)) return []
    // a joiner keeps a tombstone for the whole retention from when it got it: passed on by every holder, a
    // tombstone would go round an active mesh for good. So only a node that saw the member die passes it
    // on, for half the retention: a joiner has it for 1.5 retentions after the death at most.
    return welcomeMessages(self, this.table, aboutPeer(this.table, joiner), m => this.passOn(m, now))
  }

  /**
   * Whether a member goes into an answer at `now`: a live one only if this node heard from it directly (confirmed);
   * a tombstone only from a node that saw the member die, for half the retention. A pull's answer is filtered the
   * same way: a puller that had reaped a tombstone would otherwise take it back from a holder that got it
   * second-hand, and hold it a whole retention again (and be its source for the next). A puller that holds the
   * member alive still hears of the death from the nodes that saw it, or finds it silent itself.
   * A rumour (a live member nobody here heard from) is not passed on: the taker would hold it with its silence
   * starting at once, and pass it on in turn, so a made-up peer would go round honest nodes for good after its
   * forgers stop (forged-members, 1,000 nodes: taken alive from an honest pull answer 157 s after the last forged
   * record). A real member's own heartbeat, or a holder that heard from it, tells the asker of it. One exception: a
   * node that just joined passes on the live members of the answers it asked for, for a short window (StartVouches).
   */
  private passOn (m: MemberInfo, now: Millis): boolean {
    if (m.status === 'dead') return m.heldLive && now - m.statusSince < this.passOnDeadFor
    return m.confirmed || this.vouches.passes(m.peer, now)
  }

  /** The welcome parts answering a pull of `buckets` (the requester's bucket digests); none when it was answered within the interval. */
  toPull (self: MemberRecord, requester: PeerId, buckets: readonly number[], now: Millis): MembershipMessage[] {
    const member = this.table.isConfirmedLive(requester)
    if (!this.pulls.allow(requester, now, member)) return []
    const wanted = inDifferingBuckets(viewBuckets(this.table, self.peer), buckets)
    return welcomeMessages(self, this.table, aboutPeer(this.table, requester), m => wanted(m.peer) && this.passOn(m, now))
  }
}
