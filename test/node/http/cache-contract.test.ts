import test from 'ava'
import { connect } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readlink, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'node:http'
import { ContentStore } from '../../../src/cas/store.js'
import { GradleCacheHandler, type CacheGetObservation, type ProofOfPut } from '../../../src/gradle/http-cache.js'
import type { BlobStore } from '../../../src/cas/types.js'
import { silentLogger } from '../../../src/config/logger.js'
import { ControlApi } from '../../../node/http/control-api.js'
import { advertisedHost, NodeHttpServer } from '../../../node/http/server.js'
import { serve } from './cache-server.js'

const key = (n: number): string => createHash('sha256').update(`key-${n}`).digest('hex')

/** Sends raw bytes and returns the status line: the client cannot tidy the path up first. */
async function rawStatus (port: number, head: string): Promise<number> {
  const socket = connect(port, '127.0.0.1')
  socket.end(head)
  let text = ''
  for await (const chunk of socket) text += String(chunk)
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1])
}

async function filesUnder (dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter(e => e.isFile()).map(e => join(e.parentPath, e.name))
}

test('an entry PUT is served back by GET and HEAD, and a miss is a 404', async t => {
  const { url } = await serve(t)
  const body = randomBytes(5 * 1024)
  t.is((await fetch(`${url}/cache/${key(1)}`, { method: 'PUT', body })).status, 200)
  const hit = await fetch(`${url}/cache/${key(1)}`)
  t.is(hit.status, 200)
  t.deepEqual(Buffer.from(await hit.arrayBuffer()), body)
  const head = await fetch(`${url}/cache/${key(1)}`, { method: 'HEAD' })
  t.is(head.headers.get('content-length'), String(body.length))
  t.is((await fetch(`${url}/cache/${key(2)}`)).status, 404)
  t.is((await fetch(`${url}/cache/${key(2)}`, { method: 'HEAD' })).status, 404)
})

test('a PUT\'s entry carries the proof of its signed record by the time the 200 arrives; a signer that fails costs only the proof', async t => {
  let failing = false
  const proofOf: ProofOfPut = entry => {
    if (failing) throw new Error('no key')
    return { producer: 'self', signature: `1:5:${entry.key.slice(0, 4)}${entry.sha256.slice(0, 4)}${entry.size}` }
  }
  const { url, store } = await serve(t, { proofOf })
  const body = randomBytes(5 * 1024)
  const sha = createHash('sha256').update(body).digest('hex')
  t.is((await fetch(`${url}/cache/${key(3)}`, { method: 'PUT', body })).status, 200)
  t.like(await store.head(key(3)), { sha256: sha, producer: 'self', signature: `1:5:${key(3).slice(0, 4)}${sha.slice(0, 4)}${body.length}` })
  failing = true
  t.is((await fetch(`${url}/cache/${key(4)}`, { method: 'PUT', body })).status, 200)
  const unsigned = await store.head(key(4))
  t.is(unsigned?.sha256, sha)
  t.is(unsigned?.producer, undefined)
})

test('malformed keys are 400, never a redirect or a crash', async t => {
  const { url } = await serve(t)
  const bad = ['', 'abc', 'a'.repeat(31), 'a'.repeat(129), 'A'.repeat(64), 'g'.repeat(64), `${key(1)}.bin`, `${key(1)}/x`]
  for (const k of bad) {
    const res = await fetch(`${url}/cache/${k}`, { redirect: 'manual' })
    t.is(res.status, 400, `key "${k}"`)
  }
  t.is((await fetch(`${url}/cache/${key(1)}`, { method: 'POST', body: 'x' })).status, 405)
  t.is((await fetch(`${url}/elsewhere`)).status, 404)
})

test('path tricks and encoded slashes are refused', async t => {
  const { port, dir } = await serve(t)
  const before = await filesUnder(dir)
  for (const path of ['/cache/../x', '/cache/..%2f..%2fetc%2fpasswd', `/cache/${key(1).slice(0, 40)}%2F${key(1).slice(0, 20)}`, '/cache/%2e%2e/x']) {
    t.is(await rawStatus(port, `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`), 400, path)
  }
  t.is(await rawStatus(port, `GET /../cache/${key(1)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`), 404)
  t.deepEqual((await filesUnder(dir)).filter(f => !f.includes('/index/')), before.filter(f => !f.includes('/index/')))
})

test('a truncated PUT body stores nothing and leaves no temp file', async t => {
  const { port, http, store, dir, url } = await serve(t)
  const socket = connect(port, '127.0.0.1')
  socket.write(`PUT /cache/${key(3)} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n`)
  socket.write(randomBytes(1000))
  await new Promise<void>(resolve => socket.end(resolve))
  socket.destroy()
  await new Promise(resolve => socket.once('close', resolve))
  await http.whenIdle()
  t.is(store.stats().entries, 0)
  t.deepEqual(await readdir(join(dir, 'tmp')), [])
  t.is((await fetch(`${url}/cache/${key(3)}`)).status, 404)
})

/** Files under `dir` this process holds open (Linux). */
async function openFilesUnder (dir: string): Promise<string[]> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map(async fd => await readlink(`/proc/self/fd/${fd}`).catch(() => '')))
  return targets.filter(target => target.startsWith(dir))
}

test('a client that disconnects mid-GET does not disturb the node', async t => {
  const { port, http, url, dir } = await serve(t)
  const body = randomBytes(20 * 1024 * 1024)
  await fetch(`${url}/cache/${key(4)}`, { method: 'PUT', body })
  const socket = connect(port, '127.0.0.1')
  socket.write(`GET /cache/${key(4)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
  await new Promise(resolve => socket.once('data', resolve))
  socket.destroy()
  await http.whenIdle()
  t.deepEqual(await openFilesUnder(join(dir, 'blobs')), [], 'the blob file is closed')
  const again = await fetch(`${url}/cache/${key(4)}`)
  t.true(Buffer.from(await again.arrayBuffer()).equals(body))
  t.deepEqual(await openFilesUnder(join(dir, 'blobs')), [], 'and closed after a whole response too')
})

async function putStreamed (port: number, k: string, total: number, chunked: boolean): Promise<number> {
  const chunk = randomBytes(1024 * 1024)
  return await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: `/cache/${k}`, headers: chunked ? {} : { 'Content-Length': total } }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    let sent = 0
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length
        if (!req.write(chunk)) { req.once('drain', pump); return }
      }
      req.end()
    }
    pump()
  })
}

test('a 200 MiB PUT with the default 100 MiB limit is drained, dropped, counted and answered 2xx', async t => {
  const { port, store, cache, dir } = await serve(t)
  t.is(await putStreamed(port, key(5), 200 * 1024 * 1024, false), 202)
  t.is(await putStreamed(port, key(6), 200 * 1024 * 1024, true), 202, 'also without a Content-Length')
  t.is(store.stats().entries, 0)
  t.is(cache.counters.oversized, 2)
  t.deepEqual(await readdir(join(dir, 'tmp')), [])
})

test('a blob corrupted on disk is never served: 404 and quarantined', async t => {
  const { url, store, dir } = await serve(t)
  const body = randomBytes(4096)
  await fetch(`${url}/cache/${key(7)}`, { method: 'PUT', body })
  const sha = createHash('sha256').update(body).digest('hex')
  const blob = join(dir, 'blobs', sha.slice(0, 2), sha)
  const bytes = await readFile(blob)
  bytes[100] = bytes[100]! ^ 0xff
  await writeFile(blob, bytes)
  t.is((await fetch(`${url}/cache/${key(7)}`)).status, 404)
  t.is(store.stats().quarantined, 1)
  t.is((await fetch(`${url}/cache/${key(7)}`)).status, 404)
})

test('an internal read error is answered 404, so Gradle keeps its remote cache on', async t => {
  const { url } = await serve(t, { wrap: store => ({ ...store, stats: () => store.stats(), head: async k => await store.head(k), put: async (k, b, o) => await store.put(k, b, o), get: async () => { throw new Error('disk on fire') } }) })
  t.is((await fetch(`${url}/cache/${key(8)}`)).status, 404)
})

test('a PUT the store fails after reading the whole body is answered 202, so Gradle keeps its remote cache on', async t => {
  const failingPut = (store: BlobStore): BlobStore => ({
    ...store, stats: () => store.stats(), head: async k => await store.head(k), get: async (k, o) => await store.get(k, o),
    put: async (_k, body) => {
      for await (const _ of body as AsyncIterable<Uint8Array>) {} // the whole body read, then the disk is full
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
    }
  })
  const { url, cache } = await serve(t, { wrap: failingPut })
  for (const size of [5 * 1024, 300 * 1024]) {
    const res = await fetch(`${url}/cache/${key(20 + size)}`, { method: 'PUT', body: randomBytes(size), signal: AbortSignal.timeout(5000) })
    t.is(res.status, 202, `${size} bytes`)
  }
  t.is(cache.counters.internalErrors, 2)
  t.is(cache.counters.aborted, 0)
})

test('the server bounds how long headers and a silent socket may take, so a stalled client cannot hold a socket forever', async t => {
  const { http } = await serve(t)
  const server = (http as unknown as { server: import('node:http').Server }).server
  t.is(server.headersTimeout, 60_000)
  t.is(server.timeout, 120_000, 'a silent socket is closed after 2 minutes')
})

test('an action that works longer than the idle limit before it answers (a verify of a big cache) still gets its answer', async t => {
  const logger = silentLogger()
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-http-idle-'))
  const store = await ContentStore.open({ dir, maxBytes: 1024 ** 2, logger })
  const cache = new GradleCacheHandler({ store, logger })
  const slowVerify = async (): Promise<{ checked: number, quarantined: number }> => await new Promise(resolve => { setTimeout(() => { resolve({ checked: 7, quarantined: 0 }) }, 600) })
  const api = new ControlApi({ token: 'a'.repeat(64), logger, status: () => ({}), cacheGc: async () => await store.gc(), cacheVerify: slowVerify })
  const http = new NodeHttpServer({ cache, api, logger }, { host: '127.0.0.1', port: 0, idleSocketMs: 200 })
  await http.start()
  t.teardown(async () => { await http.stop(); await store.close(); await rm(dir, { recursive: true, force: true }) })
  const res = await fetch(`${http.url}/api/v1/cache/verify`, { method: 'POST', headers: { Authorization: `Bearer ${'a'.repeat(64)}` } })
  t.deepEqual(await res.json(), { checked: 7, quarantined: 0 })
})

test('a local miss is answered from what the peer lookup brings: verified bytes, the entry now stored, or nothing', async t => {
  const inMemory = randomBytes(3000)
  const stored = randomBytes(2000)
  const seen: CacheGetObservation[] = []
  const { url, store } = await serve(t, {
    onGet: observation => { seen.push(observation) },
    fetchMissing: async k => {
      if (k === key(20)) return inMemory
      if (k !== key(21)) return false
      await store.put(k, stored)
      return true
    }
  })
  const fromMemory = await fetch(`${url}/cache/${key(20)}`)
  t.is(fromMemory.status, 200)
  t.is(fromMemory.headers.get('content-length'), '3000')
  t.deepEqual(Buffer.from(await fromMemory.arrayBuffer()), inMemory)
  t.deepEqual(Buffer.from(await (await fetch(`${url}/cache/${key(21)}`)).arrayBuffer()), stored)
  t.is((await fetch(`${url}/cache/${key(22)}`)).status, 404)
  t.deepEqual(seen.map(o => [o.source, o.bytes]), [['peer', 3000], ['peer', 2000], ['miss', 0]])
})

test('the control API wants the bearer token', async t => {
  const { url } = await serve(t)
  t.is((await fetch(`${url}/api/v1/status`)).status, 401)
  t.is((await fetch(`${url}/api/v1/status`, { headers: { Authorization: 'Bearer nope' } })).status, 401)
  const ok = await fetch(`${url}/api/v1/status`, { headers: { Authorization: `Bearer ${'a'.repeat(64)}` } })
  t.is(ok.status, 200)
  t.is(((await ok.json()) as { cache: { entries: number } }).cache.entries, 0)
  t.is((await fetch(`${url}/api/v1/nothing`, { headers: { Authorization: `Bearer ${'a'.repeat(64)}` } })).status, 404)
})

test('a server listening on every address says it is reached on loopback', t => {
  t.is(advertisedHost({ address: '0.0.0.0', family: 'IPv4', port: 5071 }), '127.0.0.1')
  t.is(advertisedHost({ address: '::', family: 'IPv6', port: 5071 }), '[::1]')
  t.is(advertisedHost({ address: '127.0.0.1', family: 'IPv4', port: 5071 }), '127.0.0.1')
  t.is(advertisedHost({ address: '::1', family: 'IPv6', port: 5071 }), '[::1]')
})

test('a web page that points a name of its own at the node can neither PUT nor read the cache (DNS rebinding)', async t => {
  const { port, store } = await serve(t)
  const rebound = 'Host: evil.example:5071\r\nOrigin: http://evil.example:5071'
  t.is(await rawStatus(port, `PUT /cache/${key(1)} HTTP/1.1\r\n${rebound}\r\nContent-Length: 4\r\nConnection: close\r\n\r\nevil`), 421)
  t.is(await store.head(key(1)), undefined, 'nothing stored')
  await store.put(key(2), Buffer.from('kept'))
  t.is(await rawStatus(port, `GET /cache/${key(2)} HTTP/1.1\r\n${rebound}\r\nConnection: close\r\n\r\n`), 421)
  // what Gradle sends: the address it was given
  t.is(await rawStatus(port, `GET /cache/${key(2)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`), 200)
  t.is(await rawStatus(port, `GET /cache/${key(2)} HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`), 200)
})

test('a small hit is answered at once from the store\'s getNow, a big one through get(): alike to Gradle, counted and observed as local hits', async t => {
  const answered = { now: 0, get: 0 }
  const seen: CacheGetObservation[] = []
  const { url, cache } = await serve(t, {
    onGet: observation => { seen.push(observation) },
    wrap: store => ({
      stats: () => store.stats(),
      head: async (k, o) => await store.head(k, o),
      put: async (k, b, o) => await store.put(k, b, o),
      get: async (k, o) => { answered.get++; return await store.get(k, o) },
      getNow: k => { const bytes = store.getNow?.(k); if (bytes !== undefined) answered.now++; return bytes }
    })
  })
  const [small, big] = [randomBytes(5 * 1024), randomBytes(100 * 1024)]
  await fetch(`${url}/cache/${key(30)}`, { method: 'PUT', body: small })
  await fetch(`${url}/cache/${key(31)}`, { method: 'PUT', body: big })
  for (const [k, body] of [[key(30), small], [key(31), big]] as const) {
    const hit = await fetch(`${url}/cache/${k}`)
    t.is(hit.status, 200)
    t.is(hit.headers.get('content-type'), 'application/vnd.gradle.build-cache-artifact.v1')
    t.is(hit.headers.get('content-length'), String(body.length))
    t.deepEqual(Buffer.from(await hit.arrayBuffer()), body)
  }
  t.deepEqual(answered, { now: 1, get: 1 })
  t.like(cache.counters, { gets: 2, hits: 2, misses: 0 })
  t.deepEqual(seen.map(o => [o.source, o.bytes]), [['local', small.length], ['local', big.length]])
})
