import type { JobsSimResult } from './run.js'

/** A jobs run in a few lines: the workload, how it went against its lower bound, and the invariants verdict with a replay command. */
export function formatJobsSummary (r: JobsSimResult): string {
  const makespan = r.makespanMs === null ? 'not every job completed' : `makespan ${(r.makespanMs / 1000).toFixed(1)} s (lower bound ${(r.lowerBoundMs / 1000).toFixed(1)} s)`
  const lines = [
    `scenario ${r.scenario}  nodes ${r.nodes}  jobs ${r.jobs}  seed ${r.seed}`,
    `${r.jobsCompleted} of ${r.jobs} jobs completed; ${makespan}`,
    `units ${r.units}, runs ${r.unitRuns} (${r.afterRecorded.runs} started after their result was recorded), stolen ${r.stolen}; faults: ${r.crashes} crashes`,
    `trace ${r.traceHash}`
  ]
  const f = r.forgedTickets
  if (f.byLeader + f.byVictim > 0) lines.splice(3, 0, `forged tickets: ${f.byLeader} from the leader, ${f.byVictim} from a steal victim; honest workers refused ${f.refused}`)
  const { sent, refused } = r.forgedResults
  if (sent > 0) lines.splice(3, 0, `forged results: ${sent} from the leader; its submitters refused ${refused}`)
  if (r.hollowAsked > 0) lines.splice(3, 0, `steal requests left unanswered by the hollow victim: ${r.hollowAsked}`)
  if (r.liarStole > 0) lines.splice(3, 0, `tickets given to the stealing liar (no build slots): ${r.liarStole}`)
  if (r.ok) {
    lines.push('invariants OK')
  } else {
    lines.push(`INVARIANTS VIOLATED (${r.violations.length}) with seed ${r.seed}; replay: gmesh sim --jobs ${r.jobs} --scenario ${r.scenario} --nodes ${r.nodes} --seed ${r.seed}`)
    for (const v of r.violations.slice(0, 10)) lines.push(`  ${v.invariant} at ${v.at} ms: ${v.detail}`)
  }
  return lines.join('\n')
}
