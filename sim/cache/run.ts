import { resolveCacheConfig } from '../../protocols/cache/index.js'
import type { CacheConfigOverrides } from '../../protocols/cache/index.js'
import { DEFAULT_MEMBERSHIP_CONFIG } from '../../protocols/membership/index.js'
import { DhtModel, KAD_PROFILE } from '../dht.js'
import { Engine } from '../engine/index.js'
import { GOSSIPSUB_PROFILE, GossipModel } from '../gossip.js'
import { FaultState, LAN_PROFILE, Links } from '../network/index.js'
import { SimConfigError, boundsFor } from '../run.js'
import { simPeerId } from '../peers.js'
import { CacheHarness } from './harness.js'
import type { CacheFactory } from './harness.js'
import { CacheChecker } from './invariants.js'
import type { CacheViolation } from './invariants.js'
import { cacheScenarioNamed } from './scenarios.js'
import type { CacheScenario } from './scenarios.js'
import { honestProducersTrust } from './trust.js'
import type { ForgeryStats, TrustFactory } from './trust.js'
import { transferFigures } from './summary.js'
import type { TransferFigures } from './summary.js'
import { DEFAULT_WORKLOAD, scheduleGets, startWorkload } from './workload.js'
import type { CacheWorkloadShape } from './workload.js'

export { formatCacheSummary } from './summary.js'
export type { TransferFigures } from './summary.js'

export interface CacheSimOptions {
  readonly scenario: string
  readonly seed: number
  readonly nodes?: number
  readonly faultsEndMs?: number
  /** How long the liveness phase issues GETs (after membership has had time to converge). */
  readonly livenessMs?: number
  /** Whole virtual duration instead of `livenessMs` (the CLI's --duration). */
  readonly durationMs?: number
  readonly workload?: Partial<CacheWorkloadShape>
  readonly cacheConfig?: CacheConfigOverrides
  /** Test hooks: a broken protocol variant, or a driver that skips the SHA-256 check. */
  readonly createCache?: CacheFactory
  readonly verifyFetches?: boolean
  /** Test hook: every node's trust policy instead of the scenario's (e.g. one that trusts every producer). */
  readonly trust?: TrustFactory
  /** Test hook: false makes replica pulls take the provider's header instead of checking it against the offer. */
  readonly checkPullHeaders?: boolean
}

export interface CacheSimResult {
  readonly scenario: string
  readonly seed: number
  readonly nodes: number
  readonly ok: boolean
  readonly violations: readonly CacheViolation[]
  readonly puts: number
  readonly localHits: number
  readonly gets: number
  readonly hits: number
  readonly misses: number
  readonly missReasons: Readonly<Record<string, number>>
  readonly livenessGets: number
  readonly livenessHits: number
  readonly probes: number
  readonly probeMisses: number
  /** GETs of nodes that crashed before they were answered. */
  readonly getsLost: number
  readonly corruptRejected: number
  readonly servedCorrupt: number
  readonly replicasStored: number
  /** Own entries of live honest nodes still short of R confirmed replicas at the end (offered again later). */
  readonly replicasShort: number
  readonly crashes: number
  readonly pauses: number
  /** What real transfers do (header and body apart, upload limits, crashes and pauses mid-body, drippers). */
  readonly transfers: TransferFigures
  readonly forgers: number
  readonly forgery: ForgeryStats
  /** Entries live honest nodes hold at the end whose bytes are not the entry's (forged or corrupt): 0 unless something broke. */
  readonly wrongHeld: number
  readonly faultsEndMs: number
  readonly livenessFromMs: number
  readonly virtualMs: number
  /** Where the run was planned to end (the CLI's --duration); GETs still open then were given up to `maxGetMs` more. */
  readonly plannedMs: number
  readonly wallMs: number
  readonly traceHash: string
}

const TICK_MS = 100
/** Membership joins before the first PUT. */
const WARMUP_MS = 3000
/** After the last GET is issued, time for it to answer. */
const END_SLACK_MS = 3000
const MIN_LIVENESS_MS = 5000

function livenessBudget (options: CacheSimOptions, livenessFrom: number): number {
  if (options.durationMs === undefined) return options.livenessMs ?? 20_000
  const budget = options.durationMs - END_SLACK_MS - livenessFrom
  if (budget < MIN_LIVENESS_MS) throw new SimConfigError(`--duration must be at least ${Math.ceil((livenessFrom + END_SLACK_MS + MIN_LIVENESS_MS) / 1000)} s for this cache scenario`)
  return budget
}

/** Runs one seeded cache scenario: Membership + CacheProtocol on every node, faults, then a liveness phase. */
export function runCacheSim (options: CacheSimOptions): CacheSimResult {
  const scenario = cacheScenarioNamed(options.scenario)
  if (scenario === undefined) throw new SimConfigError(`unknown cache scenario ${options.scenario}`)
  const size = options.nodes ?? 24
  if (!Number.isInteger(size) || size < 8) throw new SimConfigError(`a cache scenario needs at least 8 nodes (got ${size})`)
  const faultsEnd = WARMUP_MS + (options.faultsEndMs ?? 40_000)
  const livenessFrom = faultsEnd + boundsFor(DEFAULT_MEMBERSHIP_CONFIG, size).convergenceMs + 5000
  const end = livenessFrom + livenessBudget(options, livenessFrom)
  const started = performance.now()
  const { engine, links, faults, checker, harness } = build(options, size, scenario)
  checker.strictLiveness = scenario.strictLiveness === true
  harness.startAll()
  const span = faultsEnd - WARMUP_MS
  const window = scenario.putWindow ?? [0, 1 - 5000 / span]
  const workload = { ...DEFAULT_WORKLOAD, ...scenario.workload, ...options.workload }
  const { puts, counter, probe } = startWorkload(harness, checker, workload, [WARMUP_MS + window[0] * span, WARMUP_MS + window[1] * span], faultsEnd)
  scenario.inject({ engine, harness, faults, checker, size, faultsEnd, puts, probe })
  const tick = (): void => {
    checker.check(engine.now)
    engine.at(engine.now + TICK_MS, tick)
  }
  engine.at(TICK_MS, tick)
  engine.runUntil(faultsEnd, harness)
  faults.heal(engine.now)
  links.profile = { ...LAN_PROFILE }
  checker.livenessFrom = livenessFrom
  scheduleGets(harness, puts, workload, livenessFrom, end, counter)
  engine.runUntil(end + END_SLACK_MS, harness)
  drainOpenGets(engine, harness, checker, end + END_SLACK_MS + checker.maxGetMs)
  checker.check(engine.now)
  const c = checker.counts
  const t = harness.transfers.stats
  return {
    scenario: scenario.name,
    seed: options.seed,
    nodes: size,
    ok: checker.violations.length === 0,
    violations: checker.violations,
    puts: puts.length,
    localHits: counter.local,
    gets: c.gets,
    hits: c.hits,
    misses: c.misses,
    missReasons: checker.missReasons,
    livenessGets: c.livenessGets,
    livenessHits: c.livenessHits,
    probes: c.probes,
    probeMisses: c.probeMisses,
    getsLost: c.lostToCrashes,
    corruptRejected: t.corruptRejected,
    servedCorrupt: t.servedCorrupt,
    replicasStored: t.replicasStored,
    replicasShort: replicasShort(harness),
    crashes: harness.injected.crashes,
    pauses: harness.injected.pauses,
    transfers: transferFigures(harness, checker),
    forgers: harness.parts.forgers?.size ?? 0,
    forgery: harness.forgery.stats,
    wrongHeld: wrongHeld(harness, checker),
    faultsEndMs: faultsEnd,
    livenessFromMs: checker.livenessFrom,
    virtualMs: engine.now,
    plannedMs: end + END_SLACK_MS,
    wallMs: Math.round(performance.now() - started),
    traceHash: engine.trace.digest()
  }
}

/** A GET may take up to the lookup's `maxGetMs` (a long body, stalls, slot waits): those open at the planned end may finish. */
function drainOpenGets (engine: Engine, harness: CacheHarness, checker: CacheChecker, by: number): void {
  while (checker.openFor(i => harness.isUp(i)) > 0 && engine.now < by) engine.runUntil(Math.min(by, engine.now + TICK_MS), harness)
}

interface Built { engine: Engine, links: Links, faults: FaultState, checker: CacheChecker, harness: CacheHarness }

function build (options: CacheSimOptions, size: number, scenario: CacheScenario): Built {
  const engine = new Engine(options.seed)
  const links = new Links(size, LAN_PROFILE, engine.random)
  const faults = new FaultState(size)
  const malicious = pickNodes(engine, size, scenario.malicious ?? 0, new Set())
  const forgers = pickNodes(engine, size, scenario.forgers ?? 0, malicious)
  const drippers = pickNodes(engine, size, Math.round((scenario.drippers ?? 0) * size), new Set([...malicious, ...forgers]))
  const trust = options.trust ?? (scenario.trustHonestProducers === true ? honestTrust(size, malicious, forgers) : undefined)
  const cacheConfig: CacheConfigOverrides = { replication: { replicas: 2 }, ...options.cacheConfig }
  const checker = new CacheChecker({ isUp: i => faults.up[i] === 1, malicious: new Set([...malicious, ...forgers]), slow: drippers, lookup: resolveCacheConfig(cacheConfig).lookup })
  const harness = new CacheHarness(size, {
    engine, links, faults, gossip: new GossipModel(GOSSIPSUB_PROFILE), observer: checker, malicious, forgers, drippers, dht: new DhtModel(KAD_PROFILE),
    cacheConfig,
    ...(trust === undefined ? {} : { trust }),
    ...(options.createCache === undefined ? {} : { createCache: options.createCache }),
    ...(options.verifyFetches === undefined ? {} : { verifyFetches: options.verifyFetches }),
    ...(options.checkPullHeaders === undefined ? {} : { checkPullHeaders: options.checkPullHeaders })
  })
  return { engine, links, faults, checker, harness }
}

/** `count` distinct nodes past the membership seeds (0–4), none of `taken`. */
function pickNodes (engine: Engine, size: number, count: number, taken: ReadonlySet<number>): Set<number> {
  const out = new Set<number>()
  while (out.size < count) {
    const node = 5 + engine.random.nextInt(size - 5)
    if (!taken.has(node)) out.add(node)
  }
  return out
}

/** The explicit list of the nodes that PUT: neither malicious nor forgers. */
function honestTrust (size: number, malicious: ReadonlySet<number>, forgers: ReadonlySet<number>): TrustFactory {
  const honest: string[] = []
  for (let i = 0; i < size; i++) if (!malicious.has(i) && !forgers.has(i)) honest.push(simPeerId(i))
  return honestProducersTrust(honest)
}

/** Entries live honest nodes hold whose bytes do not hash to the entry's true SHA-256. */
function wrongHeld (harness: CacheHarness, checker: CacheChecker): number {
  let n = 0
  for (const node of harness.nodes) {
    if (!harness.isUp(node.index) || harness.isAdversary(node.index)) continue
    for (const [key, blob] of node.store) if (!checker.holdsTruth(key, blob.bytes)) n++
  }
  return n
}

/** Own entries that live honest nodes still wait to see confirmed by R replicas. */
function replicasShort (harness: CacheHarness): number {
  let n = 0
  for (const node of harness.nodes) {
    if (harness.isUp(node.index) && !harness.isAdversary(node.index)) n += node.cache?.stats().replicaBacklog ?? 0
  }
  return n
}
