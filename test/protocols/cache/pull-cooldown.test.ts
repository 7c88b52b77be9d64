import test from 'ava'
import { DEFAULT_PULL_COOLDOWN, PullCooldowns, REPLICA_TIMING } from '../../../protocols/cache/index.js'

const MIN = 60_000

test('defaults: 2 min after a first fault, doubling up to 1 h, forgotten after an hour without one, 1024 pushers', t => {
  t.deepEqual({ ...DEFAULT_PULL_COOLDOWN }, { baseMs: 2 * MIN, maxMs: 60 * MIN, forgetMs: 60 * MIN, maxPushers: 1024 })
  t.is(REPLICA_TIMING.pullCooldownMs, 2 * MIN)
})

test('a fault cools its pusher; each fault after a cool-down ended doubles the next, up to the most', t => {
  const cooldowns = new PullCooldowns(DEFAULT_PULL_COOLDOWN)
  t.is(cooldowns.coolingUntil('p', 0), undefined)
  let now = 0
  const lengths: number[] = []
  for (let i = 0; i < 7; i++) {
    cooldowns.fault('p', now)
    const until = cooldowns.coolingUntil('p', now) ?? now
    lengths.push((until - now) / MIN)
    t.is(cooldowns.coolingUntil('p', until - 1), until)
    t.is(cooldowns.coolingUntil('p', until), undefined, 'over at its end')
    now = until + 35_000 // its next pull cut a window after its cool-down ended
  }
  t.deepEqual(lengths, [2, 4, 8, 16, 32, 60, 60])
  t.is(cooldowns.coolingUntil('q', now), undefined, 'another pusher is not cooling')
})

test('faults while a pusher cools (its other pulls cut in the same window) count once', t => {
  const cooldowns = new PullCooldowns(DEFAULT_PULL_COOLDOWN)
  for (let i = 0; i < 8; i++) cooldowns.fault('p', 35_000 + i * 1000)
  t.is(cooldowns.coolingUntil('p', 35_000), 35_000 + 2 * MIN)
  cooldowns.fault('p', 35_000 + 2 * MIN)
  t.is(cooldowns.coolingUntil('p', 35_000 + 2 * MIN), 35_000 + 6 * MIN, 'the next one, after it ended, is the second')
})

test('a pusher with no fault for an hour after its cool-down starts over at 2 min', t => {
  const cooldowns = new PullCooldowns(DEFAULT_PULL_COOLDOWN)
  cooldowns.fault('p', 0)
  cooldowns.fault('p', 2 * MIN) // 4 min, over at 6 min
  cooldowns.fault('p', 6 * MIN + 60 * MIN - 1)
  t.is(cooldowns.coolingUntil('p', 66 * MIN), 66 * MIN - 1 + 8 * MIN, 'a minute short of an hour: doubled again')
  t.true(cooldowns.struck('p', 134 * MIN - 2), 'its fault on record until then (it does not get the slots kept for the clean)')
  t.false(cooldowns.struck('p', 134 * MIN - 1))
  cooldowns.fault('p', 74 * MIN - 1 + 60 * MIN)
  t.is(cooldowns.coolingUntil('p', 134 * MIN), 134 * MIN - 1 + 2 * MIN, 'an hour clean: back to 2 min')
})

test('the table is bounded: past maxPushers the forgotten go first, then the longest remembered', t => {
  const cooldowns = new PullCooldowns({ ...DEFAULT_PULL_COOLDOWN, maxPushers: 3 })
  cooldowns.fault('old', 0)
  cooldowns.fault('a', 100 * MIN)
  cooldowns.fault('b', 100 * MIN)
  cooldowns.fault('c', 100 * MIN)
  t.is(cooldowns.size, 3)
  t.is(cooldowns.coolingUntil('a', 100 * MIN), 102 * MIN, '`old`, forgotten, made room')
  cooldowns.fault('d', 101 * MIN)
  t.is(cooldowns.size, 3)
  t.is(cooldowns.coolingUntil('a', 101 * MIN), undefined, 'the longest remembered let go')
  t.is(cooldowns.coolingUntil('d', 101 * MIN), 103 * MIN)
})
