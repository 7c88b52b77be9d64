import test from 'ava'
import { randomBytes } from 'node:crypto'
import { Key } from 'interface-datastore/key'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { multiaddr } from '@multiformats/multiaddr'
import { BoundedDhtStore } from '../../../node/libp2p/dht-store.js'
import { MESH_DHT_DATASTORE_PREFIX, MESH_DHT_PROTOCOL } from '../../../node/libp2p/create-node.js'
import type { MeshLibp2p } from '../../../node/libp2p/create-node.js'
import { encodeFrame, StreamReader } from '../../../node/libp2p/stream-reader.js'
import { addressOf, connected, startNode } from './helpers.js'

const providerKey = (cid: string, peer: string): Key => new Key(`/dht/provider/${cid}/${peer}`)
const time = Uint8Array.of(1)

async function count (store: BoundedDhtStore, prefix: string): Promise<number> {
  let n = 0
  for await (const _ of store.queryKeys({ prefix })) n++
  return n
}

test('provider records are capped per provider and in total, the oldest dropped; this node\'s own are kept', async t => {
  const store = new BoundedDhtStore('/dht', 'self', { maxProviderRecords: 20, maxRecordsPerProvider: 10, maxValueRecords: 2 })
  for (let i = 0; i < 25; i++) await store.put(providerKey(`a${i}`, 'A'), time)
  t.is(await count(store, '/dht/provider'), 10, 'A holds its cap')
  t.false(await store.has(providerKey('a14', 'A')))
  t.true(await store.has(providerKey('a15', 'A')), 'the newest kept')

  await store.put(providerKey('a15', 'A'), time) // a re-provide makes a record the newest
  for (let i = 0; i < 10; i++) await store.put(providerKey(`b${i}`, 'B'), time)
  await store.put(providerKey('c0', 'C'), time)
  t.is(store.providerRecords, 20)
  t.false(await store.has(providerKey('a16', 'A')), 'the oldest of all dropped')
  t.true(await store.has(providerKey('a15', 'A')), 'refreshed, so not the oldest')

  for (let i = 0; i < 30; i++) await store.put(providerKey(`s${i}`, 'self'), time)
  t.is(await count(store, '/dht/provider'), 50, 'this node\'s own records are not counted nor dropped')
  await store.delete(providerKey('c0', 'C'))
  t.is(store.providerRecords, 19, 'a deleted record (kad-dht\'s cleanup) no longer counts')

  for (let i = 0; i < 5; i++) await store.put(new Key(`/dht/record/v${i}`), time)
  await store.put(new Key('/peers/anything'), time)
  t.is(await count(store, '/dht/record'), 2)
  t.true(await store.has(new Key('/peers/anything')), 'other keys pass through')
  t.is(store.dropped, 15 + 1 + 3)
})

/** kad-dht's message codec, which the package does not export. */
async function dhtMessages (): Promise<{ encode: (m: object) => Uint8Array }> {
  const url = new URL('./message/dht.js', import.meta.resolve('@libp2p/kad-dht'))
  return (await import(url.href) as { Message: { encode: (m: object) => Uint8Array } }).Message
}

/** Has `from` send `n` ADD_PROVIDER messages of random keys to `to` on one stream; resolves once `to` handled them all. */
async function addProviders (from: MeshLibp2p, to: MeshLibp2p, n: number): Promise<void> {
  const Message = await dhtMessages()
  const stream = await from.dialProtocol(to.peerId, MESH_DHT_PROTOCOL)
  const providers = [{ id: from.peerId.toMultihash().bytes, multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/1').bytes] }]
  for (let i = 0; i < n; i++) {
    const cid = CID.createV1(0x55, await sha256.digest(randomBytes(16)))
    if (!stream.send(encodeFrame(Message.encode({ type: 'ADD_PROVIDER', key: cid.bytes, closer: [], providers })))) await stream.onDrain()
  }
  // the DHT handles a stream's messages in order: the answer to a ping comes after all of them
  stream.send(encodeFrame(Message.encode({ type: 'PING', closer: [], providers: [] })))
  await new StreamReader(stream).readFrame(1024, AbortSignal.timeout(60_000))
  await stream.close()
}

test('a peer sending ADD_PROVIDER in a loop fills at most its share of the DHT store', async t => {
  const victim = await startNode(t, { dhtLimits: { maxRecordsPerProvider: 300, maxProviderRecords: 500 } })
  const flooder = await startNode(t, { bootstrap: [addressOf(victim)] })
  await connected(flooder, victim)
  const store = (victim as unknown as { components: { datastore: BoundedDhtStore } }).components.datastore
  const records = async (): Promise<number> => await count(store, `${MESH_DHT_DATASTORE_PREFIX}/provider`)
  t.is(await records(), 0)
  await addProviders(flooder, victim, 2000)
  t.is(await records(), 300, 'the flooder\'s cap, not the 2000 it sent')
  t.is(store.dropped, 1700)

  const another = await startNode(t, { bootstrap: [addressOf(victim)] })
  await connected(another, victim)
  await addProviders(another, victim, 400)
  t.is(await records(), 500, 'all peers together hold at most the total')
})
