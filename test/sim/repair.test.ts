import test from 'ava'
import { runSimulation } from '../../sim/index.js'
import type { ChaosContext } from '../../sim/index.js'

const NODES = 250
const CRASHED = 17
const CUT_OFF = 42
const CRASH_AT = 20_000
const HEAL_AT = 40_000

interface Seen {
  /** What the cut-off node held about the crashed one when the partition healed. */
  atHeal?: string
  /** When it first held the crashed node dead. */
  deadAt?: number
}

/**
 * One node is cut off from the rest of the mesh (a symmetric partition) from the moment another
 * node crashes until well after the crash was suspected and declared dead: both rumours are
 * published once, while it cannot hear them. After the heal it must still learn of the death.
 */
function cutOffDuringADeath (seen: Seen) {
  return (ctx: ChaosContext): void => {
    const { engine, faults, harness, size } = ctx
    const groups = new Int32Array(size)
    groups[CUT_OFF] = 1
    engine.at(CRASH_AT, () => {
      harness.crash(CRASHED)
      faults.partition(groups, true, engine.now)
    })
    engine.at(HEAL_AT, () => {
      faults.heal(engine.now)
      seen.atHeal = harness.protocolOf(CUT_OFF)?.members.get(harness.peerOf(CRASHED))?.status
    })
    const watch = (): void => {
      if (harness.protocolOf(CUT_OFF)?.members.get(harness.peerOf(CRASHED))?.status === 'dead') seen.deadAt ??= engine.now
      else engine.at(engine.now + 100, watch)
    }
    engine.at(HEAL_AT, watch)
  }
}

test('a node that missed a death while partitioned away learns of it within the detection bound after the heal', t => {
  for (const seed of [6, 8]) {
    const seen: Seen = {}
    const result = runSimulation({ scenario: 'steady', nodes: NODES, seed, injectFaults: cutOffDuringADeath(seen) })
    const learned = seen.deadAt === undefined ? 'never' : `${seen.deadAt - HEAL_AT} ms after the heal`
    t.log(`seed ${seed} trace ${result.traceHash}: held ${seen.atHeal ?? 'nothing'} at the heal, dead ${learned} (bound ${result.bounds.detectionMs} ms)`)
    t.is(seen.atHeal, 'alive', `seed ${seed}: the cut-off node should have missed both rumours`)
    t.true(seen.deadAt !== undefined && seen.deadAt - HEAL_AT <= result.bounds.detectionMs, `seed ${seed}: learned of the death ${learned}`)
    t.true(result.invariantsOk, `seed ${seed}: ${JSON.stringify(result.violations.slice(0, 3))}`)
  }
})
