import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { NodeLoadGenerator } from '../../bench/lib/node-load.js'
import { findNginx, NginxServer } from '../../bench/lib/nginx.js'
import { processes } from '../../bench/lib/processes.js'
import { findWrk, WrkGenerator } from '../../bench/lib/wrk.js'
import type { LoadGenerator } from '../../bench/lib/load.js'

/** A minimal Gradle HTTP cache in memory, counting what it is sent. */
async function memoryCache (): Promise<{ server: Server, cacheUrl: string, store: Map<string, Buffer>, gets: () => number }> {
  const store = new Map<string, Buffer>()
  let gets = 0
  const server = createServer((req, res) => {
    const key = (req.url ?? '').slice('/cache/'.length)
    if (req.method === 'PUT') {
      const parts: Buffer[] = []
      req.on('data', (c: Buffer) => parts.push(c)).on('end', () => { store.set(key, Buffer.concat(parts)); res.writeHead(200).end() })
      return
    }
    gets++
    const body = store.get(key)
    if (body == null) res.writeHead(404).end()
    else res.writeHead(200, { 'content-length': body.length }).end(body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address == null || typeof address === 'string') throw new Error('no address')
  return { server, cacheUrl: `http://127.0.0.1:${address.port}/cache/`, store, gets: () => gets }
}

async function checkGenerator (t: import('ava').ExecutionContext, gen: LoadGenerator, maxRequests: number): Promise<void> {
  const cache = await memoryCache()
  try {
    cache.store.set('a'.repeat(64), Buffer.alloc(5120, 1))
    cache.store.set('b'.repeat(64), Buffer.alloc(5120, 2))
    const get = await gen.run({ kind: 'get', cacheUrl: cache.cacheUrl, keys: ['a'.repeat(64), 'b'.repeat(64)], connections: 4, durationMs: 1000, maxRequests })
    t.true(get.ok > 0)
    t.is(get.errors, 0)
    // wrk stops at the deadline without counting the answers still in flight: at most one per connection.
    t.true(cache.gets() >= get.ok && cache.gets() <= get.ok + 4)
    t.true(get.bytes >= get.ok * 5120)
    t.true(get.p50Ms > 0 && get.p99Ms >= get.p50Ms)
    const put = await gen.run({ kind: 'put', cacheUrl: cache.cacheUrl, keyPrefix: 'c'.repeat(24), bodySize: 5120, connections: 4, durationMs: 1000, maxRequests })
    t.true(put.ok > 0)
    const stored = cache.store.size - 2
    t.true(stored >= put.ok && stored <= put.ok + 4, `every PUT has its own key (${stored} stored, ${put.ok} answered)`)
    const bodies = new Set([...cache.store.values()].map((b) => b.toString('latin1')))
    t.is(bodies.size, cache.store.size, 'every PUT has its own body')
    t.true([...cache.store.values()].every((b) => b.length === 5120))
  } finally {
    cache.server.closeAllConnections()
    cache.server.close()
  }
}

test('the Node load generator GETs known keys and PUTs fresh keys with distinct bodies, bounded in count', async (t) => {
  const cache = await memoryCache()
  try {
    const result = await new NodeLoadGenerator().run({ kind: 'get', cacheUrl: cache.cacheUrl, keys: ['d'.repeat(64)], connections: 2, durationMs: 10_000, maxRequests: 50 })
    t.is(result.ok + result.errors, 50, 'stops at maxRequests long before the time is up')
    t.is(result.errors, 50, 'a 404 counts as an error')
  } finally {
    cache.server.closeAllConnections()
    cache.server.close()
  }
  await checkGenerator(t, new NodeLoadGenerator(), 2000)
})

const wrk = findWrk()
;(wrk != null ? test : test.skip)('wrk GETs known keys and PUTs fresh keys with distinct bodies', async (t) => {
  await checkGenerator(t, new WrkGenerator(wrk ?? 'wrk', 1), 1_000_000)
})

;(findNginx() != null ? test : test.skip)('nginx serves files, takes WebDAV PUTs, answers 404 on a miss and stops by pid', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-bench-nginx-test-'))
  const nginx = new NginxServer({ dir: join(dir, 'conf'), root: join(dir, 'files'), workers: 1 })
  try {
    await nginx.start()
    const key = 'e'.repeat(64)
    const put = await fetch(nginx.cacheUrl + key, { method: 'PUT', body: 'entry' })
    t.true(put.status >= 200 && put.status < 300)
    t.is(await readFile(join(dir, 'files', 'cache', key), 'utf8'), 'entry')
    t.is(await (await fetch(nginx.cacheUrl + key)).text(), 'entry')
    t.is((await fetch(nginx.cacheUrl + 'f'.repeat(64))).status, 404)
    const pid = nginx.pid
    await nginx.stop()
    t.false(processes.list().some((p) => p.pid === pid))
    t.throws(() => process.kill(pid ?? 0, 0), { code: 'ESRCH' })
  } finally {
    await nginx.stop()
    await rm(dir, { recursive: true, force: true })
  }
})
