import type { PeerId } from '../core/index.js'
import type { Load } from './messages.js'
import type { MemberInfo, MemberTable } from './table.js'

/**
 * The read side of membership that other protocols (election, scheduling, stealing) use:
 * who is live and how loaded each member is. Never includes the local node.
 */
export interface MembershipView {
  readonly self: PeerId
  /** Members not known dead (alive or suspect). */
  readonly liveCount: number
  get: (peer: PeerId) => MemberInfo | undefined
  isLive: (peer: PeerId) => boolean
  /** Live members in a deterministic order. */
  liveMembers: () => MemberInfo[]
  /** Every member held, dead ones too until membership forgets them (`deadRetentionMs`), in a deterministic order. */
  members: () => Iterable<MemberInfo>
  /** Live members sorted busiest first by queued then running work (for work stealing). */
  busiest: (limit: number) => MemberInfo[]
  /** Digest of the set {self} ∪ {members whose status is alive}: equal views give equal digests. */
  readonly aliveDigest: number
  readonly aliveCount: number
}

/** A view over a member table plus the local node. */
export class TableView implements MembershipView {
  constructor (readonly self: PeerId, private readonly table: MemberTable, private readonly selfHash: number) {}

  get liveCount (): number { return this.table.liveCount }
  get aliveDigest (): number { return (this.table.aliveDigest ^ this.selfHash) >>> 0 }
  get aliveCount (): number { return this.table.aliveCount + 1 }

  get (peer: PeerId): MemberInfo | undefined {
    return this.table.get(peer)
  }

  isLive (peer: PeerId): boolean {
    const member = this.table.get(peer)
    return member !== undefined && member.status !== 'dead'
  }

  liveMembers (): MemberInfo[] {
    const out: MemberInfo[] = []
    for (const member of this.table.values()) if (member.status !== 'dead') out.push(member)
    return out
  }

  members (): Iterable<MemberInfo> {
    return this.table.values()
  }

  busiest (limit: number): MemberInfo[] {
    return this.liveMembers()
      .sort((a, b) => pressure(b.load) - pressure(a.load) || (a.peer < b.peer ? -1 : 1))
      .slice(0, limit)
  }
}

function pressure (load: Load): number {
  return load.queued * 1000 + load.running
}
