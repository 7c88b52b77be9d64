import test from 'ava'
import { createHash, randomBytes } from 'node:crypto'
import { truncate, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { flipByte } from '../../cas/helpers.js'
import { serve, type Served } from './cache-server.js'

const KEY = 'ef'.repeat(16)

/** PUTs 5000 random bytes under KEY; resolves to the path of their blob file. */
async function stored (served: Served): Promise<string> {
  const body = randomBytes(5000)
  const put = await fetch(`${served.url}/cache/${KEY}`, { method: 'PUT', body })
  if (put.status !== 200) throw new Error(`PUT answered ${put.status}`)
  const sha = createHash('sha256').update(body).digest('hex')
  return join(served.dir, 'blobs', sha.slice(0, 2), sha)
}

async function status (served: Served, method: 'GET' | 'HEAD'): Promise<number> {
  const res = await fetch(`${served.url}/cache/${KEY}`, { method })
  await res.arrayBuffer()
  return res.status
}

test('HEAD of an entry whose blob file is gone is a 404, as its GET would be, and the entry is dropped', async t => {
  const served = await serve(t)
  await unlink(await stored(served))
  t.is(await status(served, 'HEAD'), 404)
  t.is(await served.store.head(KEY), undefined, 'dropped, as a GET drops it')
  t.is(await status(served, 'GET'), 404)
})

test('HEAD of an entry whose blob file has another size is a 404, and the blob is quarantined', async t => {
  const served = await serve(t)
  await truncate(await stored(served), 4000)
  t.is(await status(served, 'HEAD'), 404)
  t.like(served.store.stats(), { entries: 0, quarantined: 1 })
  t.is(await status(served, 'GET'), 404)
})

test('HEAD does not hash: a blob corrupted in place at its size is a 200 until a GET finds it out (then 404 for both)', async t => {
  const served = await serve(t)
  await flipByte(await stored(served), 10)
  const head = await fetch(`${served.url}/cache/${KEY}`, { method: 'HEAD' })
  t.is(head.status, 200)
  t.is(head.headers.get('content-length'), '5000')
  t.is(await status(served, 'GET'), 404)
  t.is(await status(served, 'HEAD'), 404)
  t.like(served.store.stats(), { entries: 0, quarantined: 1 })
})
