import type { SimResult } from './run.js'

/** Human-readable summary of a run; always names the seed and the trace hash. */
export function formatSummary (r: SimResult): string {
  const lines = [
    `scenario ${r.scenario}  nodes ${r.nodes}  seed ${r.seed}`,
    `virtual ${(r.virtualMs / 1000).toFixed(0)} s in ${(r.wallMs / 1000).toFixed(2)} s wall  events ${r.events} (${r.eventsPerSec}/s)`,
    `messages ${r.messages} (direct ${r.directMessages}, gossip deliveries ${r.gossipDeliveries} of ${r.gossipPublished} publishes)  ${r.messagesPerNodePerSec}/node/s, gossip ${r.gossipPerNodePerSec}/node/s`,
    `faults: ${r.faults.crashes} crashes, ${r.faults.restarts} restarts, ${r.faults.pauses} pauses, ${r.faults.partitions} partitions`,
    `bounds: detection ${r.bounds.detectionMs} ms, refutation ${r.bounds.refutationMs} ms, convergence ${r.bounds.convergenceMs} ms`,
    `faults ended at ${r.faultsEndMs} ms; membership agreed ${r.convergedAfterMs === null ? 'NEVER' : `${r.convergedAfterMs} ms`} later`,
    `trace ${r.traceHash}`
  ]
  if (r.invariantsOk) {
    lines.push('invariants OK')
  } else {
    lines.push(`INVARIANTS VIOLATED (${r.violationCount}) with seed ${r.seed}; replay: gmesh sim --scenario ${r.scenario} --nodes ${r.nodes} --seed ${r.seed} --duration ${r.virtualMs / 1000}`)
    for (const v of r.violations.slice(0, 10)) lines.push(`  ${v.invariant} at ${v.atMs} ms: ${v.observer} about ${v.subject}: ${v.detail}`)
  }
  return lines.join('\n')
}
