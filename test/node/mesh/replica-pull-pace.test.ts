import test from 'ava'
import { PullTooSlowError, ReplicaPuller } from '../../../node/mesh/replica-puller.js'
import { offerDeadlineMs, type SignedRecord } from '../../../protocols/cache/index.js'
import { countingStore, fakeRecord, fedPulls, noLibp2p, SteppedClock } from './pull-fakes.js'

const KiB = 1024
const MiB = 1024 * KiB

/** A puller on REPLICA_TIMING's pace (8 pulls per pusher), its bodies fed by the test on a stepped clock. */
function setup (records: SignedRecord[]): { puller: ReplicaPuller, clock: SteppedClock, bodies: ReturnType<typeof fedPulls>['bodies'], stored: string[] } {
  const stopping = new AbortController()
  const clock = new SteppedClock()
  const { open, bodies } = fedPulls(new Map(records.map(r => [r.gradleKey, r])))
  const stored: string[] = []
  const puller = new ReplicaPuller({
    libp2p: noLibp2p, store: countingStore as never, maxEntryBytes: 200 * MiB, clock, open, onStored: r => { stored.push(r.gradleKey) }, onCorrupt: () => {}
  }, stopping.signal)
  return { puller, clock, bodies, stored }
}

/** Steps the clock a second at a time, each pull's body getting `perSecond(key)` bytes, until every pull is over. */
async function feed (clock: SteppedClock, bodies: ReturnType<typeof fedPulls>['bodies'], perSecond: (key: string, second: number) => number, maxSeconds: number): Promise<number> {
  let second = 0
  while (second < maxSeconds && [...bodies.values()].some(b => !b.done)) {
    second++
    clock.advance(1000)
    await Promise.all([...bodies].map(async ([key, body]) => { await body.send(perSecond(key, second)) }))
  }
  return second
}

const outcome = async (pull: Promise<unknown>): Promise<unknown> => await pull.catch((err: Error) => err.name)

test('an honest pusher on a 3 Mbit/s uplink: eight 100 MiB pulls at 46 KiB/s each, and one alone at that rate, are all stored', async t => {
  t.timeout(60_000)
  const eight = Array.from({ length: 8 }, (_, i) => fakeRecord(i, 100 * MiB, 'slow'))
  const alone = fakeRecord(100, 100 * MiB, 'split') // its pusher's other pulls went to other replicas
  const { puller, clock, bodies, stored } = setup([...eight, alone])
  const pulls = [...eight.map(r => puller.pull('slow', r, new AbortController().signal)), puller.pull('split', alone, new AbortController().signal)]
  const perPull = 3_000_000 / 8 / 8 // bytes per second
  const seconds = await feed(clock, bodies, () => perPull, 3 * 3600)
  t.deepEqual(await Promise.all(pulls.map(outcome)), Array(9).fill('stored'))
  t.is(stored.length, 9)
  t.true(seconds > 2200, `100 MiB at 46 KiB/s takes 37 min (${seconds} s), past the old 25 s + 1600 s + 20 s deadline`)
})

test('an honest pusher on a 1 Mbit/s uplink split over 3 replicas: its eight pulls here at 5 KiB/s each are stored', async t => {
  t.timeout(60_000)
  const eight = Array.from({ length: 8 }, (_, i) => fakeRecord(i, 10 * MiB, 'slower'))
  const { puller, clock, bodies } = setup(eight)
  const pulls = eight.map(r => puller.pull('slower', r, new AbortController().signal))
  // 125,000 B/s over 24 pulls: 5,208 B/s each, 41.7 KB/s here between the eight (the rule asks 32 KiB/s = 4 KiB/s each)
  await feed(clock, bodies, () => Math.floor(125_000 / 24), 3 * 3600)
  t.deepEqual(await Promise.all(pulls.map(outcome)), Array(8).fill('stored'))
})

test('a pusher trickling a byte every 3 s loses its eight pulls at their first window, its slots going to another pusher', async t => {
  const eight = Array.from({ length: 8 }, (_, i) => fakeRecord(i, 100 * MiB, 'trickler'))
  const { puller, clock, bodies } = setup([...eight, fakeRecord(8, 1 * MiB, 'trickler')])
  const pulls = eight.map(r => outcome(puller.pull('trickler', r, new AbortController().signal)))
  t.is(await puller.pull('trickler', fakeRecord(8, 1 * MiB, 'trickler'), new AbortController().signal), 'busy', 'its eight pulls hold its slots')
  const seconds = await feed(clock, bodies, (_key, s) => s % 3 === 0 ? 1 : 0, 3600)
  t.deepEqual(await Promise.all(pulls), Array(8).fill('PullTooSlowError'))
  t.true(seconds <= 35, `cut within a window and a slice of their bodies' start (${seconds} s)`)
  t.is(await puller.pull('trickler', fakeRecord(8, 1 * MiB, 'trickler'), new AbortController().signal), 'busy', 'not straight back to it: it cools down')
  const next = puller.pull('other', fakeRecord(8, 1 * MiB, 'trickler'), new AbortController().signal)
  await feed(clock, bodies, () => 64 * KiB, 60)
  t.is(await next, 'stored', 'its slots are free again')
})

test('a pusher paying 24 KiB/s between its eight pulls (under 32 KiB/s) loses them; the cut says what the window lacked', async t => {
  const eight = Array.from({ length: 8 }, (_, i) => fakeRecord(i, 100 * MiB, 'stingy'))
  const { puller, clock, bodies } = setup(eight)
  const pulls = eight.map(r => puller.pull('stingy', r, new AbortController().signal).catch((err: unknown) => err))
  const seconds = await feed(clock, bodies, () => 3 * KiB, 3600)
  const errors = await Promise.all(pulls)
  t.true(errors.every(e => e instanceof PullTooSlowError))
  t.like(errors[0], { bytes: 30 * 3 * KiB, needed: 30 * 4 * KiB })
  t.true(seconds <= 35, `${seconds} s`)
})

test('a pusher paying just its lowest share (4.1 KiB/s for each of 8 pulls of 100 MiB) holds them 2 h, not the 6.9 h they would take', async t => {
  t.timeout(60_000)
  const eight = Array.from({ length: 8 }, (_, i) => fakeRecord(i, 100 * MiB, 'lowest'))
  const { puller, clock, bodies } = setup(eight)
  const pulls = eight.map(r => outcome(puller.pull('lowest', r, new AbortController().signal)))
  const seconds = await feed(clock, bodies, () => 4200, 8 * 3600)
  t.deepEqual(await Promise.all(pulls), Array(8).fill('PullDeadlineError'))
  t.true(seconds >= 7200 && seconds <= 7201, `cut at the 2 h cap (${seconds} s)`)
})

test('a pull slow but keeping its pace is stored before its pusher stops waiting for the offer\'s answer', async t => {
  t.timeout(60_000)
  // 4 pulls of 10 MiB at 4.1 KiB/s (41 min) and 4 of 100 MiB at 14.6 KiB/s (just under 2 h), all from one pusher
  const small = Array.from({ length: 4 }, (_, i) => fakeRecord(i, 10 * MiB, 'slow'))
  const big = Array.from({ length: 4 }, (_, i) => fakeRecord(10 + i, 100 * MiB, 'slow'))
  const { puller, clock, bodies } = setup([...small, ...big])
  const sizes = new Map([...small, ...big].map(r => [r.gradleKey, r.size]))
  const pulls = [...small, ...big].map(async r => await puller.pull('slow', r, new AbortController().signal).then(status => ({ status, at: clock.now() })))
  await feed(clock, bodies, key => (sizes.get(key) ?? 0) > 10 * MiB ? 15_000 : 4200, 3 * 3600)
  for (const [i, { status, at }] of (await Promise.all(pulls)).entries()) {
    const size = i < 4 ? 10 * MiB : 100 * MiB
    t.is(status, 'stored')
    t.true(at < offerDeadlineMs(size), `stored at ${at / 1000} s, its offer awaited ${offerDeadlineMs(size) / 1000} s`)
  }
})

test('each pull is judged on its own share: one pull well ahead does not carry another behind, though the two bring 32 KiB/s between them', async t => {
  const [ahead, behind] = [fakeRecord(1, 100 * MiB, 'mixed'), fakeRecord(2, 100 * MiB, 'mixed')] as [SignedRecord, SignedRecord]
  const { puller, clock, bodies } = setup([ahead, behind])
  const pulls = [ahead, behind].map(r => outcome(puller.pull('mixed', r, new AbortController().signal)))
  // shares of 16 KiB/s each; 40 KiB/s + 1 KiB/s = 41 KiB/s between them
  await feed(clock, bodies, key => key === ahead.gradleKey ? 40 * KiB : 1 * KiB, 40)
  t.is(await pulls[1], 'PullTooSlowError')
  t.true(bodies.get(ahead.gradleKey)?.done === false, 'the pull ahead of its share goes on')
})

test('a store slow to hash and sync a whole body does not get the pull cut: the pusher sent it all', async t => {
  const stopping = new AbortController()
  t.teardown(() => { stopping.abort(new Error('test over')) })
  const clock = new SteppedClock()
  const record = fakeRecord(1, 1 * MiB, 'fast')
  const { open, bodies } = fedPulls(new Map([[record.gradleKey, record]]))
  let synced: () => void = () => {}
  let took: () => void = () => {}
  const bodyTaken = new Promise<void>(resolve => { took = resolve })
  const slowStore = {
    put: async (key: string, body: AsyncIterable<Uint8Array>, options: { expectedSize?: number, signal: AbortSignal }) => {
      await countingStore.put(key, body, options)
      took()
      await new Promise<void>((resolve, reject) => {
        synced = resolve
        options.signal.addEventListener('abort', () => { reject(options.signal.reason) }, { once: true }) // as the content store heeds it
      })
    }
  }
  const puller = new ReplicaPuller({ libp2p: noLibp2p, store: slowStore as never, maxEntryBytes: 8 * MiB, clock, open, onStored: () => {}, onCorrupt: () => {} }, stopping.signal)
  const pull = outcome(puller.pull('fast', record, new AbortController().signal))
  await feed(clock, bodies, () => 1 * MiB, 10)
  await bodyTaken
  clock.advance(120_000)
  synced()
  t.is(await pull, 'stored')
})
