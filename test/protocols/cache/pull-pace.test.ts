import test from 'ava'
import { DEFAULT_PULL_TIMING, offerDeadlineMs, PullPace, pullDeadlineMs, REPLICA_TIMING } from '../../../protocols/cache/index.js'
import type { PullTiming } from '../../../protocols/cache/index.js'

const KiB = 1024
/** 30 s windows in 5 s slices, 32 KiB/s per pusher: REPLICA_TIMING's. */
const timing: PullTiming = DEFAULT_PULL_TIMING

/** A pace whose body started at 0 (its pusher running `pulls` pulls here), fed `perSecond(t)` bytes in the middle of each second t (1, 2, ...). */
function run (pace: PullPace, seconds: number, perSecond: (t: number) => number): { cutAt?: number, reason?: string } {
  pace.bodyStarted(0)
  for (let t = 1; t <= seconds; t++) {
    pace.received(perSecond(t), t * 1000 - 500)
    if (t * 1000 % timing.sliceMs === 0) {
      const verdict = pace.check(t * 1000)
      if (!verdict.ok) return { cutAt: t, reason: verdict.reason }
    }
  }
  return {}
}

test('defaults: 32 KiB/s per pusher over 30 s windows judged every 5 s; the absolute deadline at the lowest share (4 KiB/s of 8 pulls), at most 2 h', t => {
  t.is(REPLICA_TIMING.minPusherPullBytesPerSecond, 32 * KiB)
  t.deepEqual([timing.windowMs, timing.sliceMs, timing.headerMs, timing.slackMs, timing.maxMs], [30_000, 5_000, 25_000, 20_000, 7_200_000])
  t.is(pullDeadlineMs(0, timing, 8), 75_000)
  t.is(pullDeadlineMs(27 * 1024 * KiB, timing, 8), 75_000 + 6_912_000, '27 MiB at 4 KiB/s: under 2 h')
  t.is(pullDeadlineMs(100 * 1024 * KiB, timing, 8), 2 * 3600_000, '100 MiB: 2 h, not 7.1 h at 4 KiB/s')
  t.is(pullDeadlineMs(100 * 1024 * KiB, timing, 1), 75_000 + 3_200_000, 'one pull per pusher: its share is the whole rate')
  // 100 MiB in 2 h less its header, window and slack: 14.5 KiB/s, what a 1.5 Mbit/s uplink gives each of 12 pulls
  t.true(100 * 1024 * KiB / ((2 * 3600_000 - 75_000) / 1000) < 1_500_000 / 8 / 12)
})

test('a pusher awaits an offer\'s answer as long as the replica\'s pull may take, and 30 s more', t => {
  t.is(offerDeadlineMs(1024 * KiB), 75_000 + 256_000 + 30_000, '1 MiB: 6 min')
  t.is(offerDeadlineMs(100 * 1024 * KiB), 2 * 3600_000 + 30_000, '100 MiB: the 2 h cap and 30 s')
  for (const size of [0, 1, 64 * KiB, 10 * 1024 * KiB, 200 * 1024 * KiB]) t.true(offerDeadlineMs(size) > pullDeadlineMs(size, timing, 8))
})

test('a pull alone from its pusher must bring 32 KiB/s over each window; not judged in its first window', t => {
  t.deepEqual(run(new PullPace(timing, Infinity, 1), 600, () => 33 * KiB), {}, 'just above the rate, for 10 minutes')
  t.deepEqual(run(new PullPace(timing, Infinity, 1), 600, () => 31 * KiB), { cutAt: 30, reason: 'too-slow' }, 'just under: cut at its first window')
  t.deepEqual(run(new PullPace(timing, Infinity, 1), 29, () => 0), {}, 'nothing yet, but its first window is not over')
})

test('the window slides: a burst of a window\'s bytes buys one window, not more', t => {
  const burst = (s: number): number => s === 1 ? 30 * 32 * KiB : 0
  t.deepEqual(run(new PullPace(timing, Infinity, 1), 120, burst), { cutAt: 35, reason: 'too-slow' }, 'the slice with the burst slid out of the window')
  // an even pace with a pause: 64 KiB/s, then nothing for 10 s, every 30 s — 42.7 KiB/s on average over any window
  const pausing = (s: number): number => s % 30 < 20 ? 64 * KiB : 0
  t.deepEqual(run(new PullPace(timing, Infinity, 1), 600, pausing), {})
})

test('each pull owes its pusher\'s rate divided by the pusher\'s pulls here (the most of them in each slice)', t => {
  t.deepEqual(run(new PullPace(timing, Infinity, 8), 600, () => 5 * KiB), {}, 'eight pulls at 5 KiB/s: 40 KiB/s between them')
  t.deepEqual(run(new PullPace(timing, Infinity, 8), 600, () => 3 * KiB), { cutAt: 30, reason: 'too-slow' }, 'eight at 3 KiB/s: 24 KiB/s')
  // the other seven end at 60 s: from then the pull owes the whole rate, at its old pace it is cut once its window is all alone
  const pace = new PullPace(timing, Infinity, 8)
  pace.bodyStarted(0)
  let cutAt: number | undefined
  for (let s = 1; s <= 200 && cutAt === undefined; s++) {
    if (s === 61) pace.shared(1, 60_000)
    pace.received(5 * KiB, s * 1000 - 500)
    if (s % 5 === 0 && !pace.check(s * 1000).ok) cutAt = s
  }
  t.true(cutAt !== undefined && cutAt > 60 && cutAt <= 90, `cut once its window owes more than its share of 8 (${String(cutAt)} s)`)
})

test('a pusher trickling a byte every 3 s is cut at its first window; the absolute deadline cuts any pull past it', t => {
  t.deepEqual(run(new PullPace(timing, Infinity, 1), 600, s => s % 3 === 0 ? 1 : 0), { cutAt: 30, reason: 'too-slow' })
  t.deepEqual(run(new PullPace(timing, Infinity, 8), 600, s => s % 3 === 0 ? 1 : 0), { cutAt: 30, reason: 'too-slow' }, 'however many pulls it holds')
  const pace = new PullPace(timing, 40_000, 1)
  t.true(pace.check(39_999).ok, 'before the header: only the deadline is judged')
  t.like(pace.check(40_000), { ok: false, reason: 'past-deadline' })
})

test('once the whole body came, the pace no longer judges: the store\'s hashing and syncing are not the pusher\'s', t => {
  const pace = new PullPace(timing, 60_000, 1)
  pace.bodyStarted(0)
  pace.received(100, 1000)
  t.like(pace.check(35_000), { ok: false, reason: 'too-slow' })
  pace.bodyEnded()
  t.true(pace.check(35_000).ok)
  t.true(pace.check(90_000).ok)
})
