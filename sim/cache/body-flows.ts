import type { Engine } from '../engine/index.js'
import type { NodeBandwidth } from './bandwidth.js'
// the node's own pace: a body's progress is reported at most this often, and once all of it is in
import { PROGRESS_REPORT_MS } from '../../node/mesh/body-progress.js'

/** What the flows may ask about the world: a body moves only between two live nodes that reach each other. */
export interface FlowWorld {
  /** Up and not paused: a paused laptop neither sends nor reads (its peers' streams go silent). */
  readonly live: (node: number) => boolean
  readonly reachable: (from: number, to: number) => boolean
}

export interface FlowHooks {
  /** Bytes in so far, while the body moves (every `PROGRESS_REPORT_MS` that brought some); not called at the end. */
  readonly progress?: (bytes: number) => void
  /** All `size` bytes are in. */
  readonly done: () => void
}

/** One body on its way from `server` to `client`. */
export interface Flow {
  readonly server: number
  readonly client: number
  readonly size: number
  readonly hooks: FlowHooks
  /** Bytes moved by `since`; `rate` bytes per second from then. */
  bytes: number
  since: number
  rate: number
  reported: number
  token: number
  alive: boolean
}

/**
 * Blob bodies as flows of bytes over time: each moves at the slower end's card rate divided among the bodies that card
 * carries (a provider serving 16 uploads gives each a sixteenth of its uplink), or at its provider's drip rate. A body
 * stops while either end is paused or the two cannot reach each other (TCP goes silent; nothing is reset), and moves on
 * when that ends. Progress is reported as the node's driver does; completion is one event at the computed time.
 */
export class BodyFlows {
  private readonly byNode = new Map<number, Set<Flow>>()
  private readonly uploading = new Map<number, number>()
  private readonly downloading = new Map<number, number>()

  constructor (private readonly engine: Engine, private readonly bandwidth: NodeBandwidth, private readonly world: FlowWorld) {}

  /** Bodies `node` is uploading now. */
  uploads (node: number): number {
    return this.uploading.get(node) ?? 0
  }

  start (server: number, client: number, size: number, hooks: FlowHooks): Flow {
    const flow: Flow = { server, client, size, hooks, bytes: 0, since: this.engine.now, rate: 0, reported: 0, token: 0, alive: true }
    this.link(flow)
    this.rerateAround(flow)
    this.tick(flow)
    return flow
  }

  /** The body was called off (the reader aborted, or its stream was reset). */
  stop (flow: Flow): void {
    if (!flow.alive) return
    this.unlink(flow)
    this.rerateAround(flow)
  }

  /** `node` crashed: its bodies end where they are; returns them so the other ends can learn. */
  cut (node: number): Flow[] {
    const flows = [...this.byNode.get(node) ?? []]
    for (const flow of flows) this.stop(flow)
    return flows
  }

  /** `node` paused or resumed: its bodies stop or move again. */
  refresh (node: number): void {
    for (const flow of [...this.byNode.get(node) ?? []]) this.rerate(flow)
  }

  /** Bytes moved so far (fractions included). */
  moved (flow: Flow): number {
    return flow.bytes + (flow.rate * (this.engine.now - flow.since)) / 1000
  }

  private link (flow: Flow): void {
    for (const node of [flow.server, flow.client]) {
      const set = this.byNode.get(node) ?? new Set<Flow>()
      set.add(flow)
      this.byNode.set(node, set)
    }
    this.uploading.set(flow.server, this.uploads(flow.server) + 1)
    this.downloading.set(flow.client, (this.downloading.get(flow.client) ?? 0) + 1)
  }

  private unlink (flow: Flow): void {
    flow.bytes = this.moved(flow)
    flow.since = this.engine.now
    flow.alive = false
    flow.token++
    for (const node of [flow.server, flow.client]) {
      const set = this.byNode.get(node)
      set?.delete(flow)
      if (set?.size === 0) this.byNode.delete(node)
    }
    this.uploading.set(flow.server, this.uploads(flow.server) - 1)
    this.downloading.set(flow.client, (this.downloading.get(flow.client) ?? 1) - 1)
  }

  /** Every body sharing a card with `flow` changes pace. */
  private rerateAround (flow: Flow): void {
    const around = new Set<Flow>([...this.byNode.get(flow.server) ?? [], ...this.byNode.get(flow.client) ?? []])
    for (const other of around) this.rerate(other)
  }

  private rateOf (flow: Flow): number {
    const { server, client } = flow
    const { world, bandwidth } = this
    if (!world.live(server) || !world.live(client) || !world.reachable(server, client) || !world.reachable(client, server)) return 0
    const drip = bandwidth.dripOf(server)
    if (drip !== undefined) return drip
    const up = bandwidth.rateOf(server) / Math.max(1, this.uploads(server))
    const down = bandwidth.rateOf(client) / Math.max(1, this.downloading.get(client) ?? 1)
    return Math.min(up, down)
  }

  /** Takes the bytes moved so far at the old pace, then schedules the end at the new one. */
  private rerate (flow: Flow): void {
    if (!flow.alive) return
    const rate = this.rateOf(flow)
    if (rate === flow.rate && flow.token > 0) return
    const now = this.engine.now
    flow.bytes = Math.min(flow.size, this.moved(flow))
    flow.since = now
    flow.rate = rate
    const token = ++flow.token
    if (rate <= 0) return
    this.engine.at(now + ((flow.size - flow.bytes) * 1000) / rate, () => {
      if (flow.token !== token || !flow.alive) return
      this.unlink(flow)
      flow.bytes = flow.size
      this.rerateAround(flow)
      flow.hooks.done()
    })
  }

  /** Reports the bytes in every `PROGRESS_REPORT_MS` that brought some; a partition is noticed here too. */
  private tick (flow: Flow): void {
    this.engine.at(this.engine.now + PROGRESS_REPORT_MS, () => {
      if (!flow.alive) return
      this.rerate(flow)
      const bytes = Math.floor(this.moved(flow))
      if (bytes > flow.reported && bytes < flow.size && this.world.live(flow.client)) {
        flow.reported = bytes
        flow.hooks.progress?.(bytes)
      }
      this.tick(flow)
    })
  }
}
