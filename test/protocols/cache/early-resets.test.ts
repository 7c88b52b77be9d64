import test from 'ava'
import { DEFAULT_EARLY_RESETS, EarlyResets } from '../../../protocols/cache/index.js'

const MIN = 60_000

test('defaults: the third episode within 10 min is a fault; ends within 5 s of an episode\'s first are that episode', t => {
  t.deepEqual({ ...DEFAULT_EARLY_RESETS }, { togetherMs: 5000, withinMs: 10 * MIN, episodes: 3, maxPushers: 1024 })
})

test('ends together are one episode; the third episode within the window is a fault, and each later one while three fall within it', t => {
  const resets = new EarlyResets(DEFAULT_EARLY_RESETS)
  for (let i = 0; i < 8; i++) t.false(resets.ended('p', i * 500), 'eight pulls of one dropped connection: one episode')
  t.false(resets.ended('p', 5000), 'a second episode')
  t.true(resets.ended('p', 10_000), 'the third within 10 min')
  t.false(resets.ended('p', 12_000), 'its other pulls ending with it: the same episode')
  t.true(resets.ended('p', 5 * MIN), 'the fourth, three still within 10 min')
  t.false(resets.ended('other', 5 * MIN), 'each pusher its own count')
})

test('episodes older than the window are forgotten: three spread over more than 10 min are no fault', t => {
  const resets = new EarlyResets(DEFAULT_EARLY_RESETS)
  t.false(resets.ended('p', 0))
  t.false(resets.ended('p', 9 * MIN))
  t.false(resets.ended('p', 19 * MIN), 'the first is 19 min old')
  t.false(resets.ended('p', 20 * MIN), 'two within the last 10 min: 19 and 20')
  t.true(resets.ended('p', 21 * MIN), 'three within the last 10 min')
})

test('the table is bounded: past maxPushers the forgotten go first, then the longest remembered', t => {
  const resets = new EarlyResets({ ...DEFAULT_EARLY_RESETS, maxPushers: 2 })
  resets.ended('old', 0)
  resets.ended('a', 11 * MIN)
  resets.ended('b', 11 * MIN)
  t.is(resets.size, 2, 'the one with no episode left in the window let go')
  resets.ended('c', 12 * MIN)
  t.is(resets.size, 2)
  t.false(resets.ended('a', 12 * MIN + 10_000), 'a was let go: it starts over')
})
