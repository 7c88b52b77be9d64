import type { PeerId } from '../../protocols/core/index.js'

/** An accepted body as the lookup was told of it: its last progress mark (`minBytes` more than the mark before). */
interface WatchedBody {
  readonly node: number
  readonly key: string
  markBytes: number
  markAt: number
  /** The node's paused time at the mark (a paused node's timers wait too). */
  pausedAt: number
  reported: boolean
}

/** What the watch needs of the lookup's bounds (protocols/cache/lookup-config.ts). */
export interface BodyBounds {
  readonly bodyStallMs: number
  readonly bodyProgressBytes: number
}

/**
 * The lookup's promise about accepted bodies: one that brings fewer than `bodyProgressBytes` in `bodyStallMs` (from its
 * header, then from its last such step) is abandoned then, so a dripping provider holds a GET no longer. Watched from
 * the progress the driver reports, as the lookup sees it.
 */
export class BodyWatch {
  private readonly bodies = new Map<string, WatchedBody>()

  constructor (private readonly bounds: BodyBounds) {}

  started (node: number, key: string, peer: PeerId, now: number, pausedAt: number): void {
    this.bodies.set(`${node}|${key}|${peer}`, { node, key, markBytes: 0, markAt: now, pausedAt, reported: false })
  }

  progress (node: number, key: string, peer: PeerId, bytes: number, now: number, pausedAt: number): void {
    const body = this.bodies.get(`${node}|${key}|${peer}`)
    if (body === undefined || bytes - body.markBytes < this.bounds.bodyProgressBytes) return
    body.markBytes = bytes
    body.markAt = now
    body.pausedAt = pausedAt
  }

  ended (node: number, key: string, peer: PeerId): void {
    this.bodies.delete(`${node}|${key}|${peer}`)
  }

  /** Bodies held past the stall bound now (each reported once); `pausedNow` gives a node's paused time so far. */
  overdue (now: number, isUp: (node: number) => boolean, pausedNow: (node: number) => number): Array<{ node: number, key: string, heldMs: number }> {
    const out: Array<{ node: number, key: string, heldMs: number }> = []
    for (const [id, body] of [...this.bodies]) {
      if (!isUp(body.node)) {
        this.bodies.delete(id) // a crashed node's fetches die with it, unreported
        continue
      }
      const held = now - body.markAt - (pausedNow(body.node) - body.pausedAt)
      if (body.reported || held <= this.bounds.bodyStallMs) continue
      body.reported = true
      out.push({ node: body.node, key: body.key, heldMs: held })
    }
    return out
  }
}
