import type { PeerId, Verdict } from '../../../protocols/core/index.js'
import { JobsProtocol, JOBS_PROTOCOL, JOBS_TOPIC } from '../../../protocols/jobs/index.js'
import type { JobsCommand, JobsConfig, JobsMessage, ResultClaim, UnitOutcome } from '../../../protocols/jobs/index.js'
import { jobsCodec } from '../../../protocols/jobs/index.js'
import type { TrustPolicy } from '../../../protocols/cache/trust.js'
import type { MemberInfo, MembershipView } from '../../../protocols/membership/index.js'
import { sha256 } from '../../../sim/sha256.js'

interface Pending { at: number, seq: number, run: () => void }

export interface MeshNodeOptions {
  readonly slots: number
  readonly trust?: TrustPolicy
  readonly view?: MembershipView
  /** Milliseconds per unit of cost when this node runs a unit (undefined: units never finish by themselves). */
  readonly msPerCost?: number
  /** This node's unit setup always fails: it gives every unit back unrun (`not-run`). */
  readonly notRun?: boolean
  readonly speedHint?: number
  readonly resultAuthor?: (claim: ResultClaim) => PeerId | undefined
}

/**
 * A tiny in-memory network for driving jobs protocols directly: 1 ms per message, gossip to every
 * other node, timers, and `runUnit` commands finished after cost × msPerCost (payload `kind:cost`: `fail` fails,
 * `flaky` is given back unrun the first time it runs on a node, anything else succeeds), reported `<unit>@<node>`
 * (`<unit>@<node> at <time>` for a unit given back unrun). Crashed nodes and
 * `drop` rules lose messages. Deterministic: events run in (time, sequence) order.
 */
export class JobsMesh {
  now = 0
  readonly nodes = new Map<PeerId, JobsProtocol>()
  readonly commands: Array<{ node: PeerId, command: JobsCommand }> = []
  readonly sent: Array<{ from: PeerId, to: PeerId, message: JobsMessage }> = []
  /** What each receiver answered (`onMessage`'s verdict), in delivery order. */
  readonly verdicts: Array<{ from: PeerId, to: PeerId, type: JobsMessage['type'], verdict: Verdict }> = []
  readonly down = new Set<PeerId>()
  drop: (from: PeerId, to: PeerId, message: JobsMessage) => boolean = () => false
  /** How long a cancelled run takes to exit (then reported failed); undefined: it goes on to its end unaware. */
  cancelExitMs: number | undefined
  /** Most runs alive at once on each node (a cancelled run counts until it exits). */
  readonly peakRuns = new Map<PeerId, number>()
  private readonly alive = new Map<PeerId, number>()
  /** Runs not over yet, by `node job unit`: each ends once (its own end, or its exit after a cancel). */
  private readonly runs = new Map<string, (outcome: UnitOutcome) => void>()
  private readonly queue: Pending[] = []
  private readonly timers = new Map<string, number>()
  private readonly speed = new Map<PeerId, number | undefined>()
  private readonly unrunnable = new Set<PeerId>()
  /** `node job unit` of the flaky units that ran once already. */
  private readonly flakyRan = new Set<string>()
  private seq = 0

  add (peer: PeerId, options: MeshNodeOptions, config: Partial<JobsConfig> = {}): JobsProtocol {
    const protocol = new JobsProtocol({
      self: peer, slots: options.slots, config, sha256, ...(options.trust === undefined ? {} : { trust: options.trust }), ...(options.view === undefined ? {} : { view: options.view }),
      ...(options.speedHint === undefined ? {} : { speedHint: options.speedHint }), ...(options.resultAuthor === undefined ? {} : { resultAuthor: options.resultAuthor })
    })
    this.nodes.set(peer, protocol)
    this.speed.set(peer, options.msPerCost)
    if (options.notRun === true) this.unrunnable.add(peer)
    protocol.start(this.now)
    this.flush(peer)
    return protocol
  }

  node (peer: PeerId): JobsProtocol {
    return this.nodes.get(peer) as JobsProtocol
  }

  commandsOf (kind: JobsCommand['kind']): Array<{ node: PeerId, command: JobsCommand }> {
    return this.commands.filter(c => c.command.kind === kind)
  }

  /** Runs `action` on `peer` now and carries out its effects. */
  input (peer: PeerId, action: (p: JobsProtocol) => void): void {
    action(this.node(peer))
    this.flush(peer)
  }

  /** Delivers `message` to `to` as if `from` (a mesh node or not) sent it now: on the stream, or on the topic (`gossip`). */
  forge (from: PeerId, to: PeerId, message: JobsMessage, gossip = false): void {
    this.deliver(from, to, gossip ? JOBS_TOPIC : JOBS_PROTOCOL, jobsCodec.encode(message))
  }

  runUntil (end: number): void {
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.queue[0]
      if (next === undefined || next.at > end) break
      this.queue.shift()
      this.now = next.at
      next.run()
    }
    this.now = end
  }

  private at (time: number, run: () => void): void {
    this.queue.push({ at: time, seq: this.seq++, run })
  }

  flush (peer: PeerId): void {
    const protocol = this.nodes.get(peer)
    if (protocol === undefined) return
    for (const effect of protocol.drainEffects()) {
      if (effect.kind === 'send') this.deliver(peer, effect.to, effect.protocolId, effect.bytes)
      else if (effect.kind === 'publish') for (const to of this.nodes.keys()) if (to !== peer) this.deliver(peer, to, effect.topic, effect.bytes)
      if (effect.kind === 'setTimer') this.setTimer(peer, effect.key, effect.at)
    }
    for (const command of protocol.drainCommands()) {
      this.commands.push({ node: peer, command })
      if (command.kind === 'runUnit') this.run(peer, command)
      if (command.kind === 'cancelUnit') this.cancel(peer, command.jobId, command.unitId)
    }
  }

  private run (peer: PeerId, command: Extract<JobsCommand, { kind: 'runUnit' }>): void {
    const key = `${peer} ${command.jobId} ${command.unitId}`
    const alive = (this.alive.get(peer) ?? 0) + 1
    this.alive.set(peer, alive)
    this.peakRuns.set(peer, Math.max(alive, this.peakRuns.get(peer) ?? 0))
    const end = (outcome: UnitOutcome): void => {
      if (this.runs.get(key) !== end) return
      this.runs.delete(key)
      this.alive.set(peer, (this.alive.get(peer) ?? 1) - 1)
      if (this.down.has(peer)) return
      // a report of a unit not run says when, as a real one does (how long its setup took): each differs from the last
      const summary = `${command.unitId}@${peer}${outcome === 'not-run' ? ` at ${this.now}` : ''}`
      this.input(peer, p => { p.unitFinished(command.jobId, command.unitId, outcome, summary, this.now) })
    }
    this.runs.set(key, end)
    const msPerCost = this.speed.get(peer)
    if (msPerCost === undefined) return
    const cost = Number(command.payload.split(':')[1] ?? 1)
    this.at(this.now + cost * msPerCost, () => { end(this.outcome(peer, command)) })
  }

  private cancel (peer: PeerId, jobId: string, unitId: string): void {
    const end = this.runs.get(`${peer} ${jobId} ${unitId}`)
    if (end !== undefined && this.cancelExitMs !== undefined) this.at(this.now + this.cancelExitMs, () => { end('failed') })
  }

  private outcome (peer: PeerId, { jobId, unitId, payload }: Extract<JobsCommand, { kind: 'runUnit' }>): UnitOutcome {
    const firstFlakyRun = payload.startsWith('flaky') && !this.flakyRan.has(`${peer} ${jobId} ${unitId}`)
    this.flakyRan.add(`${peer} ${jobId} ${unitId}`)
    return this.unrunnable.has(peer) || firstFlakyRun ? 'not-run' : payload.startsWith('fail') ? 'failed' : 'ok'
  }

  private deliver (from: PeerId, to: PeerId, via: string, bytes: Uint8Array): void {
    const message = jobsCodec.decode(bytes)
    this.sent.push({ from, to, message })
    if (this.down.has(from) || this.drop(from, to, message)) return
    this.at(this.now + 1, () => {
      const node = this.nodes.get(to)
      if (this.down.has(to) || node === undefined) return
      this.verdicts.push({ from, to, type: jobsCodec.decode(bytes).type, verdict: node.onMessage(from, via, bytes, this.now) })
      this.flush(to)
    })
  }

  private setTimer (peer: PeerId, key: string, at: number): void {
    const token = this.seq
    this.timers.set(`${peer}/${key}`, token)
    this.at(at, () => {
      if (this.timers.get(`${peer}/${key}`) !== token || this.down.has(peer)) return
      this.nodes.get(peer)?.onTimer(key, this.now)
      this.flush(peer)
    })
  }
}

/** A chain-and-fan DAG: `count` units, unit i depends on unit i-1 every `chainEvery` units; payload "ok:cost". */
export function simpleJob (jobId: string, count: number, cost = 10, fail: ReadonlySet<string> = new Set()): { jobId: string, units: Array<{ id: string, dependsOn: string[], cost: number, payload: string }> } {
  const units = []
  for (let i = 0; i < count; i++) {
    const id = `u${i}`
    units.push({ id, dependsOn: i > 0 && i % 4 === 0 ? [`u${i - 1}`] : [], cost, payload: `${fail.has(id) ? 'fail' : 'ok'}:${cost}` })
  }
  return { jobId, units }
}

/** Membership as `self` would see `mesh`: every node there is alive unless down (dead), with the load its jobs protocol reports now. */
export function liveView (mesh: JobsMesh, self: PeerId): MembershipView {
  const info = (peer: PeerId): MemberInfo => ({ peer, status: mesh.down.has(peer) ? 'dead' : 'alive', incarnation: 0, load: mesh.node(peer).load() }) as unknown as MemberInfo
  const others = (): MemberInfo[] => [...mesh.nodes.keys()].filter(p => p !== self).map(info)
  return {
    self,
    get liveCount () { return others().length },
    get aliveCount () { return others().length + 1 },
    aliveDigest: 0,
    get: peer => mesh.nodes.has(peer) && peer !== self ? info(peer) : undefined,
    isLive: peer => mesh.nodes.has(peer) && !mesh.down.has(peer),
    liveMembers: () => others().filter(m => m.status !== 'dead'),
    members: others,
    busiest: limit => others().filter(m => m.status !== 'dead').sort((a, b) => b.load.queued - a.load.queued).slice(0, limit)
  }
}

/** Membership as `self` would see it: `loads` alive, busiest first as listed, each running one unit and queuing `queued`. */
export function fakeView (self: string, loads: Array<{ peer: string, queued: number }>): MembershipView {
  const members = loads.map(l => ({ peer: l.peer, status: 'alive', incarnation: 0, load: { capacity: 1, running: 1, queued: l.queued, cacheBytes: 0 } }) as unknown as MemberInfo)
  return {
    self,
    liveCount: members.length,
    aliveCount: members.length + 1,
    aliveDigest: 0,
    get: peer => members.find(m => m.peer === peer),
    isLive: peer => members.some(m => m.peer === peer),
    liveMembers: () => members,
    members: () => members,
    busiest: limit => members.slice(0, limit)
  }
}
