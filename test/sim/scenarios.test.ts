import test from 'ava'
import { SCENARIOS, runSimulation } from '../../sim/index.js'
import type { SimResult } from '../../sim/index.js'
import { FaultState } from '../../sim/network/index.js'
import { EventKind, TraceHash } from '../../sim/engine/index.js'

/** The CI set: a few fixed seeds per scenario on small meshes (big swarms: npm run sim:swarm). */
const SEEDS = [1, 2, 3]
const NODES = 60

function describe (r: SimResult): string {
  return `${r.scenario} seed ${r.seed} nodes ${r.nodes} trace ${r.traceHash}: ${r.violationCount} violations ${JSON.stringify(r.violations.slice(0, 3))}`
}

// forged-members has its own test (test/sim/forged-members.test.ts): at 60 nodes seed 2 it finds a protocol bug
for (const name of [...SCENARIOS.keys()].filter(n => n !== 'forged-members')) {
  test(`${name} keeps every invariant and converges within the bound on seeds ${SEEDS.join(', ')}`, t => {
    for (const seed of SEEDS) {
      const r = runSimulation({ scenario: name, nodes: NODES, seed })
      t.log(`seed ${seed}: trace ${r.traceHash}, converged ${r.convergedAfterMs} ms after faults ended, ${r.messagesPerNodePerSec} msg/node/s`)
      t.true(r.invariantsOk, describe(r))
      t.not(r.convergedAfterMs, null, describe(r))
      t.true((r.convergedAfterMs ?? Infinity) <= r.bounds.convergenceMs, describe(r))
    }
  })
}

test('the fault scenarios do inject their faults', t => {
  const seed = 1
  const churn = runSimulation({ scenario: 'churn', nodes: NODES, seed })
  t.true(churn.faults.crashes > 0 && churn.faults.restarts > 0, `churn seed ${seed}: ${JSON.stringify(churn.faults)}`)
  const split = runSimulation({ scenario: 'partition-heal', nodes: NODES, seed })
  t.is(split.faults.partitions, 1, `partition-heal seed ${seed}`)
  t.true((split.convergedAfterMs ?? 0) > 0, `partition-heal seed ${seed}: views cannot agree the instant a split heals`)
})

test('no message is delivered across a partition, also one sent before the partition began', t => {
  let faults: FaultState | undefined
  let crossed = 0
  const partition = FaultState.prototype.partition
  const event = TraceHash.prototype.event
  FaultState.prototype.partition = function (this: FaultState, ...args: Parameters<FaultState['partition']>) {
    faults = this
    return partition.apply(this, args)
  }
  TraceHash.prototype.event = function (this: TraceHash, time, kind, node, from, payload) {
    if (kind === EventKind.deliver && from >= 0 && faults?.partitioned === true && !faults.reachable(from, node)) crossed++
    return event.call(this, time, kind, node, from, payload)
  }
  try {
    for (const [scenario, seed] of [['partition-heal', 1], ['swarm', 2]] as const) {
      faults = undefined
      const result = runSimulation({ scenario, seed, nodes: 60 })
      t.true(result.invariantsOk, `${scenario} seed ${seed}`)
    }
  } finally {
    FaultState.prototype.partition = partition
    TraceHash.prototype.event = event
  }
  t.is(crossed, 0, 'deliveries across an active partition (seeds: partition-heal 1, swarm 2)')
})
