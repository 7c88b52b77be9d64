import test from 'ava'
import type { ExecutionContext } from 'ava'
import { createHash, randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { MeshInit } from '../../../node/mesh/mesh.js'
import type { CacheHost } from '../../../node/mesh/cache-host.js'
import { ContentStore } from '../../../src/cas/store.js'
import { holdAndAnnounce, startBentNode, type BendEntry } from '../../e2e/in-process-node.js'
import { awaitClaim, loopbackAddress, startNodeInProcess, type InProcessNode } from './in-process-mesh.js'

const MiB = 1024 * 1024
/** Over the 1 MiB read whole in memory before: such an entry went to the store first and was served from there. */
const BIG = 3 * MiB

interface Asker extends InProcessNode { cache: CacheHost }

/** An in-process asking node on loopback, with its own store; stopped and removed in the teardown. */
async function startAsker (t: ExecutionContext, init: Partial<MeshInit> = {}): Promise<Asker> {
  const node = await startNodeInProcess(t, 'gmesh-big-fetch-', init)
  return { ...node, cache: node.mesh.cache! }
}

/** A provider joined to the asker holding `bytes` under `key`, served through `bend`; resolves once the asker indexed its claim. */
async function provide (t: ExecutionContext, asker: Asker, key: string, bytes: Uint8Array, bend: BendEntry = (_key, entry) => entry): Promise<void> {
  const provider = await startBentNode(loopbackAddress(asker.mesh), 'gmesh-big-provider-', bend)
  t.teardown(provider.stop)
  await holdAndAnnounce(provider, key, bytes)
  if (!await awaitClaim(asker.mesh, key, provider.mesh.peerId)) throw new Error('the asker never indexed the provider\'s claim')
}

/**
 * Holds the asker's store write of `key` after the store has written it: `written` resolves then, and the put
 * returns only once `finish()` is called.
 */
function holdStoreWrite (store: ContentStore, key: string): { written: Promise<void>, finish: () => void } {
  const put = store.put.bind(store)
  let wrote = (): void => {}
  const written = new Promise<void>(resolve => { wrote = resolve })
  let finish = (): void => {}
  const finished = new Promise<void>(resolve => { finish = resolve })
  store.put = async (wanted, body, options) => {
    const meta = await put(wanted, body, options)
    if (wanted !== key) return meta
    wrote()
    await finished
    return meta
  }
  return { written, finish }
}

test('a big entry fetched from a peer is answered from its verified bytes before the store has written it', async t => {
  t.timeout(60_000, 'two nodes on a shared 2-core machine')
  const asker = await startAsker(t)
  const key = 'b1'.repeat(20)
  const bytes = randomBytes(BIG)
  await provide(t, asker, key, bytes)
  const write = holdStoreWrite(asker.store, key)
  t.teardown(write.finish)
  // written: the store took every byte and is held there; an answer that waited for the store cannot come first
  const first = await Promise.race([asker.cache.fetchMissing(key, AbortSignal.timeout(27_000)), write.written.then(() => 'the store write came first')])
  t.true(first instanceof Uint8Array, `answered before the store write ended, got: ${String(first)}`)
  t.true(Buffer.from(first as Uint8Array).equals(bytes), 'the verified bytes of the entry')
  const meanwhile = await asker.cache.fetchMissing(key, AbortSignal.timeout(27_000))
  t.true(meanwhile instanceof Uint8Array && Buffer.from(meanwhile).equals(bytes), 'a GET while the store writes it gets the same bytes')
  write.finish()
  t.is(asker.cache.stats.peerHits, 1)
})

test('a big entry whose store write fails is still answered, and the store holds nothing of it', async t => {
  t.timeout(60_000, 'two nodes on a shared 2-core machine')
  const asker = await startAsker(t)
  const key = 'b2'.repeat(20)
  const bytes = randomBytes(BIG)
  await provide(t, asker, key, bytes)
  const put = asker.store.put.bind(asker.store)
  let failed = 0
  // a real write that fails half way (the disk full at 1 MiB): the store discards its temp file
  asker.store.put = async (wanted, body, options) => {
    if (wanted !== key) return await put(wanted, body, options)
    failed++
    return await put(wanted, body, { ...options, maxSize: MiB })
  }
  const answer = await asker.cache.fetchMissing(key, AbortSignal.timeout(27_000))
  t.true(answer instanceof Uint8Array && Buffer.from(answer).equals(bytes), 'the GET gets the verified bytes')
  t.true(failed >= 1, 'the store write was tried and failed')
  t.is(await asker.store.head(key), undefined, 'no entry')
  t.deepEqual(await readdir(path.join(asker.dir, 'tmp')).catch(() => []), [], 'no temp file left')
})

test('a big entry over the memory budget is answered once the store holds it, not before', async t => {
  t.timeout(60_000, 'two nodes on a shared 2-core machine')
  const asker = await startAsker(t, { cacheMemory: { verifiedBodyBudgetBytes: 2 * MiB } })
  const key = 'b3'.repeat(20)
  const bytes = randomBytes(BIG)
  await provide(t, asker, key, bytes)
  const write = holdStoreWrite(asker.store, key)
  t.teardown(write.finish)
  let settled = false
  const answer = asker.cache.fetchMissing(key, AbortSignal.timeout(27_000)).finally(() => { settled = true })
  await write.written
  t.false(settled, 'no answer while the store write is held')
  write.finish()
  t.is(await answer, true, 'answered from the store')
  const stored = await asker.store.get(key)
  t.true(stored?.body !== undefined)
  stored?.body?.destroy()
})

test('a corrupt big body is never served: the GET misses and nothing is stored', async t => {
  t.timeout(60_000, 'two nodes on a shared 2-core machine')
  const asker = await startAsker(t)
  const key = 'b4'.repeat(20)
  const bytes = randomBytes(BIG)
  await provide(t, asker, key, bytes, (_key, entry) => {
    entry.body.destroy()
    const lie = Buffer.from(bytes)
    lie[BIG - 1] = lie[BIG - 1]! ^ 0xff // the last byte: everything before it passes, only the whole body's hash tells
    return { meta: entry.meta, body: Readable.from([lie.subarray(0, MiB), lie.subarray(MiB)]) }
  })
  t.is(await asker.cache.fetchMissing(key, AbortSignal.timeout(27_000)), false)
  t.is(asker.cache.stats.corruptRejected, 1)
  t.is(await asker.store.head(key), undefined)
})

/** The host's reading of a fetched body into memory (private): what a fetch does between its header and its store write. */
type VerifiedInMemory = (key: string, body: AsyncIterable<Uint8Array>, decision: { size: number, sha256: string }, signal: AbortSignal) => Promise<Uint8Array | undefined>

// A progress report runs the lookup synchronously: it may give the body up (cancelFetch, then a miss answered while
// nothing is held yet) and the reader still hand on the bytes it had buffered. The body was verified and held after
// the answer: its reservation never given back, and every later GET of the key served from memory, without a lookup.
test('a big body whose fetch is called off while it is read is not held: nothing kept, nothing reserved', async t => {
  const asker = await startAsker(t)
  const key = 'b5'.repeat(20)
  const bytes = randomBytes(BIG)
  const fetch = new AbortController()
  async function * body (): AsyncGenerator<Uint8Array> {
    yield bytes.subarray(0, MiB)
    fetch.abort(new Error('lookup moved on')) // as the lookup does from the report of these bytes
    yield bytes.subarray(MiB)
  }
  const read = (asker.cache as unknown as { verifiedInMemory: VerifiedInMemory }).verifiedInMemory.bind(asker.cache)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  await t.throwsAsync(async () => { await read(key, body(), { size: BIG, sha256 }, fetch.signal) }, { message: 'lookup moved on' })
  t.deepEqual(asker.cache.heldBodies, { bodies: 0, reservedBytes: 0 })
  t.is(asker.cache.stats.peerHits, 0)
  t.is(await asker.cache.fetchMissing(key, AbortSignal.timeout(27_000)), false, 'no provider: a miss, not the bytes from memory')
})
