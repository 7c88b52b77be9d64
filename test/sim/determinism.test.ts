import test from 'ava'
import { runSimulation } from '../../sim/index.js'

test('two runs of one seed give the same trace hash and the same numbers', t => {
  for (const scenario of ['swarm', 'lossy-lan']) {
    const seed = 1234
    const first = runSimulation({ scenario, nodes: 60, seed })
    const second = runSimulation({ scenario, nodes: 60, seed })
    t.log(`${scenario} seed ${seed}: trace ${first.traceHash}`)
    t.is(second.traceHash, first.traceHash, `${scenario} seed ${seed} did not replay`)
    t.is(second.messages, first.messages)
    t.is(second.events, first.events)
    t.deepEqual(second.faults, first.faults)
    t.is(second.convergedAfterMs, first.convergedAfterMs)
  }
})

test('different seeds give different runs', t => {
  const hashes = new Set<string>()
  for (const seed of [1, 2, 3]) {
    const result = runSimulation({ scenario: 'swarm', nodes: 40, seed })
    t.log(`swarm seed ${seed}: trace ${result.traceHash}`)
    hashes.add(result.traceHash)
  }
  t.is(hashes.size, 3)
})
