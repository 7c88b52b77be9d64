import test from 'ava'
import type { RpcBodyResponse } from '../../../node/libp2p/index.js'
import { ReplicaPuller, type ReplicaPullerInit } from '../../../node/mesh/replica-puller.js'
import { casFrameCodec } from '../../../protocols/cache/index.js'
import { countingStore, fakeRecord, fedPulls, noLibp2p, SteppedClock } from './pull-fakes.js'

const MiB = 1024 * 1024
const offer = (): AbortSignal => new AbortController().signal
const outcome = async (pull: Promise<unknown>): Promise<unknown> => await pull.catch((err: Error) => (err as { code?: string }).code ?? err.name)

function puller (init: Partial<ReplicaPullerInit>, clock = new SteppedClock()): ReplicaPuller {
  return new ReplicaPuller({
    libp2p: noLibp2p, store: countingStore as never, maxEntryBytes: 200 * MiB, clock, onStored: () => {}, onCorrupt: () => {}, ...init
  }, new AbortController().signal)
}

/** Serves every pull the same header, and no body. */
const answering = (header: Uint8Array): ReplicaPullerInit['open'] => async (): Promise<RpcBodyResponse> => ({
  header, body: (async function * () {})(), abort: () => {}
})

test('a pusher answering busy (its upload slots full) does not cool down: its next offer is pulled', async t => {
  const record = fakeRecord(1, MiB)
  const busy = puller({ open: answering(casFrameCodec.encode({ type: 'fetch-response', status: 'busy' })) })
  t.is(await busy.pull('pusher', record, offer()), 'busy')
  t.is(busy.coolingUntil('pusher'), undefined, 'busy is an honest answer')
})

test('a pusher that let the entry go (missing) does not cool down; one naming the offered hash with another size does', async t => {
  const record = fakeRecord(1, MiB)
  const missing = puller({ open: answering(casFrameCodec.encode({ type: 'fetch-response', status: 'missing' })) })
  t.is(await missing.pull('pusher', record, offer()), 'refused')
  t.is(missing.coolingUntil('pusher'), undefined)
  const wrong = puller({ open: answering(casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: MiB + 1 })) })
  t.is(await wrong.pull('pusher', record, offer()), 'refused')
  t.not(wrong.coolingUntil('pusher'), undefined, 'a wrong header is the pusher\'s doing')
  const garbage = puller({ open: answering(Uint8Array.of(1)) })
  t.is(await garbage.pull('pusher', record, offer()), 'refused')
  t.not(garbage.coolingUntil('pusher'), undefined, 'and so is a header that is none')
})

test('a pusher whose key was PUT again with other bytes since its offer (a header naming other bytes) does not cool down, and nothing is stored', async t => {
  const record = fakeRecord(1, MiB)
  let put = 0
  let stored = 0
  let aborted = 0
  const changed = puller({
    open: async (): Promise<RpcBodyResponse> => ({
      header: casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: 'cd'.repeat(32), size: 2 * MiB }),
      body: (async function * () { yield new Uint8Array(2 * MiB) })(),
      abort: () => { aborted++ }
    }),
    store: { put: async () => { put++; return {} as never } } as never,
    onStored: () => { stored++ }
  })
  for (let i = 0; i < 3; i++) t.is(await changed.pull('pusher', record, offer()), 'refused', 'the offered entry is not there any more')
  t.is(changed.coolingUntil('pusher'), undefined, 'a changed entry is not the pusher\'s fault: its next offer is pulled')
  t.deepEqual({ put, stored, aborted }, { put: 0, stored: 0, aborted: 3 }, 'its bytes are not read, let alone stored under the offered hash')
})

test('this node\'s store failing (a full disk) does not cool the pusher whose bytes it was writing', async t => {
  const record = fakeRecord(1, MiB)
  const { open, bodies } = fedPulls(new Map([[record.gradleKey, record]]))
  const full = {
    put: async (_key: string, body: AsyncIterable<Uint8Array>): Promise<never> => {
      for await (const _ of body) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
      throw new Error('unreachable')
    }
  }
  const p = puller({ open, store: full as never })
  const pulled = outcome(p.pull('pusher', record, offer()))
  void bodies.get(record.gradleKey)?.send(64 * 1024) // taken by a store that then fails: never acknowledged
  t.is(await pulled, 'ENOSPC')
  t.is(p.coolingUntil('pusher'), undefined, 'the disk is this node\'s, not the pusher\'s')
})

test('a stream reset in the body\'s free first window does not cool its pusher; a pull cut by its pace does', async t => {
  const record = fakeRecord(1, 100 * MiB)
  const reset = puller({
    open: async (): Promise<RpcBodyResponse> => ({
      header: casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size }),
      body: (async function * () { yield new Uint8Array(1024); throw Object.assign(new Error('stream reset'), { name: 'StreamResetError' }) })(),
      abort: () => {}
    })
  })
  t.is(await outcome(reset.pull('pusher', record, offer())), 'StreamResetError')
  t.is(reset.coolingUntil('pusher'), undefined, 'a restarting pusher, a dropped connection')

  const clock = new SteppedClock()
  const { open, bodies } = fedPulls(new Map([[record.gradleKey, record]]))
  const slow = puller({ open }, clock)
  const pulled = outcome(slow.pull('pusher', record, offer()))
  let over = false
  void pulled.finally(() => { over = true })
  for (let s = 0; s < 120 && !over; s++) {
    clock.advance(1000)
    await bodies.get(record.gradleKey)?.send(1)
    await new Promise(resolve => setImmediate(resolve))
  }
  t.is(await pulled, 'PullTooSlowError')
  t.not(slow.coolingUntil('pusher'), undefined, 'too slow for its pace is the pusher\'s fault')
})
