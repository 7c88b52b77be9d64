import type { CacheHarness } from './harness.js'
import type { CacheChecker } from './invariants.js'
import type { CacheSimResult } from './run.js'

/** What the transfers did that real ones do: busy providers, fetch slots, crashes and stalls mid-body, drippers. */
export interface TransferFigures {
  /** Progress reports of bodies still moving (header and body arrive apart; the body takes time). */
  readonly progressReports: number
  /** Fetches answered busy (16 uploads running at the provider), fetches sent again to such a provider, and hits among those. */
  readonly busy: number
  readonly busyRetried: number
  readonly busyRetryHits: number
  /** Streams reset past a provider's per-peer stream limit. */
  readonly resets: number
  /** Times a node's lookup fetches took every fetch slot of one provider (the next ones waited). */
  readonly slotsFull: number
  /** Headers and bodies on their way when their provider crashed (its streams reset: `error`), and requests a dead provider refused. */
  readonly cutByCrash: number
  readonly refusedByDead: number
  /** Bodies abandoned for stalling (under 64 KiB per 3 s), and hits whose body came from a dripping provider. */
  readonly stalledBodies: number
  readonly drippers: number
  readonly dripHits: number
  /** GETs answered past their 2 s deadline (a long body, a slot wait, a stall), and the slowest GET. */
  readonly pastDeadline: number
  readonly slowestGetMs: number
}

export function transferFigures (harness: CacheHarness, checker: CacheChecker): TransferFigures {
  const t = harness.transfers.stats
  return {
    progressReports: t.progressReports,
    busy: t.busy,
    busyRetried: t.busyRetried,
    busyRetryHits: t.busyRetryHits,
    resets: t.resets,
    slotsFull: checker.excused.slotsFull,
    cutByCrash: t.cutByCrash,
    refusedByDead: t.refusedByDead,
    stalledBodies: harness.stalledBodies,
    drippers: harness.parts.drippers?.size ?? 0,
    dripHits: t.dripHits,
    pastDeadline: checker.counts.pastDeadline,
    slowestGetMs: Math.round(checker.counts.slowestGetMs)
  }
}

/** Human-readable summary; always names the seed and the trace hash. */
export function formatCacheSummary (r: CacheSimResult): string {
  const reasons = Object.entries(r.missReasons).map(([k, v]) => `${k} ${v}`).join(', ')
  const lines = [
    `scenario ${r.scenario}  nodes ${r.nodes}  seed ${r.seed}`,
    `virtual ${(r.virtualMs / 1000).toFixed(0)} s in ${(r.wallMs / 1000).toFixed(2)} s wall`,
    `puts ${r.puts}  gets ${r.gets} on the mesh (+${r.localHits} local): ${r.hits} hits, ${r.misses} misses${reasons === '' ? '' : ` (${reasons})`}`,
    `liveness phase from ${r.livenessFromMs} ms: ${r.livenessHits} of ${r.livenessGets} GETs hit; watched GETs ${r.probes} (${r.probeMisses} missed)`,
    `faults: ${r.crashes} crashes, ${r.pauses} pauses; corrupt bytes served ${r.servedCorrupt}, rejected ${r.corruptRejected} (their providers penalised ${r.forgery.maliciousPenalised} times); replicas stored ${r.replicasStored} (own entries still short of R: ${r.replicasShort})`,
    transfersLine(r.transfers),
    ...(r.forgers === 0 ? [] : [forgeryLine(r)]),
    `trace ${r.traceHash}`
  ]
  if (r.ok) {
    lines.push('invariants OK')
  } else {
    lines.push(`INVARIANTS VIOLATED (${r.violations.length}) with seed ${r.seed}; replay: gmesh sim --scenario ${r.scenario} --nodes ${r.nodes} --seed ${r.seed}${r.plannedMs % 1000 === 0 ? ` --duration ${r.plannedMs / 1000}` : ''}`)
    for (const v of r.violations.slice(0, 10)) lines.push(`  ${v.invariant} at ${v.at} ms on n${v.node} key ${v.key}: ${v.detail}`)
  }
  return lines.join('\n')
}

function forgeryLine (r: CacheSimResult): string {
  const f = r.forgery
  const where = Object.entries(f.refused).map(([k, v]) => `${k} ${v}`).join(', ')
  const refused = Object.values(f.refused).reduce((a, b) => a + b, 0)
  return `forgers ${r.forgers}: ${f.forged} records forged, ${f.baits} honest records used as bait; forged records refused ${refused} (${where}), ` +
    `replica pulls refused ${f.pullsRefused}; lookup fetches from forgers ${f.lookupFetches} (${f.dhtFetches} the DHT named), forgers penalised ${f.forgersPenalised} ` +
    `(asked again after ${f.fetchesAfterPenalty}; honest peers penalised ${f.honestPenalised}); admitted ${f.admitted}; wrong bytes held by honest nodes ${r.wrongHeld}`
}

function transfersLine (f: TransferFigures): string {
  return `transfers: ${f.progressReports} progress reports of moving bodies; ${f.busy} answered busy (${f.busyRetried} asked again, ${f.busyRetryHits} of those hit), ${f.resets} streams reset, ` +
    `fetch slots full ${f.slotsFull} times; ${f.cutByCrash} transfers cut by a provider's crash, ${f.refusedByDead} refused by dead ones; ${f.stalledBodies} stalled bodies abandoned, ` +
    `${f.dripHits} hits from ${f.drippers} dripping providers; GETs past the 2 s deadline ${f.pastDeadline}, slowest ${f.slowestGetMs} ms`
}
