import test from 'ava'
import { MEMBERSHIP_TOPIC, Membership } from '../../protocols/membership/index.js'
import type { Millis, Verdict } from '../../protocols/core/index.js'
import { runSimulation } from '../../sim/index.js'

test('gossip reaches a node once per delivery even on duplicating links: gossipsub drops a message id it has seen', t => {
  const seed = 2
  let handled = 0
  class CountsGossip extends Membership {
    override onMessage (from: string, via: string, bytes: Uint8Array, now: Millis): Verdict {
      if (via === MEMBERSHIP_TOPIC) handled++
      return super.onMessage(from, via, bytes, now)
    }
  }
  // lossy-lan duplicates 5% of messages; it neither crashes nor partitions, so every delivery is handled but those a slow node defers past the end
  const result = runSimulation({ scenario: 'lossy-lan', nodes: 60, seed, createProtocol: options => new CountsGossip(options) })
  t.log(`seed ${seed} trace ${result.traceHash}: ${handled} gossip messages handled of ${result.gossipDeliveries} delivered`)
  t.true(handled <= result.gossipDeliveries, `seed ${seed}: ${handled - result.gossipDeliveries} gossip messages handled twice`)
  t.true(handled >= result.gossipDeliveries * 0.999, `seed ${seed}: only ${handled} of ${result.gossipDeliveries} handled`)
  t.true(result.invariantsOk, `seed ${seed}: ${JSON.stringify(result.violations.slice(0, 3))}`)
})
