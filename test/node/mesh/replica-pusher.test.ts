import test from 'ava'
import type { PushStatus, SignedRecord } from '../../../protocols/cache/index.js'
import { ReplicaPusher, type PushOutcome } from '../../../node/mesh/replica-pusher.js'
import { recordBy } from '../../protocols/cache/helpers.js'

interface Offer { record: SignedRecord, to: string, answer: (status: PushStatus | Error) => void }

interface Harness {
  pusher: ReplicaPusher
  /** Offers sent and not yet taken by `next`. */
  offers: Offer[]
  /** Backoff waits asked for, in ms (recorded, not slept). */
  waits: number[]
  outcomes: PushOutcome[]
  /** The next offer sent (now or once the pusher sends it). */
  next: () => Promise<Offer>
  /** Resolves once `n` pushes have ended. */
  ended: (n: number) => Promise<void>
}

function harness (init: { maxAttempts?: number, maxPeers?: number } = {}): Harness {
  const offers: Offer[] = []
  const waits: number[] = []
  const outcomes: PushOutcome[] = []
  const wakers = new Set<() => void>()
  const wake = (): void => { for (const w of [...wakers]) w() }
  const until = async (ready: () => boolean): Promise<void> => {
    while (!ready()) {
      await new Promise<void>(resolve => {
        const w = (): void => { wakers.delete(w); resolve() }
        wakers.add(w)
      })
    }
  }
  const pusher = new ReplicaPusher({
    send: async (record, to) => await new Promise<PushStatus>((resolve, reject) => {
      offers.push({ record, to, answer: status => { if (status instanceof Error) reject(status); else resolve(status) } })
      wake()
    }),
    onDone: (_record, _to, outcome) => { outcomes.push(outcome); wake() },
    delay: async ms => { waits.push(ms) },
    ...init
  }, new AbortController().signal)
  return {
    pusher,
    offers,
    waits,
    outcomes,
    next: async () => {
      await until(() => offers.length > 0)
      return offers.shift() as Offer
    },
    ended: async n => { await until(() => outcomes.length >= n) }
  }
}

const records = Array.from({ length: 10 }, (_, i) => recordBy('laptop', i))

test('a burst of ten offers to one replica goes out four at a time, the next as one is answered', async t => {
  const { pusher, offers, outcomes, next, ended } = harness()
  for (const record of records) pusher.push(record, 'replica')
  t.is(offers.length, 4, 'four in flight, six waiting')
  for (const record of records) {
    const offer = await next()
    t.is(offer.record, record, 'in PUT order')
    t.true(offers.length <= 3, 'never more than four in flight')
    offer.answer('stored')
  }
  await ended(10)
  t.deepEqual(outcomes, Array(10).fill('pushed'))
})

test('an offer reset or answered busy is made again after a growing wait; a refusal is not', async t => {
  const { pusher, waits, outcomes, next, ended } = harness()
  pusher.push(records[0] as SignedRecord, 'replica')
  ;(await next()).answer(new Error('stream reset: too many streams'))
  ;(await next()).answer('busy')
  ;(await next()).answer('stored')
  await ended(1)
  pusher.push(records[1] as SignedRecord, 'replica')
  ;(await next()).answer('refused')
  await ended(2)
  t.deepEqual(waits, [500, 1000])
  t.deepEqual(outcomes, ['pushed', 'refused'])
})

test('an offer that fails every try is given up and counted; the next one goes out', async t => {
  const { pusher, waits, outcomes, next, ended } = harness({ maxAttempts: 3 })
  pusher.push(records[0] as SignedRecord, 'replica')
  for (let i = 0; i < 3; i++) (await next()).answer('busy')
  await ended(1)
  t.deepEqual(outcomes, ['failed'])
  t.deepEqual(waits, [500, 1000], 'no wait after the last try')
  pusher.push(records[1] as SignedRecord, 'replica')
  ;(await next()).answer('have')
  await ended(2)
  t.deepEqual(outcomes, ['failed', 'pushed'])
})

test('offers still waiting for a peer that left are given up at once; those in flight end on their own', async t => {
  const { pusher, offers, outcomes, next, ended } = harness()
  for (const record of records.slice(0, 6)) pusher.push(record, 'replica')
  pusher.forget('replica')
  t.deepEqual(outcomes, ['failed', 'failed'], 'the two not yet sent')
  for (let i = 0; i < 4 * 4; i++) (await next()).answer(new Error('connection closed'))
  await ended(6)
  t.deepEqual(outcomes, Array(6).fill('failed'))
  t.is(offers.length, 0, 'the forgotten two were never sent')
})

test('a push to a peer past maxPeers others in flight is given up at once, as failed; once one is done, pushes go out again', async t => {
  const { pusher, offers, outcomes, next, ended } = harness({ maxPeers: 2 })
  pusher.push(records[0] as SignedRecord, 'r1')
  pusher.push(records[1] as SignedRecord, 'r2')
  pusher.push(records[2] as SignedRecord, 'r3')
  t.deepEqual(offers.map(o => o.to), ['r1', 'r2'])
  t.deepEqual(outcomes, ['failed'], 'the push to r3 is over at once')
  ;(await next()).answer('stored')
  await ended(2)
  await new Promise(resolve => setImmediate(resolve)) // r1's lane closes once its run has settled
  pusher.push(records[3] as SignedRecord, 'r3')
  t.is((await next()).to, 'r2')
  t.is((await next()).to, 'r3')
})

test('an entry offered again to a replica while its first offer is still in flight is not sent twice, nor takes a second lane', async t => {
  const { pusher, offers, outcomes, next, ended } = harness()
  pusher.push(records[0] as SignedRecord, 'replica')
  const first = await next()
  pusher.push(records[0] as SignedRecord, 'replica') // the backlog's round while the replica still pulls it
  pusher.push(records[0] as SignedRecord, 'replica')
  for (const record of records.slice(1, 4)) pusher.push(record, 'replica')
  t.deepEqual(offers.map(o => o.record), records.slice(1, 4), 'the three new PUTs have the other lanes')
  t.deepEqual(outcomes, [], 'nothing given up either')
  first.answer('stored')
  for (let i = 0; i < 3; i++) (await next()).answer('stored')
  await ended(4)
  t.deepEqual(outcomes, Array(4).fill('pushed'), 'one answer for the entry, as the first offer had it')
  pusher.push(records[0] as SignedRecord, 'replica')
  t.is((await next()).record, records[0], 'once answered, it may be offered again')
})
