import type { Driver, Effect, PeerId } from '../../protocols/core/index.js'
import { JobsProtocol, JOBS_PROTOCOL, JOBS_TOPIC } from '../../protocols/jobs/index.js'
import type { JobsCommand, JobsOptions } from '../../protocols/jobs/index.js'
import { Membership } from '../../protocols/membership/index.js'
import { EventKind, bytesHash } from '../engine/index.js'
import type { EventHandler, SimEvent } from '../engine/index.js'
import { simPeerId } from '../peers.js'
import { sha256 } from '../sha256.js'
import { resultAuthor, signedResult } from './result-signing.js'
import { TimerBook, readyUnderFaults } from '../node-events.js'
import { Transport } from '../transport.js'
import type { JobsHarnessParts } from './harness-parts.js'

export type { JobsFactory, JobsHarnessParts, JobsObserver } from './harness-parts.js'

interface JobsSimNode {
  readonly index: number
  readonly peer: PeerId
  membership: Membership | undefined
  jobs: JobsProtocol | undefined
  /** Bumped on every crash: unit runs of an earlier life never report. */
  life: number
  /** Runs not over yet, by `job/unit`: what stops one when its job ends (`cancelUnit`). */
  runs: Map<string, () => void>
  timers: Map<string, number>
  pending: SimEvent[]
  /** Pauses begun and not yet ended (they may overlap). */
  pausesHeld: number
  diskIncarnation: number | undefined
}

const SEEDS = 5
/** A cancelled unit run (a killed Gradle) exits this long after the cancel, with no result. */
const CANCEL_EXIT_MS = 1000
const MEMBERSHIP_PREFIX = 'm|'
const JOBS_PREFIX = 'j|'

/** Runs Membership and the jobs protocol on every virtual node; `runUnit` commands become timed actions. */
export class JobsHarness implements EventHandler {
  readonly nodes: JobsSimNode[] = []
  readonly transport: Transport
  readonly injected = { crashes: 0, restarts: 0, pauses: 0 }
  private readonly index = new Map<PeerId, number>()
  private readonly seeds: PeerId[] = []
  private readonly timers: TimerBook

  constructor (readonly size: number, private readonly parts: JobsHarnessParts) {
    this.transport = new Transport(size, parts.engine, parts.links, parts.faults, parts.gossip)
    this.timers = new TimerBook(parts.engine)
    for (let i = 0; i < size; i++) {
      const peer = simPeerId(i)
      this.nodes.push({ index: i, peer, membership: undefined, jobs: undefined, life: 0, runs: new Map(), timers: new Map(), pending: [], pausesHeld: 0, diskIncarnation: undefined })
      this.index.set(peer, i)
      if (i < SEEDS) this.seeds.push(peer)
    }
  }

  startAll (): void {
    for (let i = 0; i < this.size; i++) this.boot(i)
  }

  jobsOf (node: number): JobsProtocol | undefined { return this.nodes[node]?.jobs }
  membershipOf (node: number): Membership | undefined { return this.nodes[node]?.membership }
  indexOf (peer: PeerId): number | undefined { return this.index.get(peer) }

  /** Runs a local command on a live node's jobs protocol and carries out its effects. */
  input (node: number, action: (jobs: JobsProtocol, now: number) => void): void {
    const jobs = this.nodes[node]?.jobs
    if (jobs === undefined) return
    action(jobs, this.parts.engine.now)
    this.flush(node)
  }

  handle (event: SimEvent): void {
    if (event.kind === EventKind.gossipWave) {
      const { engine, gossip, links } = this.parts
      const miss = gossip.missProbability(links.profile.loss)
      for (const r of event.list as number[]) {
        if (miss > 0 && engine.random.nextFloat() < miss) continue
        this.handle(this.directEvent(r, event.from, event.key as string, event.bytes as Uint8Array))
      }
      return
    }
    const node = this.nodes[event.node] as JobsSimNode
    if (!readyUnderFaults(event, this.parts.faults, this.parts.engine, node.pending)) return
    if (event.kind === EventKind.timer) this.fireTimer(node, event)
    else this.deliver(node, event.from, event.key as string, event.bytes as Uint8Array)
  }

  crash (i: number): void {
    const node = this.nodes[i] as JobsSimNode
    const { faults, engine } = this.parts
    if (faults.up[i] === 0) return
    this.injected.crashes++
    node.diskIncarnation = node.membership?.currentIncarnation
    node.membership = undefined
    node.jobs = undefined
    node.life++
    node.runs = new Map()
    node.timers = new Map()
    node.pending = []
    node.pausesHeld = 0
    faults.up[i] = 0
    faults.paused[i] = 0
    faults.downSince[i] = engine.now
    faults.disturbedAt[i] = engine.now
  }

  restart (i: number): void {
    const faults = this.parts.faults
    if (faults.up[i] === 1) return
    this.injected.restarts++
    faults.up[i] = 1
    faults.disturbedAt[i] = this.parts.engine.now
    this.boot(i)
  }

  /** Stops a live node (what reaches it waits); pauses of one node may overlap: it runs again when the last ends. */
  pause (i: number): void {
    const node = this.nodes[i] as JobsSimNode
    const { faults, engine } = this.parts
    if (faults.up[i] === 0) return
    node.pausesHeld++
    if (node.pausesHeld > 1) return
    this.injected.pauses++
    faults.paused[i] = 1
    faults.disturbedAt[i] = engine.now
  }

  /** Ends one pause of the node; when none is left it handles what arrived or fell due meanwhile, in order. */
  resume (i: number): void {
    const node = this.nodes[i] as JobsSimNode
    if (node.pausesHeld === 0) return
    node.pausesHeld--
    if (node.pausesHeld === 0) this.wake(node)
  }

  /** Faults end: every pause of every node ends. */
  resumeAll (): void {
    for (const node of this.nodes) {
      if (node.pausesHeld === 0) continue
      node.pausesHeld = 0
      this.wake(node)
    }
  }

  private wake (node: JobsSimNode): void {
    const { faults, engine } = this.parts
    faults.paused[node.index] = 0
    faults.disturbedAt[node.index] = engine.now
    const held = node.pending
    node.pending = []
    for (const event of held) engine.requeue(event, engine.now)
  }

  private boot (i: number): void {
    const node = this.nodes[i] as JobsSimNode
    const { engine, membershipConfig, jobsConfig, createJobs } = this.parts
    const membership = new Membership({
      self: node.peer,
      seeds: this.seeds,
      random: engine.random.fork(),
      ...(membershipConfig === undefined ? {} : { config: membershipConfig }),
      ...(node.diskIncarnation === undefined ? {} : { restoredIncarnation: node.diskIncarnation })
    })
    const hint = this.parts.speedHints?.[i]
    const options: JobsOptions = {
      self: node.peer, slots: this.parts.slots[i] ?? 0, view: membership.view, sha256, resultAuthor,
      ...(jobsConfig === undefined ? {} : { config: jobsConfig }), ...(hint === undefined ? {} : { speedHint: hint })
    }
    node.membership = membership
    node.jobs = createJobs === undefined ? new JobsProtocol(options) : createJobs(options)
    membership.setLoad(node.jobs.load())
    membership.start(engine.now)
    node.jobs.start(engine.now)
    this.flush(i)
  }

  private flush (i: number): void {
    const node = this.nodes[i] as JobsSimNode
    if (node.membership !== undefined) this.apply(i, MEMBERSHIP_PREFIX, node.membership.drainEffects())
    if (node.jobs === undefined) return
    this.apply(i, JOBS_PREFIX, node.jobs.drainEffects())
    const now = this.parts.engine.now
    for (const command of node.jobs.drainCommands()) {
      this.parts.observer.onCommand(i, command, now)
      if (command.kind === 'runUnit') this.runUnit(i, command)
      if (command.kind === 'cancelUnit') node.runs.get(`${command.jobId}/${command.unitId}`)?.()
    }
    node.membership?.setLoad(node.jobs.load())
  }

  private apply (i: number, prefix: string, effects: readonly Effect[]): void {
    const driver = this.driverFor(i, prefix)
    for (const e of effects) {
      switch (e.kind) {
        case 'send': driver.send(e.to, e.protocolId, e.bytes); break
        case 'publish': driver.publish(e.topic, e.bytes); break
        case 'setTimer': driver.setTimer(e.key, e.at); break
        case 'cancelTimer': driver.cancelTimer(e.key); break
      }
    }
  }

  /**
   * A unit runs for cost × the node's ms per cost (× a straggler factor), unless the node crashes first; cancelled,
   * it exits `CANCEL_EXIT_MS` later (or at its end, if sooner) without a result.
   */
  private runUnit (i: number, command: Extract<JobsCommand, { kind: 'runUnit' }>): void {
    const { engine, msPerCost, straggle } = this.parts
    const node = this.nodes[i] as JobsSimNode
    const life = node.life
    const key = `${command.jobId}/${command.unitId}`
    const cost = Number(command.payload)
    const factor = straggle === undefined ? 1 : straggle(i, engine.random)
    let cancelled = false
    const finish = (): void => {
      if (node.life !== life || node.runs.get(key) !== cancel || this.parts.faults.up[i] === 0) return
      if (this.parts.faults.paused[i] === 1) {
        engine.at(engine.now + 100, finish)
        return
      }
      node.runs.delete(key)
      const result = cancelled ? '' : signedResult(node.peer, command.jobId, command.unitId, 'ok')
      if (!cancelled) this.parts.observer.onUnitFinished?.(i, command.jobId, command.unitId, result, engine.now)
      this.input(i, (jobs, now) => { jobs.unitFinished(command.jobId, command.unitId, cancelled ? 'failed' : 'ok', result, now) })
    }
    const cancel = (): void => {
      if (cancelled) return
      cancelled = true
      engine.at(engine.now + CANCEL_EXIT_MS, finish)
    }
    node.runs.set(key, cancel)
    engine.at(engine.now + cost * (msPerCost[i] ?? 1) * factor, finish)
  }

  private deliver (node: JobsSimNode, from: number, via: string, bytes: Uint8Array): void {
    // a partition that began while the message was on its way cuts it off too, as a real link would
    if (!this.parts.faults.reachable(from, node.index)) return
    const fromPeer = (this.nodes[from] as JobsSimNode).peer
    const now = this.parts.engine.now
    this.parts.engine.trace.event(now, EventKind.deliver, node.index, from, bytesHash(bytes))
    // the verdict would stop gossipsub forwarding an ignored or rejected message; not modelled (sim/README.md)
    if (via === JOBS_TOPIC || via === JOBS_PROTOCOL) node.jobs?.onMessage(fromPeer, via, bytes, now)
    else node.membership?.onMessage(fromPeer, via, bytes, now)
    this.flush(node.index)
  }

  private fireTimer (node: JobsSimNode, event: SimEvent): void {
    const key = this.timers.take(node.timers, event)
    if (key === undefined) return
    const now = this.parts.engine.now
    if (key.startsWith(JOBS_PREFIX)) node.jobs?.onTimer(key.slice(JOBS_PREFIX.length), now)
    else node.membership?.onTimer(key.slice(MEMBERSHIP_PREFIX.length), now)
    this.flush(node.index)
  }

  private directEvent (to: number, from: number, via: string, bytes: Uint8Array): SimEvent {
    const event = this.parts.engine.event(this.parts.engine.now, EventKind.deliver)
    event.node = to
    event.from = from
    event.key = via
    event.bytes = bytes
    return event
  }

  private driverFor (i: number, prefix: string): Driver {
    const engine = this.parts.engine
    return {
      now: () => engine.now,
      send: (to, protocolId, bytes) => {
        if (protocolId === JOBS_PROTOCOL) this.parts.observer.onSend(i, to, bytes, engine.now)
        const target = this.index.get(to)
        if (target !== undefined) this.transport.send(i, target, protocolId, bytes)
      },
      publish: (topic, bytes) => { this.transport.publish(i, topic, bytes) },
      setTimer: (key, at) => { this.timers.set((this.nodes[i] as JobsSimNode).timers, i, prefix + key, at) },
      cancelTimer: key => { this.nodes[i]?.timers.delete(prefix + key) }
    }
  }

}
