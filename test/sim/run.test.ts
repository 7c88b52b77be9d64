import test from 'ava'
import { Membership } from '../../protocols/membership/index.js'
import type { MemberRecord } from '../../protocols/membership/index.js'
import type { Millis, TimerKey, Verdict } from '../../protocols/core/index.js'
import { SeededRunError, replayCommand, runSimulation } from '../../sim/index.js'
import type { ChaosContext } from '../../sim/index.js'

const NODES = 60
const DURATION_MS = 150_000
/** The liveness phase is the convergence bound + 10 s: this is 4 s past the bound. */
const REFUTES_FROM = DURATION_MS - 6000
const PAUSED = 9

/**
 * Broken on purpose, in a way no safety invariant sees: suspicions never become deaths (a suspect
 * member is neither held dead nor a crash left unnoticed), and a node answers rumours about itself
 * only from REFUTES_FROM on. A node suspected while paused is held suspect until then.
 */
class LateRefuter extends Membership {
  private clock = 0

  override onMessage (from: string, via: string, bytes: Uint8Array, now: Millis): Verdict {
    this.clock = now
    return super.onMessage(from, via, bytes, now)
  }

  override onTimer (key: TimerKey, now: Millis): void {
    this.clock = now
    if (!key.startsWith('suspect:')) super.onTimer(key, now)
  }

  protected override learnAboutSelf (record: MemberRecord, joining?: boolean): void {
    if (this.clock >= REFUTES_FROM) super.learnAboutSelf(record, joining)
  }
}

/** One node is paused for the last 10 s of the faults: long enough to be suspected. */
function pausedUntilFaultsEnd (ctx: ChaosContext): void {
  ctx.engine.at(ctx.faultsEnd - 10_000, () => { ctx.harness.pause(PAUSED) })
}

test('a run whose views agree after the convergence bound is not OK: it reports convergence-late at the bound', t => {
  const seed = 4
  const result = runSimulation({ scenario: 'steady', nodes: NODES, seed, durationMs: DURATION_MS, createProtocol: options => new LateRefuter(options), injectFaults: pausedUntilFaultsEnd })
  const late = result.violations.filter(v => v.invariant === 'convergence-late')
  t.log(`seed ${seed} trace ${result.traceHash}: agreed ${result.convergedAfterMs ?? 'never'} ms after faults ended (bound ${result.bounds.convergenceMs} ms); ${JSON.stringify(result.violations)}`)
  t.true(result.convergedAfterMs !== null && result.convergedAfterMs > result.bounds.convergenceMs, `seed ${seed}: agreed ${result.convergedAfterMs ?? 'never'} ms after faults ended`)
  t.false(result.invariantsOk, `seed ${seed}: a late agreement passed`)
  t.deepEqual(result.violationsByInvariant, { 'live-node-held-dead': 0, 'crash-unnoticed': 0, 'membership-diverged': 0, 'convergence-late': 1, 'incarnation-near-bound': 0, 'made-up-peer-held': 0, 'made-up-peer-published': 0 }, `seed ${seed}`)
  t.is(late[0]?.atMs, Math.round(result.faultsEndMs + result.bounds.convergenceMs), `seed ${seed}`)
  t.regex(late[0]?.detail ?? '', /live node held suspect/, `seed ${seed}`)
})

test('a run whose views agree within the convergence bound reports no convergence-late', t => {
  const seed = 4
  const result = runSimulation({ scenario: 'steady', nodes: NODES, seed, durationMs: DURATION_MS, injectFaults: pausedUntilFaultsEnd })
  t.log(`seed ${seed} trace ${result.traceHash}: agreed ${result.convergedAfterMs ?? 'never'} ms after faults ended (bound ${result.bounds.convergenceMs} ms)`)
  t.true(result.invariantsOk, `seed ${seed}: ${JSON.stringify(result.violations.slice(0, 3))}`)
  t.true(result.convergedAfterMs !== null && result.convergedAfterMs <= result.bounds.convergenceMs, `seed ${seed}`)
})

/** Broken on purpose: throws from its probe timer once 20 virtual seconds have passed. */
class ThrowsLate extends Membership {
  override onTimer (key: TimerKey, now: Millis): void {
    if (now > 20_000) throw new Error(`timer ${key} threw at ${now} ms`)
    super.onTimer(key, now)
  }
}

test('a run that throws names its seed', t => {
  const seed = 12
  const err = t.throws(() => runSimulation({ scenario: 'swarm', nodes: 40, seed, createProtocol: options => new ThrowsLate(options) }), { instanceOf: SeededRunError })
  t.log(err?.message)
  t.is(err?.seed, seed)
  t.regex(err?.message ?? '', /^run with seed 12 threw Error: timer \S+ threw at/)
})

test('a run without test hooks is replayed by the gmesh command that names its scenario, nodes, seed and duration', t => {
  t.is(replayCommand({ scenario: 'swarm', seed: 41 }, 200, 180_000), 'gmesh sim --scenario swarm --nodes 200 --seed 41 --duration 180')
  t.is(replayCommand({ scenario: 'swarm', seed: 41, injectFaults: () => {} }, 200, 180_000), undefined)
})
