import { raceSignal } from 'race-signal'
import type { Manifest } from './manifest.js'
import type { SnapshotStore } from './store-view.js'
import { fetchManifest, type FetchBlob } from './transfer.js'

/** A manifest some units use, or are waiting for. */
interface Shared {
  manifest: Promise<Manifest>
  /** Set once decoded. */
  decoded?: Manifest
  users: number
  /** Whom it is fetched from: the `from` of the unit that started it, else its FetchBlob. */
  from: unknown
  /** Ends the fetch when the last unit waiting for it goes. */
  stop: AbortController
  /** Drops the manifest once it was unused for a while. */
  expiry?: ReturnType<typeof setTimeout>
}

export interface SharedManifestsOptions {
  /** Decoded manifests kept after their last unit let go (the next unit of a job often follows on the same node). Default 1. */
  keepIdle?: number
  /** How long such a manifest is kept. Default 60 s. */
  idleMs?: number
}

/**
 * The decoded manifests of the snapshots this node's units use, by snapshot id: units of one snapshot that start
 * together share one fetch and one decode (a manifest of 200k files takes seconds of the event loop and hundreds of
 * MB to read and check), and get the same frozen manifest. A manifest stays while a unit holds it; the `keepIdle`
 * last let go stay `idleMs` longer, then are dropped. A fetch or decode that fails is not kept: the next unit tries
 * again. A unit that waited for another's fetch from another submitter (two jobs of one commit) is not failed by it:
 * it fetches from its own (the id is the content's hash: whoever serves it, the manifest is the same).
 */
export class SharedManifests {
  private readonly shared = new Map<string, Shared>()
  /** Ids of decoded manifests no unit holds, the oldest first. */
  private readonly idle: string[] = []
  private readonly keepIdle: number
  private readonly idleMs: number

  constructor (options: SharedManifestsOptions = {}) {
    this.keepIdle = options.keepIdle ?? 1
    this.idleMs = options.idleMs ?? 60_000
  }

  /**
   * The manifest of snapshot `id` (see fetchManifest), fetched and decoded unless another unit did or does, and the
   * function that lets go of it, once however often called. `signal` ends this unit's wait, not another's. `from`
   * names whom `fetchBlob` asks (the job's submitter; default: `fetchBlob` itself): if the fetch this unit joined was
   * started from another and fails, this unit fetches from its own instead of failing with it.
   */
  async acquire (id: string, store: SnapshotStore, fetchBlob: FetchBlob, options: { signal?: AbortSignal, from?: string } = {}): Promise<{ manifest: Manifest, release: () => void }> {
    options.signal?.throwIfAborted()
    const from = options.from ?? fetchBlob
    const joined = this.shared.get(id) ?? this.start(id, store, fetchBlob, from)
    try {
      return await this.hold(id, joined, options.signal)
    } catch (err) {
      if (joined.from === from || options.signal?.aborted === true) throw err
      // another submitter's failure (gone, its job ended) says nothing of this unit's own: ask it
      const now = this.shared.get(id)
      const own = now !== undefined && (now.decoded !== undefined || now.from === from) ? now : this.start(id, store, fetchBlob, from)
      return await this.hold(id, own, options.signal)
    }
  }

  /** Manifests held, waited for, or kept idle now. */
  get size (): number { return this.shared.size }

  /**
   * Lets go of every manifest (the node stops): those kept idle (hundreds of MB for a big snapshot) are dropped now,
   * not `idleMs` later, their timers cleared. A unit still holding or waiting for one keeps it until it lets go; later
   * units fetch again.
   */
  clear (): void {
    for (const [id, entry] of this.shared) this.drop(id, entry)
  }

  /** Waits for `entry`'s manifest as one more of its users. */
  private async hold (id: string, entry: Shared, signal: AbortSignal | undefined): Promise<{ manifest: Manifest, release: () => void }> {
    entry.users++
    this.unidle(id, entry)
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      this.release(id, entry)
    }
    try {
      return { manifest: entry.decoded ?? await raceSignal(entry.manifest, signal), release }
    } catch (err) {
      release()
      throw err
    }
  }

  /** A fetch of `id` from `fetchBlob`, the one units of `id` join from now on (a pending one of another submitter's keeps its own waiters). */
  private start (id: string, store: SnapshotStore, fetchBlob: FetchBlob, from: unknown): Shared {
    const stop = new AbortController()
    const entry: Shared = { manifest: fetchManifest(id, store, fetchBlob, { signal: stop.signal }), users: 0, from, stop }
    entry.manifest.then(manifest => { entry.decoded = manifest }, () => { this.drop(id, entry) })
    this.shared.set(id, entry)
    return entry
  }

  private release (id: string, entry: Shared): void {
    if (--entry.users > 0) return
    if (entry.decoded === undefined) {
      entry.stop.abort(new Error(`no unit waits for the manifest of snapshot ${id} any more`))
      this.drop(id, entry)
      return
    }
    if (this.shared.get(id) !== entry) return
    this.idle.push(id)
    entry.expiry = setTimeout(() => { this.drop(id, entry) }, this.idleMs)
    entry.expiry.unref()
    while (this.idle.length > this.keepIdle) {
      const oldest = this.idle.shift()!
      const kept = this.shared.get(oldest)
      if (kept !== undefined) this.drop(oldest, kept)
    }
  }

  private unidle (id: string, entry: Shared): void {
    if (entry.expiry === undefined) return
    clearTimeout(entry.expiry)
    delete entry.expiry
    const at = this.idle.indexOf(id)
    if (at >= 0) this.idle.splice(at, 1)
  }

  private drop (id: string, entry: Shared): void {
    if (this.shared.get(id) !== entry) return
    this.unidle(id, entry)
    this.shared.delete(id)
  }
}
