import test from 'ava'
import { runSimulation } from '../../sim/index.js'

const SEEDS = [1, 2, 3, 4, 5]

// Every seed restarted at once joins through another that just restarted too, then pulls the mesh from some node.
// Since answers pass on only the members the answerer heard from (8b5aa21), a seed that pulled from another seed got
// the few members that one had heard from since its restart, and waited for its next pull: at 200 nodes, seeds 1-5
// agreed after 4.75, 4.5, 11.0, 7.75 and 8.25 s (mean 7.25 s). A node passing on the members of the answers it asked
// for, for a short window after its join (StartVouches), brings that to 4.75, 4.25, 4.0, 4.0 and 7.25 s (mean 4.85 s).
test('seeds-restart at 200 nodes: the mesh agrees within 6 s on average of every seed restarting at once, seeds 1-5', t => {
  const agreed: number[] = []
  for (const seed of SEEDS) {
    const r = runSimulation({ scenario: 'seeds-restart', nodes: 200, seed })
    t.true(r.invariantsOk, `seed ${seed}: ${JSON.stringify(r.violations.slice(0, 3))}; replay: gmesh sim --scenario seeds-restart --nodes 200 --seed ${seed}`)
    agreed.push(r.convergedAfterMs ?? Infinity)
  }
  const mean = agreed.reduce((a, b) => a + b, 0) / agreed.length
  t.log(`agreed after ${agreed.join(', ')} ms (mean ${mean} ms)`)
  t.true(mean <= 6000, `agreed after ${agreed.join(', ')} ms on seeds ${SEEDS.join(', ')}`)
})
