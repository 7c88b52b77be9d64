import test from 'ava'
import { ExcusedTime } from '../../../sim/cache/excused-time.js'

test('the time an accepted body streams is not counted against the GET; the wait for its header is', t => {
  const clock = new ExcusedTime(6)
  const atIssue = clock.clock(1, 'k', 0)
  clock.fetchStarted(1, 'k', 'p', 0)
  clock.bodyStarted(1, 'k', 400)
  clock.fetchEnded(1, 'k', 'p', true, 3400)
  clock.fetchStarted(1, 'k', 'q', 3400)
  t.is(clock.clock(1, 'k', 4000) - atIssue, 3000)
})

test('a lookup waiting for a fetch slot (every slot of a provider taken by its other fetches) is not counted', t => {
  const clock = new ExcusedTime(2)
  clock.fetchStarted(1, 'a', 'p', 0)
  clock.fetchStarted(1, 'b', 'p', 0)
  const atIssue = clock.clock(1, 'c', 0)
  clock.fetchEnded(1, 'a', 'p', false, 700)
  clock.fetchStarted(1, 'c', 'p', 700)
  t.is(clock.slotsFull, 2, 'all taken at 0 ms, and again when c took the slot a freed')
  t.is(clock.clock(1, 'c', 1000) - atIssue, 700, 'waited 700 ms for a slot, then fetching')
  t.is(clock.clock(1, 'b', 1000), 0, 'a fetch in flight waits for nothing')
})

test('a paused node\'s time is not counted, and shows in its paused clock', t => {
  const clock = new ExcusedTime(6)
  const atIssue = clock.clock(2, 'k', 100)
  clock.fetchStarted(2, 'k', 'p', 100)
  clock.paused(2, true, 500)
  clock.paused(2, false, 4500)
  t.is(clock.clock(2, 'k', 5000) - atIssue, 4000)
  t.is(clock.pausedClock(2, 5000), 4000)
  t.is(clock.pausedClock(3, 5000), 0)
})

test('a lookup waiting to ask busy providers again is not counted, until its next fetch and after its answer', t => {
  const clock = new ExcusedTime(6)
  const atIssue = clock.clock(1, 'k', 0)
  clock.fetchStarted(1, 'k', 'p', 0)
  clock.busyHeard(1, 'k', 10)
  clock.fetchEnded(1, 'k', 'p', false, 10)
  clock.fetchStarted(1, 'k', 'p', 810)
  t.is(clock.clock(1, 'k', 1000) - atIssue, 800, 'waited 800 ms on the busy provider, then fetching')
  clock.fetchEnded(1, 'k', 'p', false, 1000)
  clock.lookupAnswered(1, 'k', 1000)
  t.is(clock.clock(1, 'k', 3000) - atIssue, 800, 'the next lookup of the key has heard no busy answer')
})
