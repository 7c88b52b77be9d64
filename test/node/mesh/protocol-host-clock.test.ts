import test from 'ava'
import { hash } from 'node:crypto'
import { EffectQueue, type Effect, type Millis, type SansIoProtocol } from '../../../protocols/core/index.js'
import { DEFAULT_JOBS_CONFIG, type JobsMessage } from '../../../protocols/jobs/index.js'
import { JobsCommandQueue } from '../../../protocols/jobs/commands.js'
import { LeaderLease } from '../../../protocols/jobs/leader-lease.js'
import { silentLogger } from '../../../src/config/logger.js'
import { TopicGuard } from '../../../node/libp2p/topic-guard.js'
import { ProtocolHost } from '../../../node/mesh/protocol-host.js'
import { startNode } from '../libp2p/helpers.js'
import { monotonicNow } from '../../../node/clock.js'

const LEASE_MS = 200
const RENEW_MS = 50
const STEP_BACK_MS = 30_000

/**
 * A leader of one job (the jobs protocol's own LeaderLease): the submitter acknowledges its first lease request at
 * once, and a timer due when the lease should have run out looks at the lease and asks for a renewal if one is due.
 */
class LeaseHolder implements SansIoProtocol {
  readonly topics = []
  readonly protocolIds = []
  readonly requests: JobsMessage[] = []
  private lease: LeaderLease | undefined
  private readonly effects = new EffectQueue()
  onCheck: (seen: { valid: boolean, requests: number }) => void = () => {}

  start (now: Millis): void {
    const ctx = {
      self: 'L', config: { ...DEFAULT_JOBS_CONFIG, leaseMs: LEASE_MS, leaseRenewMs: RENEW_MS }, commands: new JobsCommandQueue(), view: undefined,
      sha256: (data: Uint8Array) => hash('sha256', data, 'buffer'),
      wire: { send: (_to: string, message: JobsMessage) => { this.requests.push(message) }, publish: () => {} }
    }
    this.lease = new LeaderLease(ctx, 'job', 1, 'S', now)
    this.lease.acknowledged(now, now)
    this.effects.setTimer('check', now + LEASE_MS + 1)
  }

  stop (): void {}
  onMessage (): 'ignore' { return 'ignore' }
  drainEffects (): Effect[] { return this.effects.drain() }
  onTimer (_key: string, now: Millis): void {
    if (this.lease === undefined) return
    const valid = this.lease.valid(now)
    this.lease.renewIfDue(now)
    this.onCheck({ valid, requests: this.requests.length })
  }
}

// serial: it steps Date.now back for the whole process while it runs
test.serial('a lease acknowledged just before the wall clock steps back 30 s runs out on time, and is renewed when due', async t => {
  const libp2p = await startNode(t)
  // the wall clock, stubbed before the host exists (it may keep a reference to Date.now), stepped back below
  const wallNow = Date.now
  let steppedBack = 0
  Date.now = () => wallNow() - steppedBack
  t.teardown(() => { Date.now = wallNow })
  const protocol = new LeaseHolder()
  const host = new ProtocolHost({ libp2p, guard: new TopicGuard(libp2p.services.pubsub), logger: silentLogger() }, protocol, { maxMessageBytes: 1024 })
  const checked = new Promise<{ valid: boolean, requests: number }>(resolve => { protocol.onCheck = resolve })
  await host.start()
  t.teardown(async () => { await host.stop() })
  t.is(protocol.requests.length, 1, 'the first lease request went out, and was acknowledged')
  steppedBack = STEP_BACK_MS // NTP steps the clock back right after the acknowledgement
  const seen = await checked
  steppedBack = 0
  t.false(seen.valid, `the lease ran out ${LEASE_MS} ms after it was acknowledged, not ${STEP_BACK_MS} ms later`)
  t.is(seen.requests, 2, 'the lease was asked for again once the renewal was due')
})

test('the driver clock reads whole milliseconds that never go back, as deadlines from it go to AbortSignal.timeout, which refuses a fraction', t => {
  let last = monotonicNow()
  for (let i = 0; i < 1000; i++) {
    const now = monotonicNow()
    t.true(Number.isInteger(now), `${now}`)
    t.true(now >= last)
    last = now
  }
  t.notThrows(() => AbortSignal.timeout(monotonicNow() + 2000 - monotonicNow()))
})
