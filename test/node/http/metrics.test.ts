import test from 'ava'
import { createHash } from 'node:crypto'
import { serveApi } from './api-server.js'

const key = (n: number): string => createHash('sha256').update(`metrics-${n}`).digest('hex')

function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${series} `))
  return line == null ? undefined : Number(line.slice(series.length + 1))
}

test('/metrics counts lookups by source, bytes, GET latency and rejected gossip; units and elections are defined at zero', async t => {
  const { url, events } = await serveApi(t)
  t.is((await fetch(`${url}/cache/${key(1)}`, { method: 'PUT', body: Buffer.alloc(1000, 1) })).status, 200)
  t.is((await fetch(`${url}/cache/${key(1)}`).then(async r => await r.arrayBuffer())).byteLength, 1000)
  t.is((await fetch(`${url}/cache/${key(2)}`)).status, 404)
  events.emit({ type: 'message-rejected', topic: 'gmesh/v1/cache', peer: 'p', reason: 'oversize' })
  events.emit({ type: 'peer-fetch', key: key(3), peer: 'p', result: 'ok', bytes: 500, ms: 12 })

  const response = await fetch(`${url}/metrics`)
  t.is(response.status, 200)
  t.regex(response.headers.get('content-type') ?? '', /text\/plain/)
  const text = await response.text()
  t.is(sample(text, 'gmesh_cache_lookups_total{source="local",result="hit"}'), 1)
  t.is(sample(text, 'gmesh_cache_lookups_total{source="local",result="miss"}'), 1)
  t.is(sample(text, 'gmesh_cache_lookups_total{source="peer",result="miss"}'), 1)
  t.is(sample(text, 'gmesh_cache_lookups_total{source="peer",result="hit"}'), 0)
  t.is(sample(text, 'gmesh_bytes_total{direction="in",via="gradle"}'), 1000)
  t.is(sample(text, 'gmesh_bytes_total{direction="out",via="gradle"}'), 1000)
  t.is(sample(text, 'gmesh_bytes_total{direction="in",via="peer"}'), 500)
  t.is(sample(text, 'gmesh_cache_get_seconds_count{source="local"}'), 1)
  t.is(sample(text, 'gmesh_peer_fetch_seconds_count{result="ok"}'), 1)
  t.is(sample(text, 'gmesh_messages_rejected_total{topic="gmesh/v1/cache",reason="oversize"}'), 1)
  t.is(sample(text, 'gmesh_units_total{outcome="stolen"}'), 0)
  t.is(sample(text, 'gmesh_elections_total'), 0)
  t.is(sample(text, 'gmesh_cache_entries'), 1)
  t.is(sample(text, 'gmesh_cache_evictions_total'), 0)
  t.is(sample(text, 'gmesh_cache_get_seconds_bucket{le="0.0001",source="miss"}') !== undefined, true, 'buckets from 100 µs')
  t.is(sample(text, 'gmesh_cache_get_seconds_bucket{le="30",source="local"}'), 1, 'up to the 30 s Gradle waits')
  t.is(sample(text, 'gmesh_peers'), 0)
  t.is((await fetch(`${url}/metrics`, { method: 'POST' })).status, 405)
})

test('/metrics counts the units this node ran, stole and requeued, and the terms it led', async t => {
  const { url, events } = await serveApi(t)
  events.emit({ type: 'unit', jobId: 'j', unitId: 'u1', name: ':money', outcome: 'success', ms: 900 })
  events.emit({ type: 'unit', jobId: 'j', unitId: 'u2', name: ':text', outcome: 'failed', ms: 300 })
  events.emit({ type: 'units-stolen', units: 3 })
  events.emit({ type: 'units-requeued', jobId: 'j', units: 2, from: 'w2' })
  events.emit({ type: 'leading', jobId: 'j', term: 2 })
  const text = await (await fetch(`${url}/metrics`)).text()
  t.is(sample(text, 'gmesh_units_total{outcome="run"}'), 2)
  t.is(sample(text, 'gmesh_units_total{outcome="stolen"}'), 3)
  t.is(sample(text, 'gmesh_units_total{outcome="requeued"}'), 2)
  t.is(sample(text, 'gmesh_elections_total'), 1)
})

test('/metrics counts the entries the store evicted to keep its budget', async t => {
  const { url } = await serveApi(t, { cacheMaxBytes: 2500 })
  for (const n of [1, 2, 3, 4]) t.is((await fetch(`${url}/cache/${key(10 + n)}`, { method: 'PUT', body: Buffer.alloc(1000, n) })).status, 200)
  const text = await (await fetch(`${url}/metrics`)).text()
  t.is(sample(text, 'gmesh_cache_evictions_total'), 2)
  t.is(sample(text, 'gmesh_cache_entries'), 2)
})
