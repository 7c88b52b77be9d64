import test from 'ava'
import { runSimulation, scenarioNamed } from '../../sim/index.js'
import type { ChaosContext } from '../../sim/index.js'

interface Fault { readonly kind: 'crash' | 'restart', readonly node: number, readonly atMs: number, readonly wasUp: boolean }

/** Runs `scenario`'s own faults, noting every crash and restart and whether its node was up then. */
function watched (scenario: string, log: Fault[]) {
  return (ctx: ChaosContext): void => {
    const { harness, faults, engine } = ctx
    const crash = harness.crash.bind(harness)
    const restart = harness.restart.bind(harness)
    harness.crash = (i: number) => {
      log.push({ kind: 'crash', node: i, atMs: Math.round(engine.now), wasUp: faults.up[i] === 1 })
      return crash(i)
    }
    harness.restart = (i: number, withDisk: boolean) => {
      log.push({ kind: 'restart', node: i, atMs: Math.round(engine.now), wasUp: faults.up[i] === 1 })
      restart(i, withDisk)
    }
    scenarioNamed(scenario).inject(ctx)
  }
}

// churn at 10 nodes, seed 3 crashed n9 for good at 24,902 ms, then crashed it again at 40,425 ms (a no-op: it was
// down) and that second crash's restart revived it at 43,647 ms, undoing the permanent crash
for (const [scenario, nodes, seeds] of [['churn', 10, [1, 2, 3, 4, 5]], ['swarm', 20, [1, 2, 3]]] as const) {
  test(`${scenario} at ${nodes} nodes: every crash falls on a node that is up and every restart on the node its crash took down (seeds ${seeds.join(', ')})`, t => {
    for (const seed of seeds) {
      const log: Fault[] = []
      const r = runSimulation({ scenario, nodes, seed, injectFaults: watched(scenario, log) })
      const crashes = log.filter(f => f.kind === 'crash')
      t.log(`seed ${seed} trace ${r.traceHash}: ${crashes.length} crashes, ${log.length - crashes.length} restarts`)
      t.deepEqual(crashes.filter(f => !f.wasUp), [], `${scenario} seed ${seed}: crashes of nodes already down`)
      t.deepEqual(log.filter(f => f.kind === 'restart' && f.wasUp), [], `${scenario} seed ${seed}: restarts of nodes already up`)
      // a node stays down from its crash to the restart that crash scheduled: none comes in between
      const down = new Set<number>()
      for (const f of log) {
        if (f.kind === 'crash') down.add(f.node)
        else t.true(down.delete(f.node), `${scenario} seed ${seed}: n${f.node} restarted at ${f.atMs} ms without a crash of its own`)
      }
      t.true(r.invariantsOk, `${scenario} seed ${seed}: ${JSON.stringify(r.violations.slice(0, 3))}`)
    }
  })
}
