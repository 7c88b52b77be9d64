import type { PeerId } from '../protocols/core/index.js'
import { peerHashOf } from './peers.js'
import type { Harness } from './harness.js'
import type { FaultState } from './network/index.js'

export type InvariantName = 'live-node-held-dead' | 'crash-unnoticed' | 'membership-diverged' | 'convergence-late' |
  'incarnation-near-bound' | 'made-up-peer-held' | 'made-up-peer-published'

export interface Violation {
  readonly invariant: InvariantName
  readonly atMs: number
  readonly observer: string
  readonly subject: string
  readonly detail: string
}

export interface Bounds {
  /** A crash is noticed by every live node within this long while the network is whole. */
  readonly detectionMs: number
  /** A live node wrongly held dead is held dead no longer than this once it can talk to its observer. */
  readonly refutationMs: number
  /** After faults end, every live node agrees on membership within this long. */
  readonly convergenceMs: number
}

const MAX_KEPT = 100

/** Checks the membership invariants against the simulator's ground truth (who is really up). */
export class InvariantChecker {
  readonly violations: Violation[] = []
  violationCount = 0
  /** Violations per invariant (each observer/subject pair counted once). */
  readonly counts: Record<InvariantName, number> = {
    'live-node-held-dead': 0, 'crash-unnoticed': 0, 'membership-diverged': 0, 'convergence-late': 0,
    'incarnation-near-bound': 0, 'made-up-peer-held': 0, 'made-up-peer-published': 0
  }

  private readonly reported = new Set<string>()

  /**
   * `forgers`: nodes that lie (forged-members): neither observers nor subjects of these invariants; `madeUp`: peer
   * ids they made up, which no honest node may hold live at the end of the run.
   */
  constructor (
    private readonly harness: Harness, private readonly faults: FaultState, readonly bounds: Bounds,
    private readonly forgers: ReadonlySet<number> = new Set(), private readonly madeUp: readonly PeerId[] = []
  ) {}

  /** A live node that does not lie: the invariants are about these only. */
  private honestLive (i: number): boolean {
    return this.faults.isLive(i) && !this.forgers.has(i)
  }

  get ok (): boolean {
    return this.violationCount === 0
  }

  /** Safety-phase checks, run periodically while faults are on and after. */
  checkSafety (now: number): void {
    this.checkLiveHeldDead(now)
    this.checkCrashesNoticed(now)
  }

  /** No live node is held dead by a live observer it can talk to for longer than the refutation bound. */
  private checkLiveHeldDead (now: number): void {
    const { faults, harness } = this
    for (let y = 0; y < harness.size; y++) {
      const table = harness.protocolOf(y)?.members
      if (table === undefined || !this.honestLive(y)) continue
      for (let d = 0; d < table.deadCount; d++) {
        const member = table.deadAt(d)
        if (member === undefined) continue
        const x = harness.indexOf(member.peer)
        if (x === undefined || !this.honestLive(x) || !faults.reachable(x, y) || !faults.reachable(y, x)) continue
        const since = Math.max(faults.connectedSince(x, y), member.statusSince)
        if (now - since > this.bounds.refutationMs) {
          this.report('live-node-held-dead', now, y, x, `held dead since ${member.statusSince} ms, connected since ${faults.connectedSince(x, y)} ms`)
        }
      }
    }
  }

  /** While the network is whole, every live node holds a crashed node dead within the detection bound. */
  private checkCrashesNoticed (now: number): void {
    const { faults, harness } = this
    if (faults.partitioned) return
    for (let x = 0; x < harness.size; x++) {
      if (faults.up[x] === 1) continue
      const peer = harness.peerOf(x)
      const crashedAt = Math.max(faults.downSince[x] as number, faults.partitionChangedAt)
      if (now - crashedAt <= this.bounds.detectionMs) continue
      for (let y = 0; y < harness.size; y++) {
        if (!this.honestLive(y) || now - (faults.disturbedAt[y] as number) <= this.bounds.detectionMs) continue
        const member = harness.protocolOf(y)?.members.get(peer)
        if (member !== undefined && member.status !== 'dead') {
          this.report('crash-unnoticed', now, y, x, `down since ${faults.downSince[x] as number} ms, still ${member.status}`)
        }
      }
    }
  }

  /** Whether every live node's alive set is exactly the set of live nodes (digest comparison, O(N)); forgers aside, exactly. */
  agreed (): boolean {
    const { faults, harness } = this
    if (this.forgers.size > 0) return this.disagreements().next().done === true
    let digest = 0
    let count = 0
    for (let x = 0; x < harness.size; x++) {
      if (!faults.isLive(x)) continue
      digest = (digest ^ peerHashOf(harness.peerOf(x))) >>> 0
      count++
    }
    for (let y = 0; y < harness.size; y++) {
      if (!faults.isLive(y)) continue
      const view = harness.protocolOf(y)?.view
      if (view === undefined || view.aliveDigest !== digest || view.aliveCount !== count) return false
    }
    return true
  }

  /** The convergence bound after faults ended (`faultsEnd`): views that still disagree are late. */
  checkConvergedInTime (now: number, faultsEnd: number): void {
    if (this.agreed()) return
    const first = this.disagreements().next()
    const [y, x, detail] = first.done === true ? [0, 0, 'views differ'] : first.value
    this.report('convergence-late', now, y, x, `views still differ ${Math.round(now - faultsEnd)} ms after faults ended (the convergence bound): ${detail}`)
  }

  /** End of the liveness phase: exact comparison of every live node's view against the truth, made-up peers included. */
  checkConverged (now: number): void {
    for (const [y, x, detail] of this.disagreements()) this.report('membership-diverged', now, y, x, `${detail} after the liveness phase`)
    for (const [y, peer, held] of this.madeUpHeld()) this.report('membership-diverged', now, y, peer, `made-up peer held ${held} after the liveness phase`)
  }

  /** Each honest live observer y holding a made-up peer live (alive or suspect), with what it holds. */
  private * madeUpHeld (): Generator<[number, PeerId, string]> {
    for (let y = 0; y < this.harness.size; y++) {
      const members = this.harness.protocolOf(y)?.members
      if (members === undefined || !this.honestLive(y)) continue
      for (const peer of this.madeUp) {
        const status = members.get(peer)?.status
        if (status !== undefined && status !== 'dead') yield [y, peer, status]
      }
    }
  }

  /** Each live observer y and node x where y's view of x is not the truth, with what y holds. */
  private * disagreements (): Generator<[number, number, string]> {
    const { faults, harness } = this
    for (let y = 0; y < harness.size; y++) {
      const protocol = harness.protocolOf(y)
      if (protocol === undefined || !this.honestLive(y)) continue
      for (let x = 0; x < harness.size; x++) {
        if (x === y || this.forgers.has(x)) continue
        const member = protocol.members.get(harness.peerOf(x))
        const held = member?.status ?? 'unknown'
        const live = faults.isLive(x)
        if (live !== (held === 'alive')) yield [y, x, `${live ? 'live' : 'down'} node held ${held}`]
      }
    }
  }

  /** Records a violation by observer `y` about node `x` (or a peer id the simulator never started), once per pair. */
  report (invariant: InvariantName, atMs: number, y: number, x: number | string, detail: string): void {
    const key = `${invariant}/${y}/${x}`
    if (this.reported.has(key)) return
    this.reported.add(key)
    this.violationCount++
    this.counts[invariant]++
    if (this.violations.length < MAX_KEPT) {
      this.violations.push({ invariant, atMs: Math.round(atMs), observer: this.harness.peerOf(y), subject: typeof x === 'string' ? x : this.harness.peerOf(x), detail })
    }
  }
}
