// Raw libp2p transfer figures between two loopback nodes, the references the peer-fetch benchmark
// is measured against: 10 MiB over one stream (plain, stream-rpc body, with pnet) against a plain
// TCP socket, and request->reply latency of 5 KiB with stream-rpc against a TCP round trip.
// Runnable alone: node dist/bench/libp2p-stream.js [--quick]
import { randomBytes } from 'node:crypto'
import { createServer, connect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { availableParallelism, loadavg } from 'node:os'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshLibp2p, type MeshLibp2p } from '../node/libp2p/create-node.js'
import { callRpc, openRpc, StreamRpcServer } from '../node/libp2p/stream-rpc.js'
import { generateSwarmKey } from '../node/libp2p/swarm-key.js'
import { sendAll } from '../node/libp2p/stream-reader.js'
import { median, percentile } from './lib/load.js'
import { fmtMs, fmtNumber, renderTable, type ResultRow } from './lib/table.js'

const KiB = 1024
const MiB = 1024 * KiB
const BLOB = 10 * MiB
const SMALL = 5 * KiB
const RAW = '/gmesh/bench-raw/1.0.0'
const RPC = '/gmesh/bench-rpc/1.0.0'
const RTT_WARM_UP = 50

interface Pair { server: MeshLibp2p, client: MeshLibp2p, stop: () => Promise<void> }

async function startPair (blob: Uint8Array, small: Uint8Array, swarmKey?: Uint8Array): Promise<Pair> {
  const start = async (): Promise<MeshLibp2p> => await createMeshLibp2p({
    privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, swarmKey
  })
  const server = await start()
  const client = await start()
  await server.handle(RAW, async stream => {
    for (let offset = 0; offset < blob.byteLength; offset += 64 * KiB) await sendAll(stream, blob.subarray(offset, offset + 64 * KiB))
    await stream.close()
  })
  const rpc = new StreamRpcServer(server, {
    protocol: RPC,
    maxRequestBytes: 64 * KiB,
    handler: async request => request.byteLength === 0 ? { header: new Uint8Array(0), body: chunks(blob) } : small
  })
  await rpc.start()
  await client.dial(multiaddr(server.getMultiaddrs()[0].toString()))
  return { server, client, stop: async () => { await rpc.stop(); await Promise.all([client.stop(), server.stop()]) } }
}

async function * chunks (blob: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < blob.byteLength; offset += 64 * KiB) yield blob.subarray(offset, offset + 64 * KiB)
}

/** Milliseconds to receive the whole blob over a fresh raw stream on the existing connection. */
async function rawStreamMs (pair: Pair): Promise<number> {
  const started = performance.now()
  const stream = await pair.client.dialProtocol(pair.server.peerId, RAW)
  await stream.close()
  let received = 0
  for await (const chunk of stream) received += chunk.byteLength
  if (received !== BLOB) throw new Error(`raw stream delivered ${received} of ${BLOB} bytes`)
  return performance.now() - started
}

async function rpcBodyMs (pair: Pair): Promise<number> {
  const started = performance.now()
  const response = await openRpc(pair.client, pair.server.peerId, RPC, new Uint8Array(0),
    { signal: AbortSignal.timeout(60_000), deadlineMs: 10_000, maxBodyBytes: BLOB })
  let received = 0
  for await (const chunk of response.body) received += chunk.byteLength
  if (received !== BLOB) throw new Error(`stream-rpc body delivered ${received} of ${BLOB} bytes`)
  return performance.now() - started
}

async function rpcLatencies (pair: Pair, request: Uint8Array, count: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const reply = await callRpc(pair.client, pair.server.peerId, RPC, request, { signal: AbortSignal.timeout(10_000), deadlineMs: 5000 })
    out.push(performance.now() - started)
    if (reply.byteLength !== SMALL) throw new Error(`stream-rpc reply of ${reply.byteLength} bytes`)
  }
  return out
}

/**
 * Plain TCP on loopback, like with like with the libp2p side: one open connection each, an untimed warm-up first.
 * A connection whose first byte is 0x42 gets `blob` for each byte it sends; any other gets a `size`-byte reply per message.
 */
async function tcpReference (blob: Uint8Array, runs: number, size: number, count: number): Promise<{ blobMs: number[], rttMs: number[] }> {
  const reply = randomBytes(size) // made once, as the stream-rpc server's reply is: no work inside the timed round trip
  const server = createServer(socket => {
    socket.once('data', first => {
      if (first[0] === 0x42) serveBlobs(socket, blob, first)
      else echo(socket, reply, first)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  try {
    return { blobMs: await tcpBlobRuns(port, blob.byteLength, runs), rttMs: await tcpRoundTrips(port, size, count) }
  } finally {
    server.close()
  }
}

/** Answers each `reply.byteLength` bytes received with `reply`. */
function echo (socket: Socket, reply: Buffer, first: Buffer): void {
  let pending = first.byteLength
  const onData = (data: Buffer): void => {
    pending += data.byteLength
    while (pending >= reply.byteLength) { pending -= reply.byteLength; socket.write(reply) }
  }
  onData(Buffer.alloc(0))
  socket.on('data', onData)
}

function serveBlobs (socket: Socket, blob: Uint8Array, first: Buffer): void {
  const onData = (data: Buffer): void => { for (let i = 0; i < data.byteLength; i++) socket.write(blob) }
  onData(first)
  socket.on('data', onData)
}

async function openSocket (port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  return socket
}

/** Milliseconds to receive the blob, each run on the same open socket after one untimed run (as rawStreamMs runs are). */
async function tcpBlobRuns (port: number, expected: number, runs: number): Promise<number[]> {
  const socket = await openSocket(port)
  let received = 0
  let done: () => void = () => {}
  socket.on('data', (data: Buffer) => { received += data.byteLength; if (received >= expected) done() })
  const once = async (): Promise<number> => {
    received = 0
    const started = performance.now()
    await new Promise<void>(resolve => { done = resolve; socket.write(Uint8Array.of(0x42)) })
    const ms = performance.now() - started
    if (received !== expected) throw new Error(`tcp delivered ${received} of ${expected} bytes`)
    return ms
  }
  try {
    await once()
    const out: number[] = []
    for (let i = 0; i < runs; i++) out.push(await once())
    return out
  } finally {
    socket.destroy()
  }
}

/** Round trips on one open socket, after the same 50 untimed ones the stream-rpc calls get. */
async function tcpRoundTrips (port: number, size: number, count: number): Promise<number[]> {
  const socket = await openSocket(port)
  const request = randomBytes(size)
  request[0] = 0x01
  const out: number[] = []
  let received = 0
  let done: () => void = () => {}
  socket.on('data', (data: Buffer) => { received += data.byteLength; if (received >= size) { received -= size; done() } })
  for (let i = 0; i < RTT_WARM_UP + count; i++) {
    const started = performance.now()
    await new Promise<void>(resolve => { done = resolve; socket.write(request) })
    if (i >= RTT_WARM_UP) out.push(performance.now() - started)
  }
  socket.destroy()
  return out
}

const mibPerSecond = (ms: number): number => (BLOB / MiB) / (ms / 1000)

function throughputRow (measure: string, figureMs: number[], referenceMs: number[]): ResultRow {
  const figure = mibPerSecond(median(figureMs))
  const reference = mibPerSecond(median(referenceMs))
  return { measure, figure: `${fmtNumber(figure)} MiB/s`, reference: `${fmtNumber(reference)} MiB/s`, ratio: figure / reference }
}

function latencyRow (measure: string, figure: number, reference: number): ResultRow {
  return { measure, figure: fmtMs(figure), reference: fmtMs(reference), ratio: figure / reference }
}

export async function run (options: { quick?: boolean } = {}): Promise<void> {
  const runs = options.quick === true ? 3 : 7
  const calls = options.quick === true ? 300 : 2000
  const blob = new Uint8Array(randomBytes(BLOB))
  const small = new Uint8Array(randomBytes(SMALL))
  const tcp = await tcpReference(blob, runs, SMALL, calls)
  const times = { raw: [] as number[], rpc: [] as number[], pnet: [] as number[] }
  let latencies: number[]
  const open = await startPair(blob, small)
  try {
    await rawStreamMs(open)
    for (let i = 0; i < runs; i++) times.raw.push(await rawStreamMs(open))
    for (let i = 0; i < runs; i++) times.rpc.push(await rpcBodyMs(open))
    await rpcLatencies(open, small, RTT_WARM_UP)
    latencies = (await rpcLatencies(open, small, calls)).sort((a, b) => a - b)
  } finally {
    await open.stop()
  }
  const keyed = await startPair(blob, small, generateSwarmKey())
  try {
    await rawStreamMs(keyed) // unmeasured, as the open pair's first transfer is: connection and buffers warm up
    for (let i = 0; i < runs; i++) times.pnet.push(await rawStreamMs(keyed))
  } finally {
    await keyed.stop()
  }
  const rtt = [...tcp.rttMs].sort((a, b) => a - b)
  console.log(renderTable(`libp2p on loopback: 10 MiB x ${runs} (median), 5 KiB request/reply x ${calls}`, 'libp2p', 'reference', [
    throughputRow('10 MiB, new raw stream on open conn (ref: TCP, open socket)', times.raw, tcp.blobMs),
    throughputRow('10 MiB, stream-rpc body (ref: raw stream)', times.rpc, times.raw),
    throughputRow('10 MiB, raw stream + pnet (ref: raw stream)', times.pnet, times.raw),
    latencyRow('5 KiB stream-rpc call p50 (ref: TCP RTT p50)', percentile(latencies, 50), percentile(rtt, 50)),
    latencyRow('5 KiB stream-rpc call p99 (ref: TCP RTT p99)', percentile(latencies, 99), percentile(rtt, 99))
  ]))
  console.log('notes: both nodes run in this one process (one thread encrypts and decrypts), so two real nodes get more; ' +
    'each stream-rpc call opens a new yamux stream and negotiates its protocol (multistream-select) on an existing ' +
    `Noise connection; the TCP reference reuses one open socket without encryption (10 MiB runs and round trips alike; ` +
    `each side has one untimed 10 MiB run and ${RTT_WARM_UP} untimed round trips first). Load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores.`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') })
}
