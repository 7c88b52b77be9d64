import type { PeerId } from '../../protocols/core/index.js'
import type { FetchResult, LookupConfig, LookupOutcome } from '../../protocols/cache/index.js'
import { sha256Hex } from './blobs.js'
import type { SimEntry, StoredBlob } from './blobs.js'
import { BodyWatch } from './body-watch.js'
import { ExcusedTime } from './excused-time.js'
import type { CacheObserver } from './harness.js'

export type CacheInvariant = 'no-corrupt-served' | 'answer-within-deadline' | 'answer-within-max-get' | 'body-keeps-moving' | 'live-provider-found'

export interface CacheViolation {
  readonly invariant: CacheInvariant
  readonly at: number
  readonly node: number
  readonly key: string
  readonly detail: string
}

/** What the checker may ask about the world (the run's fault state). */
export interface CacheWorld {
  readonly isUp: (node: number) => boolean
  readonly malicious: ReadonlySet<number>
  /** Honest nodes whose uploads drip: a GET need not find the entry when only they hold it. */
  readonly slow?: ReadonlySet<number>
  /**
   * The lookup's bounds: a GET ends within `maxGetMs`; fetches past `maxFetchesPerProvider` at one provider wait for a
   * slot; an accepted body brings `bodyProgressBytes` per `bodyStallMs` or is abandoned.
   */
  readonly lookup: Pick<LookupConfig, 'maxGetMs' | 'maxFetchesPerProvider' | 'bodyStallMs' | 'bodyProgressBytes'>
}

interface OpenGet {
  readonly issuedAt: number
  readonly deadline: number
  /** The key's excused time and the node's paused time when the GET was issued (`ExcusedTime`). */
  readonly excusedAt: number
  readonly pausedAt: number
}

/** Announcements need this long to reach every node (flush interval plus gossip hops, with slack). */
const ANNOUNCE_SETTLE_MS = 1000

/**
 * Checks the cache invariants while a run goes:
 * - no-corrupt-served: every hit, from peers or the node's own store, serves bytes whose SHA-256 is the entry's true one;
 * - answer-within-deadline: every GET answers by its deadline moved by the time its lookup does not count against it
 *   (`ExcusedTime`: accepted bodies, slot waits, waits for busy providers, the node paused), checked at answers and every tick;
 * - answer-within-max-get: every GET answers within the lookup's `maxGetMs` (Gradle's read timeout is 30 s), paused
 *   time aside;
 * - body-keeps-moving: no accepted body is held longer than `bodyStallMs` without bringing `bodyProgressBytes` more
 *   (a dripping provider holds a GET no longer than that), checked every tick;
 * - live-provider-found: from `livenessFrom`, a GET of an entry that a live honest node holds
 *   and announced while the network was whole (with `strictLiveness`: at any time) is a hit.
 */
export class CacheChecker implements CacheObserver {
  readonly violations: CacheViolation[] = []
  readonly counts = {
    gets: 0, answers: 0, hits: 0, misses: 0, localHits: 0, livenessGets: 0, livenessHits: 0, corruptResults: 0, probes: 0, probeMisses: 0,
    /** GETs of nodes that crashed before their answer (Gradle died with them). */
    lostToCrashes: 0,
    /** GETs answered after their 2 s deadline (in the time their lookup does not count), and the longest a GET took. */
    pastDeadline: 0,
    slowestGetMs: 0
  }
  /** GETs the scenario watches (node|key), e.g. of entries a partition hides. */
  readonly probes = new Set<string>()
  readonly missReasons: Record<string, number> = {}
  /** Each entry as the workload made it. */
  readonly truth = new Map<string, SimEntry>()
  /** key -> node -> when it started holding (and announcing) the entry. */
  readonly holders = new Map<string, Map<number, number>>()
  livenessFrom = Infinity
  /** Count holders that announced during a partition too (their announcement reached only their side). */
  strictLiveness = false
  readonly excused: ExcusedTime
  private readonly bodies: BodyWatch
  private readonly open = new Map<string, OpenGet[]>()
  private readonly partitions: Array<[number, number]> = []

  get maxGetMs (): number {
    return this.world.lookup.maxGetMs
  }

  constructor (private readonly world: CacheWorld) {
    this.excused = new ExcusedTime(world.lookup.maxFetchesPerProvider)
    this.bodies = new BodyWatch(world.lookup)
  }

  /** The scenario cut the network during [start, end). */
  notePartition (start: number, end: number): void {
    this.partitions.push([start, end])
  }

  onGet (node: number, key: string, deadline: number, now: number): void {
    this.counts.gets++
    if (now >= this.livenessFrom) this.counts.livenessGets++
    const id = `${node}|${key}`
    const list = this.open.get(id) ?? []
    list.push({ issuedAt: now, deadline, excusedAt: this.excused.clock(node, key, now), pausedAt: this.excused.pausedClock(node, now) })
    this.open.set(id, list)
  }

  onFetchStart (node: number, key: string, peer: PeerId, now: number): void {
    this.excused.fetchStarted(node, key, peer, now)
  }

  onBodyStart (node: number, key: string, peer: PeerId, now: number): void {
    this.excused.bodyStarted(node, key, now)
    this.bodies.started(node, key, peer, now, this.excused.pausedClock(node, now))
  }

  onBusy (node: number, key: string, _peer: PeerId, now: number): void {
    this.excused.busyHeard(node, key, now)
  }

  onBodyProgress (node: number, key: string, peer: PeerId, bytes: number, now: number): void {
    this.bodies.progress(node, key, peer, bytes, now, this.excused.pausedClock(node, now))
  }

  onFetchResult (node: number, key: string, peer: PeerId, result: FetchResult, accepted: boolean, now: number): void {
    if (result === 'corrupt') this.counts.corruptResults++
    this.excused.fetchEnded(node, key, peer, accepted, now)
    this.bodies.ended(node, key, peer)
  }

  onPause (node: number, paused: boolean, now: number): void {
    this.excused.paused(node, paused, now)
  }

  onHeld (node: number, key: string, now: number): void {
    const map = this.holders.get(key) ?? new Map<number, number>()
    if (!map.has(node)) map.set(node, now)
    this.holders.set(key, map)
  }

  /** A local hit is Gradle's common path: what the store serves must be the entry too. */
  onLocalHit (node: number, key: string, served: StoredBlob | undefined, now: number): void {
    this.counts.localHits++
    this.checkServed(node, key, served, now)
  }

  onAnswer (node: number, key: string, outcome: LookupOutcome, served: StoredBlob | undefined, now: number): void {
    const id = `${node}|${key}`
    const get = this.open.get(id)?.shift()
    this.excused.lookupAnswered(node, key, now)
    if (this.open.get(id)?.length === 0) this.open.delete(id)
    this.counts.answers++
    if (outcome.hit) this.counts.hits++
    else {
      this.counts.misses++
      this.missReasons[outcome.reason] = (this.missReasons[outcome.reason] ?? 0) + 1
    }
    if (outcome.hit) this.checkServed(node, key, served, now)
    if (this.probes.delete(id)) {
      this.counts.probes++
      if (!outcome.hit) this.counts.probeMisses++
    }
    if (get === undefined) return
    this.counts.slowestGetMs = Math.max(this.counts.slowestGetMs, now - get.issuedAt)
    if (now > get.deadline) this.counts.pastDeadline++
    this.checkTime(node, key, get, now, 'answered')
    if (get.issuedAt < this.livenessFrom) return
    if (outcome.hit) {
      this.counts.livenessHits++
      return
    }
    const provider = this.liveProvider(node, key, get.issuedAt)
    if (provider !== undefined) this.violate('live-provider-found', now, node, key, `GET at ${ms(get.issuedAt)} ms missed (${outcome.reason}) though n${provider} holds the entry since ${ms(this.holders.get(key)?.get(provider) ?? 0)} ms`)
  }

  /** Every tick: GETs still waiting past their deadline and bodies held past their stall bound are violations (reported once each). */
  check (now: number): void {
    for (const b of this.bodies.overdue(now, this.world.isUp, node => this.excused.pausedClock(node, now))) {
      this.violate('body-keeps-moving', now, b.node, b.key, `an accepted body held ${ms(b.heldMs)} ms without ${this.world.lookup.bodyProgressBytes} bytes more`)
    }
    for (const [id, list] of [...this.open]) {
      if (!this.world.isUp(Number(id.split('|')[0]))) {
        this.counts.lostToCrashes += list.length
        this.open.delete(id)
        continue
      }
      const [node, key] = id.split('|') as [string, string]
      const late = list.filter(g => !this.checkTime(Number(node), key, g, now, 'still unanswered'))
      if (late.length === 0) continue
      const rest = list.filter(g => !late.includes(g))
      if (rest.length === 0) this.open.delete(id)
      else this.open.set(id, rest)
    }
  }

  /** GETs still open (a crashed node's waiters die with it and are not counted). */
  openFor (isUp: (node: number) => boolean): number {
    let n = 0
    for (const [id, list] of this.open) if (isUp(Number(id.split('|')[0]))) n += list.length
    return n
  }

  /** Whether `get` is (or was answered) within its bounds at `now`; records a violation if not. */
  private checkTime (node: number, key: string, get: OpenGet, now: number, what: string): boolean {
    const paused = this.excused.pausedClock(node, now) - get.pausedAt
    const hardBy = get.issuedAt + this.world.lookup.maxGetMs + paused
    const excused = this.excused.clock(node, key, now) - get.excusedAt
    const issued = `GET issued at ${ms(get.issuedAt)} ms with deadline ${ms(get.deadline)} ms`
    if (now > hardBy) {
      this.violate('answer-within-max-get', now, node, key, `${issued} ${what} at ${ms(now)} ms, past ${this.world.lookup.maxGetMs} ms${paused > 0 ? ` (+${ms(paused)} ms paused)` : ''}`)
      return false
    }
    if (now > get.deadline + excused) {
      this.violate('answer-within-deadline', now, node, key, `${issued} ${what} at ${ms(now)} ms (${ms(excused)} ms of it not counted)`)
      return false
    }
    return true
  }

  private checkServed (node: number, key: string, served: StoredBlob | undefined, now: number): void {
    if (served === undefined) {
      this.violate('no-corrupt-served', now, node, key, 'a hit with nothing in the store to serve')
      return
    }
    if (this.holdsTruth(key, served.bytes)) return
    const actual = sha256Hex(served.bytes)
    this.violate('no-corrupt-served', now, node, key, `served bytes hash to ${actual.slice(0, 12)}…, the entry is ${this.truth.get(key)?.sha256.slice(0, 12) ?? 'unknown'}…`)
  }

  /** Whether `bytes` are the entry's: the workload's own array (stores share it, never changing it), else by SHA-256. */
  holdsTruth (key: string, bytes: Uint8Array): boolean {
    const entry = this.truth.get(key)
    return entry !== undefined && (bytes === entry.bytes || sha256Hex(bytes) === entry.sha256)
  }

  private liveProvider (node: number, key: string, at: number): number | undefined {
    for (const [holder, since] of this.holders.get(key) ?? []) {
      if (holder === node || !this.world.isUp(holder) || this.world.malicious.has(holder) || this.world.slow?.has(holder) === true) continue
      if (since > at - ANNOUNCE_SETTLE_MS) continue
      if (!this.strictLiveness && this.partitionedDuring(since, since + ANNOUNCE_SETTLE_MS)) continue
      return holder
    }
    return undefined
  }

  private partitionedDuring (from: number, to: number): boolean {
    return this.partitions.some(([start, end]) => from < end && to > start)
  }

  private violate (invariant: CacheInvariant, at: number, node: number, key: string, detail: string): void {
    if (this.violations.length < 100) this.violations.push({ invariant, at: ms(at), node, key: key.slice(0, 12), detail })
  }
}

function ms (t: number): number {
  return Math.round(t)
}
