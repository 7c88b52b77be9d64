import test from 'ava'
import { ReplicaPuller } from '../../../node/mesh/replica-puller.js'
import type { SignedRecord } from '../../../protocols/cache/index.js'
import { countingStore, fakeRecord, fedPulls, noLibp2p, SteppedClock, type FedBody } from './pull-fakes.js'

const KiB = 1024
const MiB = 1024 * KiB

/** A puller on REPLICA_TIMING's pace and cool-downs (8 pulls per pusher, 32 in all), its bodies fed on a stepped clock. */
function setup (records: SignedRecord[]): { puller: ReplicaPuller, clock: SteppedClock, bodies: Map<string, FedBody> } {
  const stopping = new AbortController()
  const clock = new SteppedClock()
  const { open, bodies } = fedPulls(new Map(records.map(r => [r.gradleKey, r])))
  const puller = new ReplicaPuller({
    libp2p: noLibp2p, store: countingStore as never, maxEntryBytes: 200 * MiB, clock, open, onStored: () => {}, onCorrupt: () => {}
  }, stopping.signal)
  return { puller, clock, bodies }
}

/**
 * One second: the clock steps, each body still open gets `perSecond(body)` bytes (bodies over are let go), and what
 * that settles (a pull cut, its pusher's cool-down, a joined offer's own pull) is over before the next second.
 */
async function second (clock: SteppedClock, bodies: Map<string, FedBody>, perSecond: (body: FedBody) => number): Promise<void> {
  clock.advance(1000)
  for (const [key, body] of bodies) if (body.done) bodies.delete(key)
  await Promise.all([...bodies.values()].map(async body => { await body.send(perSecond(body)) }))
  await new Promise(resolve => setImmediate(resolve))
}

const outcome = async (pull: Promise<unknown>): Promise<unknown> => await pull.catch((err: Error) => err.name)

/** Steps seconds (from `s`) until `pull` is over, at most 600; returns the last second. */
async function until (pull: Promise<unknown>, clock: SteppedClock, bodies: Map<string, FedBody>, s: number): Promise<number> {
  let over = false
  void pull.finally(() => { over = true })
  for (const last = s + 600; !over && s < last;) await second(clock, bodies, trickle(++s))
  return s
}
const offer = (): AbortSignal => new AbortController().signal
const trickle = (s: number) => (body: FedBody): number => body.from.startsWith('trickler') ? (s % 3 === 0 ? 1 : 0) : 64 * KiB

test('a pusher cut for trickling cools down: its offers are busy for 2 min, then 4 min after its next cut', async t => {
  const records = Array.from({ length: 20 }, (_, i) => fakeRecord(i, 100 * MiB, 'trickler'))
  const { puller, clock, bodies } = setup(records)
  const first = outcome(puller.pull('trickler', records[0] as SignedRecord, offer()))
  const s = await until(first, clock, bodies, 0)
  t.is(await first, 'PullTooSlowError')
  const cooling = puller.coolingUntil('trickler') ?? 0
  t.true(cooling - clock.now() > 2 * 60_000 - 1000 && cooling - clock.now() <= 2 * 60_000, 'cools 2 min from its cut')
  t.is(await puller.pull('trickler', records[1] as SignedRecord, offer()), 'busy', 'no fresh window straight after its cut')
  clock.advance(cooling - 1 - clock.now())
  t.is(await puller.pull('trickler', records[2] as SignedRecord, offer()), 'busy', 'still cooling a millisecond before its end')
  clock.advance(1)
  const again = outcome(puller.pull('trickler', records[3] as SignedRecord, offer()))
  t.true(bodies.has((records[3] as SignedRecord).gradleKey), 'its cool-down over, its offer is pulled')
  await until(again, clock, bodies, s)
  t.is(await again, 'PullTooSlowError')
  const longer = (puller.coolingUntil('trickler') ?? 0) - clock.now()
  t.true(longer > 4 * 60_000 - 1000 && longer <= 4 * 60_000, `its second cut doubles its cool-down (${longer} ms)`)
})

test('four identities trickling into 8 slots each hold the 24 open to pushers with no record only until their first cut: an honest pusher gets its entries stored', async t => {
  t.timeout(120_000)
  const tricklers = ['trickler-1', 'trickler-2', 'trickler-3', 'trickler-4']
  const trickled = tricklers.flatMap((id, n) => Array.from({ length: 720 }, (_, i) => fakeRecord(10_000 * (n + 1) + i, 100 * MiB, id)))
  const honest = Array.from({ length: 120 }, (_, i) => fakeRecord(100_000 + i, 1 * MiB, 'honest'))
  const { puller, clock, bodies } = setup([...trickled, ...honest])
  const offered = new Map(tricklers.map(id => [id, 0]))
  const offerAll = (): void => {
    for (const id of tricklers) {
      for (let k = 0; k < 8; k++) {
        const n = offered.get(id) ?? 0
        offered.set(id, n + 1)
        void outcome(puller.pull(id, trickled[tricklers.indexOf(id) * 720 + n] as SignedRecord, offer()))
      }
    }
  }
  offerAll()
  t.is(bodies.size, 24, 'the four fill every slot but the 8 kept for pushers with a record')
  const answers: Array<Promise<unknown>> = []
  let trickling = 0
  for (let s = 1; s <= 3600; s++) {
    if (s % 30 === 1) answers.push(outcome(puller.pull('honest', honest[(s - 1) / 30] as SignedRecord, offer()))) // the last done by 3600
    if (s % 45 === 0) offerAll() // eight fresh offers per identity every 45 s, as fast as their cut pulls free their slots
    await second(clock, bodies, trickle(s))
    trickling += [...bodies.values()].filter(b => b.from.startsWith('trickler')).length
  }
  const got = await Promise.all(answers)
  t.deepEqual(got.slice(0, 2), ['busy', 'busy'], 'busy while the four held the 24 slots open to it (it has no record yet), before their first cut')
  t.deepEqual(got.slice(2), Array(118).fill('stored'), 'then stored: its first stored pull gives it a record, and the 8 slots kept for those')
  t.true(trickling < 32 * 3600 / 10, `the tricklers held ${Math.round(trickling / 3600)} slots on average, not all 32`)
})

test('another pusher\'s offer that joined a pull cut for its first pusher\'s slowness starts its own pull, and is stored', async t => {
  const record = fakeRecord(1, 4 * MiB, 'producer')
  const { puller, clock, bodies } = setup([record])
  const trickled = outcome(puller.pull('trickler', record, offer()))
  const joined = outcome(puller.pull('honest', record, offer()))
  t.is(bodies.get(record.gradleKey)?.from, 'trickler', 'one pull, from the first pusher')
  await until(joined, clock, bodies, 0)
  t.is(await trickled, 'PullTooSlowError')
  t.is(await joined, 'stored', 'pulled again from the pusher that joined, not failed with the trickler\'s cut')
  t.is(puller.coolingUntil('honest'), undefined, 'and that pusher is not cooling')
})

test('identities rotated so that none has a fault cannot hold the last 8 slots: a pusher that delivered lately keeps them', async t => {
  t.timeout(120_000)
  const honest = Array.from({ length: 40 }, (_, i) => fakeRecord(100_000 + i, 1 * MiB, 'honest'))
  const rotated = Array.from({ length: 4000 }, (_, i) => fakeRecord(200_000 + i, 100 * MiB, `trickler-${Math.floor(i / 8)}`))
  const { puller, clock, bodies } = setup([...honest, ...rotated])
  let next = 0
  const offerFresh = (identities: number): void => {
    for (let k = 0; k < identities * 8; k++) void outcome(puller.pull((rotated[next] as SignedRecord).producer, rotated[next++] as SignedRecord, offer()))
  }
  const answers: Array<Promise<unknown>> = []
  for (let s = 1; s <= 1200; s++) {
    if (s % 30 === 1) answers.push(outcome(puller.pull('honest', honest[(s - 1) / 30] as SignedRecord, offer())))
    if (s % 10 === 1) offerFresh(4) // four fresh identities, eight offers each, every 10 s: every free slot they may take
    await second(clock, bodies, trickle(s))
  }
  const got = await Promise.all(answers)
  t.is(got[0], 'stored', 'the first, before any trickler came')
  t.deepEqual(got.slice(1), Array(39).fill('stored'), 'each later one too: the rotated identities share 24 slots, not 32')
})
