import type { PeerId } from '../../protocols/core/index.js'
import type { FetchResult, LookupOutcome } from '../../protocols/cache/index.js'
import { sha256Hex } from './blobs.js'
import type { StoredBlob } from './blobs.js'
import type { CacheObserver } from './harness.js'

export type CacheInvariant = 'no-corrupt-served' | 'answer-within-deadline' | 'live-provider-found'

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
}

interface OpenGet { readonly issuedAt: number, readonly deadline: number }

/** Announcements need this long to reach every node (flush interval plus gossip hops, with slack). */
const ANNOUNCE_SETTLE_MS = 1000

/**
 * Checks the cache invariants while a run goes:
 * - no-corrupt-served: every hit, from peers or the node's own store, serves bytes whose SHA-256 is the entry's true one;
 * - answer-within-deadline: every GET answers by its deadline, or at the moment an accepted body
 *   transfer that was still moving at the deadline ends (checked at answers and every tick);
 * - live-provider-found: from `livenessFrom`, a GET of an entry that a live honest node holds
 *   and announced while the network was whole (with `strictLiveness`: at any time) is a hit.
 */
export class CacheChecker implements CacheObserver {
  readonly violations: CacheViolation[] = []
  readonly counts = { gets: 0, answers: 0, hits: 0, misses: 0, localHits: 0, livenessGets: 0, livenessHits: 0, corruptResults: 0, probes: 0, probeMisses: 0 }
  /** GETs the scenario watches (node|key), e.g. of entries a partition hides. */
  readonly probes = new Set<string>()
  readonly missReasons: Record<string, number> = {}
  readonly truth = new Map<string, string>()
  /** key -> node -> when it started holding (and announcing) the entry. */
  readonly holders = new Map<string, Map<number, number>>()
  livenessFrom = Infinity
  /** Count holders that announced during a partition too (their announcement reached only their side). */
  strictLiveness = false
  private readonly open = new Map<string, OpenGet[]>()
  private readonly lastAcceptedEnd = new Map<string, number>()
  private readonly partitions: Array<[number, number]> = []

  constructor (private readonly world: CacheWorld) {}

  /** The scenario cut the network during [start, end). */
  notePartition (start: number, end: number): void {
    this.partitions.push([start, end])
  }

  onGet (node: number, key: string, deadline: number, now: number): void {
    this.counts.gets++
    if (now >= this.livenessFrom) this.counts.livenessGets++
    const id = `${node}|${key}`
    const list = this.open.get(id) ?? []
    list.push({ issuedAt: now, deadline })
    this.open.set(id, list)
  }

  onFetchResult (node: number, key: string, _peer: PeerId, result: FetchResult, accepted: boolean, now: number): void {
    if (result === 'corrupt') this.counts.corruptResults++
    if (accepted) this.lastAcceptedEnd.set(`${node}|${key}`, now)
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
    if (now > this.allowed(id, get)) this.violate('answer-within-deadline', now, node, key, `GET issued at ${ms(get.issuedAt)} ms with deadline ${ms(get.deadline)} ms answered at ${ms(now)} ms`)
    if (get.issuedAt < this.livenessFrom) return
    if (outcome.hit) {
      this.counts.livenessHits++
      return
    }
    const provider = this.liveProvider(node, key, get.issuedAt)
    if (provider !== undefined) this.violate('live-provider-found', now, node, key, `GET at ${ms(get.issuedAt)} ms missed (${outcome.reason}) though n${provider} holds the entry since ${ms(this.holders.get(key)?.get(provider) ?? 0)} ms`)
  }

  /** Every tick: GETs still waiting past their deadline are violations (reported once each). */
  check (now: number): void {
    for (const [id, list] of [...this.open]) {
      if (!this.world.isUp(Number(id.split('|')[0]))) {
        this.open.delete(id)
        continue
      }
      const late = list.filter(g => now > this.allowed(id, g))
      if (late.length === 0) continue
      const [node, key] = id.split('|') as [string, string]
      for (const g of late) this.violate('answer-within-deadline', now, Number(node), key, `GET issued at ${ms(g.issuedAt)} ms with deadline ${ms(g.deadline)} ms still unanswered at ${ms(now)} ms`)
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

  private allowed (id: string, get: OpenGet): number {
    const bodyEnd = this.lastAcceptedEnd.get(id)
    return bodyEnd !== undefined && bodyEnd >= get.issuedAt ? Math.max(get.deadline, bodyEnd) : get.deadline
  }

  private checkServed (node: number, key: string, served: StoredBlob | undefined, now: number): void {
    const truth = this.truth.get(key)
    if (served === undefined) {
      this.violate('no-corrupt-served', now, node, key, 'a hit with nothing in the store to serve')
      return
    }
    const actual = sha256Hex(served.bytes)
    if (actual !== truth) this.violate('no-corrupt-served', now, node, key, `served bytes hash to ${actual.slice(0, 12)}…, the entry is ${truth?.slice(0, 12) ?? 'unknown'}…`)
  }

  private liveProvider (node: number, key: string, at: number): number | undefined {
    for (const [holder, since] of this.holders.get(key) ?? []) {
      if (holder === node || !this.world.isUp(holder) || this.world.malicious.has(holder)) continue
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
