import test from 'ava'
import { nextMsPerCost, RUN_WEIGHT, usPerCostOf } from '../../../protocols/jobs/run-speed.js'

test('a node\'s first run sets its speed, later runs move it by their weight', t => {
  const first = nextMsPerCost(undefined, 40)
  t.is(first, 40)
  t.is(nextMsPerCost(first, 140), 40 + RUN_WEIGHT * 100)
})

test('one slow run does not rule a node\'s speed', t => {
  let speed = nextMsPerCost(undefined, 10)
  for (let i = 0; i < 5; i++) speed = nextMsPerCost(speed, 10)
  t.true(nextMsPerCost(speed, 1_000) < 500)
})

test('bids carry whole microseconds, clamped, and 0 while a node has not run anything', t => {
  t.is(usPerCostOf(undefined), 0)
  t.is(usPerCostOf(1.2345), 1235)
  t.is(usPerCostOf(0.0001), 1)
  t.is(usPerCostOf(1e9), 1_000_000_000)
})
