import test from 'ava'
import type { RpcBodyResponse } from '../../../node/libp2p/index.js'
import { ReplicaPuller, type ReplicaPullerInit } from '../../../node/mesh/replica-puller.js'
import { casFrameCodec, type SignedRecord } from '../../../protocols/cache/index.js'
import { countingStore, fakeRecord, noLibp2p, SteppedClock } from './pull-fakes.js'

const KiB = 1024
const MiB = 1024 * KiB
const offer = (): AbortSignal => new AbortController().signal
const outcome = async (pull: Promise<unknown>): Promise<unknown> => await pull.catch((err: Error) => (err as { code?: string }).code ?? err.name)
const resetError = (): Error => Object.assign(new Error('stream reset'), { name: 'StreamResetError' })

function puller (init: Partial<ReplicaPullerInit>, clock: SteppedClock): ReplicaPuller {
  return new ReplicaPuller({
    libp2p: noLibp2p, store: countingStore as never, maxEntryBytes: 200 * MiB, clock, onStored: () => {}, onCorrupt: () => {}, ...init
  }, new AbortController().signal)
}

/** Serves each pull its record's header (`size` bytes) and 16 KiB, then holds the body until `reset()` resets every stream held. */
function resettingPulls (size = 100 * MiB): { open: NonNullable<ReplicaPullerInit['open']>, reset: () => void, held: () => number } {
  let resets: Array<() => void> = []
  const open = async (_from: string, key: string): Promise<RpcBodyResponse> => {
    const record = fakeRecord(Number.parseInt(key, 16), size)
    const gone = new Promise<void>(resolve => { resets.push(resolve) })
    return {
      header: casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size }),
      body: (async function * () { yield new Uint8Array(16 * KiB); await gone; throw resetError() })(),
      abort: () => {}
    }
  }
  const reset = (): void => { for (const resolve of resets.splice(0)) resolve() }
  return { open, reset, held: () => resets.length }
}

/** Offers `n` fresh entries from `pusher`; resolves once the body of each is held. */
async function offerPulls (p: ReplicaPuller, pusher: string, first: number, n: number, held: () => number): Promise<Array<Promise<unknown>>> {
  const pulls = Array.from({ length: n }, (_, i) => outcome(p.pull(pusher, fakeRecord(first + i, 100 * MiB) as SignedRecord, offer())))
  while (held() < n) await new Promise(resolve => setImmediate(resolve))
  return pulls
}

test('a pusher resetting its 8 pulls just inside their free first window is cooled at its third such episode within 10 min, not before', async t => {
  const clock = new SteppedClock()
  const { open, reset, held } = resettingPulls()
  const p = puller({ open }, clock)
  for (let episode = 1; episode <= 3; episode++) {
    const pulls = await offerPulls(p, 'resetter', episode * 100, 8, held)
    clock.advance(29_000) // the pace's ticks run: nothing judged in the first 30 s
    reset()
    t.deepEqual(await Promise.all(pulls), Array(8).fill('StreamResetError'))
    if (episode < 3) t.is(p.coolingUntil('resetter'), undefined, `episode ${episode}: its 8 pulls reset together count once, and once is no fault`)
    clock.advance(1000)
  }
  const cooling = (p.coolingUntil('resetter') ?? 0) - clock.now()
  t.true(cooling > 2 * 60_000 - 2000 && cooling <= 2 * 60_000, `the third episode cools it 2 min (${cooling} ms)`)
  t.is(await p.pull('resetter', fakeRecord(999, 100 * MiB), offer()), 'busy', 'no fresh free window meanwhile')

  clock.advance(2 * 60_000)
  t.is(p.coolingUntil('resetter'), undefined)
  const again = await offerPulls(p, 'resetter', 1000, 1, held)
  reset()
  t.deepEqual(await Promise.all(again), ['StreamResetError'])
  const longer = (p.coolingUntil('resetter') ?? 0) - clock.now()
  t.true(longer > 4 * 60_000 - 1000 && longer <= 4 * 60_000, `its next early reset within 10 min cools it again, for 4 min (${longer} ms)`)
})

test('an honest pusher whose connection drops now and then is not cooled: two drops in 10 min, or three spread over more', async t => {
  const clock = new SteppedClock()
  const { open, reset, held } = resettingPulls()
  const p = puller({ open }, clock)
  for (const [episode, after] of [[1, 9], [2, 10], [3, 10], [4, 0]] as const) { // at 0, 9, 19 and 29 min
    const pulls = await offerPulls(p, 'honest', episode * 100, 4, held)
    reset()
    t.deepEqual(await Promise.all(pulls), Array(4).fill('StreamResetError'))
    t.is(p.coolingUntil('honest'), undefined, `drop ${episode}: at most two within any 10 min`)
    clock.advance(after * 60_000)
  }
})

test('a pusher resetting its pulls before their header is cooled at its third episode too', async t => {
  const clock = new SteppedClock()
  const p = puller({ open: async (): Promise<RpcBodyResponse> => { throw resetError() } }, clock)
  for (let episode = 1; episode <= 3; episode++) {
    t.is(p.coolingUntil('resetter'), undefined)
    t.is(await outcome(p.pull('resetter', fakeRecord(episode, MiB), offer())), 'StreamResetError')
    clock.advance(20_000)
  }
  t.not(p.coolingUntil('resetter'), undefined, 'cooled at its third')
})

test('honest ends repeated are never an early reset: a pusher answering busy or missing, this node\'s store failing, this node stopping', async t => {
  const clock = new SteppedClock()
  const answering = (status: 'busy' | 'missing'): ReplicaPullerInit['open'] => async () => ({
    header: casFrameCodec.encode({ type: 'fetch-response', status }), body: (async function * () {})(), abort: () => {}
  })
  const busy = puller({ open: answering('busy') }, clock)
  const missing = puller({ open: answering('missing') }, clock)
  const full = {
    put: async (_key: string, body: AsyncIterable<Uint8Array>): Promise<never> => {
      for await (const _ of body) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
      throw new Error('unreachable')
    }
  }
  const { open } = resettingPulls(MiB)
  const disk = puller({ open, store: full as never }, clock)
  const stopping = new AbortController()
  const stopped = new ReplicaPuller({
    libp2p: noLibp2p, store: countingStore as never, maxEntryBytes: 200 * MiB, clock, onStored: () => {}, onCorrupt: () => {},
    open: async (_from, _key, options) => { stopping.abort(); throw options.signal.reason }
  }, stopping.signal)
  for (let episode = 1; episode <= 4; episode++) {
    const record = fakeRecord(episode, MiB)
    t.is(await busy.pull('pusher', record, offer()), 'busy')
    t.is(await missing.pull('pusher', record, offer()), 'refused')
    t.is(await outcome(disk.pull('pusher', record, offer())), 'ENOSPC')
    await outcome(stopped.pull('pusher', record, offer()))
    clock.advance(30_000)
  }
  t.is(busy.coolingUntil('pusher'), undefined, 'busy')
  t.is(missing.coolingUntil('pusher'), undefined, 'missing')
  t.is(disk.coolingUntil('pusher'), undefined, 'this node\'s full disk')
  t.is(stopped.coolingUntil('pusher'), undefined, 'this node stopping')
})
