import test from 'ava'
import { Membership } from '../../protocols/membership/index.js'
import type { MemberRecord } from '../../protocols/membership/index.js'
import type { Millis, TimerKey } from '../../protocols/core/index.js'
import { runSimulation } from '../../sim/index.js'

/** Broken on purpose: never refutes a suspicion or death, so a wrongly dead node stays dead. */
class NeverRefutes extends Membership {
  protected override learnAboutSelf (_record: MemberRecord): void {}
}

/** Broken on purpose: suspicions never time out, so a crashed node is never declared dead. */
class NeverDeclaresDead extends Membership {
  override onTimer (key: TimerKey, now: Millis): void {
    if (key.startsWith('suspect:')) return
    super.onTimer(key, now)
  }
}

test('a protocol that never refutes is caught after a partition heals', t => {
  const seed = 11
  const result = runSimulation({ scenario: 'partition-heal', nodes: 60, seed, createProtocol: options => new NeverRefutes(options) })
  t.log(`seed ${seed} trace ${result.traceHash} violations ${result.violationCount}`)
  t.false(result.invariantsOk, `seed ${seed}: the checkers missed a protocol that never refutes`)
  const counts = result.violationsByInvariant
  t.true(counts['live-node-held-dead'] > 0, `seed ${seed}: expected live-node-held-dead, got ${JSON.stringify(counts)}`)
  t.true(counts['membership-diverged'] > 0, `seed ${seed}: expected membership-diverged, got ${JSON.stringify(counts)}`)
  t.is(result.convergedAfterMs, null)
})

test('a protocol that never declares anyone dead is caught when nodes crash', t => {
  const seed = 5
  const result = runSimulation({ scenario: 'churn', nodes: 80, seed, durationMs: 200_000, createProtocol: options => new NeverDeclaresDead(options) })
  t.log(`seed ${seed} trace ${result.traceHash} violations ${result.violationCount}`)
  t.false(result.invariantsOk, `seed ${seed}: the checkers missed a protocol that never declares a crash`)
  const counts = result.violationsByInvariant
  t.true(counts['crash-unnoticed'] > 0, `seed ${seed}: expected crash-unnoticed, got ${JSON.stringify(counts)}`)
})

test('the correct protocol passes the same runs', t => {
  for (const [scenario, nodes, seed, durationMs] of [['partition-heal', 60, 11, 120_000], ['churn', 80, 5, 200_000]] as const) {
    const result = runSimulation({ scenario, nodes, seed, durationMs })
    t.true(result.invariantsOk, `${scenario} seed ${seed}: ${JSON.stringify(result.violations.slice(0, 3))}`)
  }
})
