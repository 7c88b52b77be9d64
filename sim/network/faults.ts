/** A partition layout that has ended: its groups (two nodes can talk both ways only within one) and when it ended. */
interface PastLayout {
  readonly groups: Int32Array
  readonly until: number
}

/** Past partition layouts kept for `connectedSince`; a run has a handful, a long one forgets the oldest. */
const LAYOUTS_KEPT = 64

/** Where each node stands: up, paused, slow, and which side of which partition. */
export class FaultState {
  readonly up: Uint8Array
  readonly paused: Uint8Array
  /** Extra processing delay of a slow node for every event it handles. */
  readonly slowMs: Float64Array
  /** Partition group per node; nodes in one group always reach each other. */
  readonly group: Int32Array
  /** When a node was last crashed, restarted, paused or resumed. */
  readonly disturbedAt: Float64Array
  /** When a node went down (valid while it is down). */
  readonly downSince: Float64Array
  /** Blocked directed group pairs, encoded from * GROUPS + to. */
  private readonly blocked = new Set<number>()
  /** When the partition layout last changed. */
  partitionChangedAt = 0
  /** Ended partition layouts, oldest first (a whole network connects every pair and is not kept). */
  private readonly past: PastLayout[] = []
  /** When the newest layout dropped from `past` ended: what came before is unknown. */
  private forgottenUntil = 0
  /** Partitions started so far. */
  partitions = 0

  static readonly GROUPS = 1 << 16

  constructor (readonly size: number) {
    this.up = new Uint8Array(size).fill(1)
    this.paused = new Uint8Array(size)
    this.slowMs = new Float64Array(size)
    this.group = new Int32Array(size)
    this.disturbedAt = new Float64Array(size)
    this.downSince = new Float64Array(size)
  }

  /** True while any link is cut. */
  get partitioned (): boolean {
    return this.blocked.size > 0
  }

  /** A node that is up and not paused. */
  isLive (node: number): boolean {
    return this.up[node] === 1 && this.paused[node] === 0
  }

  /** Whether a message from `from` can reach `to` under the current partitions. */
  reachable (from: number, to: number): boolean {
    if (this.blocked.size === 0) return true
    const a = this.group[from] as number
    const b = this.group[to] as number
    return a === b || !this.blocked.has(a * FaultState.GROUPS + b)
  }

  /** Splits nodes into groups; `symmetric` cuts both directions, otherwise only lower → higher group. */
  partition (groups: ArrayLike<number>, symmetric: boolean, now: number): void {
    this.partitions++
    this.endLayout(now)
    this.blocked.clear()
    let count = 0
    for (let i = 0; i < this.size; i++) {
      this.group[i] = groups[i] as number
      count = Math.max(count, (groups[i] as number) + 1)
    }
    for (let a = 0; a < count; a++) {
      for (let b = 0; b < count; b++) {
        if (a === b || (!symmetric && a > b)) continue
        this.blocked.add(a * FaultState.GROUPS + b)
      }
    }
    this.partitionChangedAt = now
  }

  heal (now: number): void {
    if (this.blocked.size === 0) return
    this.endLayout(now)
    this.blocked.clear()
    this.group.fill(0)
    this.partitionChangedAt = now
  }

  /**
   * Since when `a` and `b` have been able to talk in both directions with neither disturbed (infinite while they
   * cannot): a partition that cut neither of them off from the other does not reset it.
   */
  connectedSince (a: number, b: number): number {
    return Math.max(this.linkedSince(a, b), this.disturbedAt[a] as number, this.disturbedAt[b] as number)
  }

  /** Since when no partition has cut `a` and `b` apart: every partition cuts one direction between groups at least. */
  private linkedSince (a: number, b: number): number {
    if (this.partitioned && this.group[a] !== this.group[b]) return Number.POSITIVE_INFINITY
    for (let k = this.past.length - 1; k >= 0; k--) {
      const layout = this.past[k] as PastLayout
      if (layout.groups[a] !== layout.groups[b]) return layout.until
    }
    return this.forgottenUntil
  }

  /** Keeps the layout in force until `now`, unless the network is whole. */
  private endLayout (now: number): void {
    if (this.blocked.size === 0) return
    this.past.push({ groups: Int32Array.from(this.group), until: now })
    if (this.past.length > LAYOUTS_KEPT) this.forgottenUntil = (this.past.shift() as PastLayout).until
  }
}
