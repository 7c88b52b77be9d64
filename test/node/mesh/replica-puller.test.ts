import test from 'ava'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { MeshLibp2p } from '../../../node/libp2p/index.js'
import { ReplicaPuller } from '../../../node/mesh/replica-puller.js'
import type { SignedRecord } from '../../../protocols/cache/index.js'
import type { ContentStore } from '../../../src/cas/store.js'

/** A libp2p whose dials never connect (until called off): every pull stays under way. */
function hangingLibp2p (): { libp2p: MeshLibp2p, dials: () => number } {
  let dials = 0
  const dialProtocol = async (_peer: unknown, _protocol: unknown, options: { signal: AbortSignal }): Promise<never> => {
    dials++
    return await new Promise((_resolve, reject) => { options.signal.addEventListener('abort', () => { reject(options.signal.reason) }, { once: true }) })
  }
  return { libp2p: { dialProtocol } as unknown as MeshLibp2p, dials: () => dials }
}

const record = (n: number): SignedRecord => ({ gradleKey: n.toString(16).padStart(40, '0'), size: 100 }) as unknown as SignedRecord
const peer = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

test('a pusher that drops its offers still has at most maxPerPusher pulls running; past that, or maxRunning in all, an offer is answered busy', async t => {
  const stopping = new AbortController()
  t.teardown(() => { stopping.abort(new Error('test over')) })
  const { libp2p, dials } = hangingLibp2p()
  const puller = new ReplicaPuller({
    libp2p, store: {} as unknown as ContentStore, maxEntryBytes: 1 << 20, maxPerPusher: 3, maxRunning: 5, reservedForRecorded: 0, onStored: () => {}, onCorrupt: () => {}
  }, stopping.signal)
  const [a, b] = [await peer(), await peer()]
  const offers = Array.from({ length: 3 }, () => new AbortController())
  const dropped = offers.map(async (offer, i) => await puller.pull(a, record(i), offer.signal).catch((err: Error) => err.message))
  for (const offer of offers) offer.abort(new Error('the pusher gave up'))
  t.deepEqual(await Promise.all(dropped), ['the pusher gave up', 'the pusher gave up', 'the pusher gave up'])
  t.is(await puller.pull(a, record(3), new AbortController().signal), 'busy', 'its three pulls go on without their offers')
  const again = new AbortController()
  const joined = puller.pull(a, record(0), again.signal).catch((err: Error) => err.message)
  again.abort(new Error('gave up again'))
  t.is(await joined, 'gave up again', 'an offer made again joins the pull under way, not refused')
  const fromB = [0, 1].map(async i => await puller.pull(b, record(10 + i), stopping.signal).catch((err: Error) => err.name))
  t.is(await puller.pull(b, record(12), new AbortController().signal), 'busy', 'five pulls in all')
  t.is(dials(), 5, 'one dial per pull: the joined offer made none')
  stopping.abort(new Error('stopped'))
  t.is((await Promise.all(fromB)).length, 2)
})
