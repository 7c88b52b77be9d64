import type { Millis, PeerId, Random } from '../../protocols/core/index.js'
import { Membership, heartbeatIntervalMs, suspicionTimeoutMs } from '../../protocols/membership/index.js'
import type { MembershipConfig } from '../../protocols/membership/index.js'
import type { Harness, ProtocolFactory } from '../harness.js'
import type { Bounds, InvariantChecker } from '../invariants.js'
import type { FaultState } from '../network/index.js'
import { simPeerId } from '../peers.js'
import { MembershipForger } from './forger.js'
import type { ForgeryStats } from './forger.js'
import { ForgeryWatch } from './watch.js'
import type { ForgeryFigures } from './watch.js'

/** How many forgers a scenario runs and how many peers they make up. */
export interface ForgerySpec {
  readonly forgers: number
  readonly madeUpPeers: number
}

export type ForgeryResult = ForgeryStats & ForgeryFigures & { readonly forgers: number, readonly madeUpPeers: number, readonly madeUpBoundMs: Millis }

/** A peer id the simulator never starts (`n<i>` are the nodes). */
export function madeUpPeerId (k: number): PeerId {
  return `ghost${k}`
}

/**
 * How long an honest node holds a made-up peer live after the last record naming it (a forger's: honest nodes pass on
 * no rumour, TableAnswers, so none takes it anew from another once the forgers stop; but for StartVouches, which lets
 * a node pass on the members of the answers it asked for in the 10 s after its join: in forged-members the honest
 * nodes join in the first seconds of the run, 20 s or more before the forgers stop): a rumour alive is let go
 * by the first sweep after it has been silent `staleHeartbeats` heartbeat intervals and a period (sweeps come every
 * interval), one suspect when its suspicion times out (or sooner, dropped when a probe of it fails); the mesh size
 * counts the made-up peers too (they are held live), and the slack covers the last record's flight.
 */
export function madeUpDropBoundMs (config: MembershipConfig, meshSize: number): Millis {
  const interval = heartbeatIntervalMs(config, meshSize)
  const silentSweep = interval * (config.staleHeartbeats + 1) + config.probeIntervalMs
  return Math.max(silentSweep, suspicionTimeoutMs(config, meshSize)) + config.boundSlackMs
}

/** The made-up peer bound of a run of `size` nodes under `spec`: the mesh size counts the made-up peers and a spare. */
export function madeUpBoundFor (spec: ForgerySpec, config: MembershipConfig, size: number): Millis {
  return madeUpDropBoundMs(config, size + spec.madeUpPeers + 1)
}

/** The forgers of a run: which nodes lie, the protocols they and the honest nodes run, and the watch over them. */
export class Forgery {
  readonly forgers = new Set<number>()
  readonly madeUp: PeerId[] = []
  readonly madeUpBoundMs: Millis
  private readonly stats: ForgeryStats = { strikes: 0, records: 0, pings: 0, welcomes: 0 }
  private readonly honestPeers: PeerId[] = []
  private watch: ForgeryWatch | undefined

  constructor (readonly spec: ForgerySpec, size: number, private readonly faultsEnd: Millis, config: MembershipConfig, random: Random) {
    // node 1 is a seed: joins meet a forger's welcome
    this.forgers.add(1 % size)
    while (this.forgers.size < Math.min(spec.forgers, size - 2)) this.forgers.add(random.nextInt(size))
    for (let i = 0; i < size; i++) if (!this.forgers.has(i)) this.honestPeers.push(simPeerId(i))
    for (let k = 0; k < spec.madeUpPeers; k++) this.madeUp.push(madeUpPeerId(k))
    this.madeUpBoundMs = madeUpBoundFor(spec, config, size)
  }

  /** The protocol factory: forgers (every other one silent) for the forger nodes, `honest` (watched) for the rest. */
  factory (honest: ProtocolFactory | undefined): ProtocolFactory {
    const order = [...this.forgers].sort((a, b) => a - b)
    return options => {
      const index = Number(options.self.slice(1))
      const rank = order.indexOf(index)
      if (rank >= 0) {
        const plan = { honest: this.honestPeers, madeUp: this.madeUp, silent: rank % 2 === 1, refutableUntil: this.faultsEnd }
        return new MembershipForger(options, plan, this.stats)
      }
      const protocol = honest === undefined ? new Membership(options) : honest(options)
      this.watch?.watchPublications(index, protocol)
      return protocol
    }
  }

  /** Starts watching; call before the nodes start. */
  attach (harness: Harness, faults: FaultState, checker: InvariantChecker, bounds: Bounds, clock: () => Millis): void {
    this.watch = new ForgeryWatch(harness, faults, checker, this.forgers, this.madeUp, { madeUpMs: this.madeUpBoundMs, rumourMs: bounds.refutationMs, faultsEnd: this.faultsEnd, clock })
  }

  check (now: Millis): void {
    this.watch?.check(now)
  }

  result (): ForgeryResult {
    const figures = this.watch?.figures ?? { maxHonestIncarnation: 0, madeUpPublished: 0, longestMadeUpHeldMs: 0, madeUpHeldSamples: 0, refused: 0 }
    return { ...this.stats, ...figures, forgers: this.forgers.size, madeUpPeers: this.madeUp.length, madeUpBoundMs: this.madeUpBoundMs }
  }
}
