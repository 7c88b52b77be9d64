import type { Millis, PeerId } from '../core/index.js'
import type { MemberRecord } from './messages.js'
import type { MemberTable } from './table.js'

/**
 * Members a node that just joined passes on before it has heard from them: those it took from the answers it asked
 * for (the welcome that completed its join, the answers to its own pulls), for a short window from the end of its join.
 *
 * Answers pass on live members only if the answerer heard from them directly (TableAnswers): a rumour passed on from
 * node to node, each taker starting its silence anew, would keep a forger's made-up peer going round for good. But a
 * node that just (re)started has heard from few members: until their heartbeats reach it (a heartbeat interval, 20 s
 * at 200 nodes) its answers to pulls and joins hold only those, and a node behind that pulls from it (a seed pulling
 * from another seed restarted with it) stays behind until its next pull. The members of an answer the node asked for
 * are the answerer's own confirmed view (an honest answerer's, or its own start window's), so the node may pass them
 * on while it catches up (seeds-restart, 200 nodes, seed 3: the mesh agreed 4 s after every seed came back, not 11 s).
 *
 * The window is anchored at the node's own join, not at each answer, and no taker restarts it: a node passes on
 * rumours only within `windowMs` of its join, whoever it took them from. A welcome nobody asked for (anyone may send
 * one) is not vouched for. A forger answering a join or a pull has its made-up peers passed on by that node for what
 * is left of its window; once the forgers stop, only a chain of nodes each joining within a window of the one before
 * and pulling from it carries one on, and with no joins it is passed on no more after one window: not for good.
 */
export class StartVouches {
  private readonly peers = new Set<PeerId>()
  /** When the join completed: undefined until it does. */
  private joinedAt: Millis | undefined

  /**
   * `windowMs`: the window's length, asked each time (it grows with the mesh this node finds: at the end of a join
   * through a seed that just restarted too it may know a handful of members).
   */
  constructor (private readonly windowMs: () => Millis) {}

  /** Whether the window is open at `now`: the join is not complete, or it completed less than the window ago. */
  open (now: Millis): boolean {
    return this.joinedAt === undefined || now < this.joinedAt + this.windowMs()
  }

  /** The join completed at `now`: the window runs from then (once per start). */
  joined (now: Millis): void {
    this.joinedAt ??= now
  }

  /**
   * Notes the live members of welcome parts taken at `now`, if `asked` (they answer this node's join or its last pull);
   * nothing once the window has ended. A welcome unasked for (anyone may send one) is not vouched for.
   */
  took (records: readonly MemberRecord[], table: MemberTable, now: Millis, asked: boolean): void {
    if (!asked || !this.open(now)) return
    for (const record of records) {
      const held = table.get(record.peer)
      if (record.status !== 'dead' && held !== undefined && held.status !== 'dead' && !held.confirmed) this.peers.add(record.peer)
    }
  }

  /** Whether `peer` may be passed on at `now` as vouched for by an answer this node asked for. */
  passes (peer: PeerId, now: Millis): boolean {
    if (this.peers.size === 0) return false
    if (!this.open(now)) {
      this.peers.clear()
      return false
    }
    return this.peers.has(peer)
  }
}
