// Worker thread of the Node load generator: keep-alive http.Agent, one request loop per connection.
import { Agent, request } from 'node:http'
import { parentPort, workerData } from 'node:worker_threads'
import { percentile, putBodyStamp, putKey, type LoadResult, type LoadSpec } from './load.js'

interface Answer { ok: boolean, bytes: number }

const spec = workerData as LoadSpec
const url = new URL(spec.cacheUrl)
const agent = new Agent({ keepAlive: true, maxSockets: spec.connections, maxFreeSockets: spec.connections })
const filler = spec.kind === 'put' ? Buffer.alloc(spec.bodySize - 16, 'gmesh-bench-') : Buffer.alloc(0)

function send (method: string, path: string, body?: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const headers = body != null ? { 'content-length': body.length, 'content-type': 'application/octet-stream' } : {}
    const req = request({ agent, host: url.hostname, port: url.port, method, path, headers, timeout: 10_000 }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('end', () => {
        const ok = res.statusCode != null && res.statusCode >= 200 && res.statusCode < 300
        resolve({ ok, bytes: body != null ? body.length : bytes })
      })
      res.on('error', () => { resolve({ ok: false, bytes: 0 }) })
    })
    req.on('timeout', () => { req.destroy(new Error('timeout')) })
    req.on('error', () => { resolve({ ok: false, bytes: 0 }) })
    req.end(body)
  })
}

function nextRequest (n: number): Promise<Answer> {
  if (spec.kind === 'get') return send('GET', url.pathname + spec.keys[n % spec.keys.length])
  const body = Buffer.concat([Buffer.from(putBodyStamp(0, n)), filler])
  return send('PUT', url.pathname + putKey(spec.keyPrefix, 0, n), body)
}

async function main (): Promise<LoadResult> {
  const latencies = new Float64Array(spec.maxRequests)
  let issued = 0
  let done = 0
  let ok = 0
  let bytes = 0
  const started = performance.now()
  const deadline = started + spec.durationMs
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline && issued < spec.maxRequests) {
      const n = issued++
      const t0 = performance.now()
      const answer = await nextRequest(n)
      latencies[done++] = performance.now() - t0
      if (answer.ok) { ok++; bytes += answer.bytes }
    }
  }
  await Promise.all(Array.from({ length: spec.connections }, loop))
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  const sorted = latencies.subarray(0, done).sort()
  return { generator: 'node', ok, errors: done - ok, seconds, bytes, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) }
}

parentPort?.postMessage(await main())
