import type { Engine } from '../engine/index.js'
import type { FaultState } from '../network/index.js'
import type { SimEntry } from './blobs.js'
import { scheduleForgeries } from './forgers.js'
import type { CacheHarness } from './harness.js'
import type { CacheChecker } from './invariants.js'
import { busyBurst, slowProviders } from './transfer-scenarios.js'
import type { CacheWorkloadShape } from './workload.js'

/** An entry of the workload: who PUTs it and when. */
export interface PlannedPut {
  readonly entry: SimEntry
  readonly producer: number
  readonly at: number
}

/** What a cache scenario's faults may touch; faults happen in [0, faultsEnd). */
export interface CacheChaos {
  readonly engine: Engine
  readonly harness: CacheHarness
  readonly faults: FaultState
  readonly checker: CacheChecker
  readonly size: number
  readonly faultsEnd: number
  readonly puts: readonly PlannedPut[]
  /** A GET the checker watches (counted in `probes` / `probeMisses`). */
  readonly probe: (node: number, key: string) => void
}

export interface CacheScenario {
  readonly name: string
  readonly description: string
  /** Malicious providers (serve corrupt bytes under honest records). */
  readonly malicious?: number
  /** Forgers (sim/cache/forgers.ts): sign records of their own for honest nodes' keys. */
  readonly forgers?: number
  /** Share of the honest nodes whose uploads drip (`NodeBandwidth`); default none. */
  readonly drippers?: number
  /** The scenario's workload, over `DEFAULT_WORKLOAD`. */
  readonly workload?: Partial<CacheWorkloadShape>
  /** Every node trusts only the honest nodes as producers (an explicit list); default an open mesh. */
  readonly trustHonestProducers?: boolean
  /** When PUTs happen, as shares of the fault phase; default the whole phase but its last 5 s. */
  readonly putWindow?: readonly [number, number]
  /** Entries announced during a partition must be found after it heals too (`CacheChecker.strictLiveness`). */
  readonly strictLiveness?: boolean
  readonly inject: (ctx: CacheChaos) => void
}

/** Nodes holding `key` now (the harness's stores are the truth). */
function holdersOf (ctx: CacheChaos, key: string): number[] {
  const out: number[] = []
  for (let i = 0; i < ctx.size; i++) if (ctx.harness.isUp(i) && ctx.harness.node(i).store.has(key)) out.push(i)
  return out
}

const steady: CacheScenario = { name: 'cache-steady', description: 'PUTs and GETs on a healthy mesh', inject: () => {} }

const providerCrash: CacheScenario = {
  name: 'cache-provider-crash',
  description: 'a quarter of the nodes crash at random times, and every provider of a few entries crashes at once; all stay down',
  inject: ctx => {
    const { engine, harness, size, faultsEnd } = ctx
    for (let k = 0; k < Math.floor(size / 4); k++) {
      const node = engine.random.nextInt(size)
      engine.at(5000 + engine.random.nextFloat() * (faultsEnd - 10_000), () => { harness.crash(node) })
    }
    engine.at(faultsEnd / 2, () => {
      for (const put of ctx.puts.slice(0, 3)) {
        const holders = holdersOf(ctx, put.entry.key)
        if (holders.length <= size / 4) for (const node of holders) harness.crash(node)
      }
    })
  }
}

const corruptProvider: CacheScenario = {
  name: 'cache-corrupt-provider',
  description: 'three malicious nodes fetch every entry (so they provide it) and serve every fetch with one byte flipped',
  malicious: 3,
  inject: ctx => {
    const { engine, harness } = ctx
    for (const node of harness.parts.malicious) {
      for (const put of ctx.puts) engine.at(put.at + 1500 + engine.random.nextFloat() * 1000, () => { harness.get(node, put.entry.key) })
    }
  }
}

const partition: CacheScenario = {
  name: 'cache-partition',
  description: 'after the PUTs, the mesh splits 60/40 for 20 s: GETs of entries whose providers are all on the other side miss in time; after healing they hit',
  putWindow: [0, 0.2],
  inject: ctx => { splitAndProbe(ctx) }
}

/**
 * PUTs go on during the partition; after healing, an entry PUT on one side must be found from the
 * other. Announcements lost to the partition are not repeated (the refresh comes after 3 h); each
 * node asks the first peers that come back for their index instead. Seeds 7, 8, 9 and 20 found
 * claims of providers not yet back being dropped from those answers.
 */
const partitionPut: CacheScenario = {
  name: 'cache-partition-put',
  description: 'as cache-partition, but PUTs continue during the partition; entries announced on one side must be found from the other after healing (through the rejoin index resync)',
  putWindow: [0, 0.85],
  strictLiveness: true,
  inject: ctx => { splitAndProbe(ctx) }
}

/** Splits the mesh 60/40 for 20 s from 30% of the fault phase; GETs entries whose every holder is on the other side. */
function splitAndProbe (ctx: CacheChaos): void {
  const { engine, faults, size, checker, faultsEnd } = ctx
  const start = Math.round(faultsEnd * 0.3)
  const end = Math.min(faultsEnd, start + 20_000)
  const groups = new Int32Array(size)
  for (let i = 0; i < size; i++) groups[i] = engine.random.nextFloat() < 0.4 ? 1 : 0
  checker.notePartition(start, end)
  engine.at(start, () => { faults.partition(groups, true, engine.now) })
  engine.at(end, () => { faults.heal(engine.now) })
  const probeHidden = (): void => {
    for (const put of ctx.puts) {
      const holders = holdersOf(ctx, put.entry.key)
      if (holders.length === 0) continue
      const side = groups[holders[0] as number] as number
      if (!holders.every(h => groups[h] === side)) continue
      const other: number[] = []
      for (let i = 0; i < size; i++) if (groups[i] !== side && ctx.harness.isUp(i)) other.push(i)
      if (other.length > 0) ctx.probe(other[engine.random.nextInt(other.length)] as number, put.entry.key)
    }
  }
  for (let t = start + 1000; t < end - 2000; t += 3000) engine.at(t, probeHidden)
}

/**
 * Both at once: after a malicious provider's header is accepted and its body fails the hash check,
 * the lookup keeps the deadline it extended for that body and goes on trying (crashed, not yet
 * detected) providers past the GET's deadline (protocols/cache/lookup.ts `onFetchHeader`); seed 3 shows it.
 */
const corruptCrash: CacheScenario = {
  name: 'cache-corrupt-crash',
  description: 'malicious providers and crashing providers together (exposes a lookup that outlives its deadline after a corrupt body)',
  malicious: 3,
  inject: ctx => {
    providerCrash.inject(ctx)
    corruptProvider.inject(ctx)
  }
}

/**
 * Forgers with valid keys sign records mapping honest keys to other bytes (see `scheduleForgeries`).
 * Halfway through, the forgers are cut off for 20 s: when they come back, honest nodes ask them for
 * their index (the rejoin resync), so their index pages carry the forged records too.
 */
const forgedRecords: CacheScenario = {
  name: 'cache-forged-records',
  description: 'three forgers sign records of their own mapping honest keys to other bytes, announce them, offer them as replica pushes and bait lookups; every node trusts only the honest producers',
  forgers: 3,
  trustHonestProducers: true,
  inject: ctx => {
    scheduleForgeries(ctx.harness, ctx.puts)
    isolateForgers(ctx)
  }
}

function isolateForgers (ctx: CacheChaos): void {
  const { engine, faults, checker, faultsEnd, harness } = ctx
  const start = Math.round(faultsEnd * 0.5)
  const end = Math.min(faultsEnd, start + 20_000)
  const groups = Int32Array.from({ length: ctx.size }, (_, i) => harness.parts.forgers?.has(i) === true ? 1 : 0)
  checker.notePartition(start, end)
  engine.at(start, () => { faults.partition(groups, true, engine.now) })
  engine.at(end, () => { faults.heal(engine.now) })
}

export const CACHE_SCENARIOS: readonly CacheScenario[] = [steady, providerCrash, corruptProvider, partition, corruptCrash, partitionPut, forgedRecords, busyBurst, slowProviders]

export function cacheScenarioNamed (name: string): CacheScenario | undefined {
  return CACHE_SCENARIOS.find(s => s.name === name)
}
