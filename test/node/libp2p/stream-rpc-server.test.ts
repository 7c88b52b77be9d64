import test from 'ava'
import { multiaddr } from '@multiformats/multiaddr'
import { randomBytes } from 'node:crypto'
import type { ExecutionContext } from 'ava'
import type { StreamMessageEvent } from '@libp2p/interface'
import { openRpc, StreamRpcServer } from '../../../node/libp2p/stream-rpc.js'
import { encodeFrame, StreamReader } from '../../../node/libp2p/stream-reader.js'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RpcServerInit } from '../../../node/libp2p/stream-rpc.js'
import type { MeshLibp2p } from '../../../node/libp2p/create-node.js'
import { addressOf, startNode } from './helpers.js'

const PROTOCOL = '/gmesh/test-bytes/1.0.0'

async function serve (t: ExecutionContext, handler: RpcServerInit['handler'], init: Partial<RpcServerInit> = {}): Promise<{ server: StreamRpcServer, serverNode: MeshLibp2p, client: MeshLibp2p }> {
  const serverNode = await startNode(t)
  const server = new StreamRpcServer(serverNode, { protocol: PROTOCOL, handler, maxRequestBytes: 1024, ...init })
  await server.start()
  t.teardown(async () => { await server.stop() })
  const client = await startNode(t)
  await client.dial(multiaddr(addressOf(serverNode)))
  return { server, serverNode, client }
}

const options = (): { signal: AbortSignal, deadlineMs: number, maxBodyBytes: number } =>
  ({ signal: AbortSignal.timeout(10_000), deadlineMs: 5000, maxBodyBytes: 1024 * 1024 })

test('a reply with its body in memory arrives whole, header then body, and is settled once', async t => {
  const body = randomBytes(5 * 1024)
  let settled = 0
  const { server, serverNode, client } = await serve(t, async () => ({ header: Uint8Array.of(9, 8), bytes: body, settled: () => { settled++ } }))
  const response = await openRpc(client, serverNode.peerId, PROTOCOL, Uint8Array.of(1), options())
  t.deepEqual([...response.header], [9, 8])
  const parts: Uint8Array[] = []
  for await (const part of response.body) parts.push(part)
  t.true(Buffer.concat(parts).equals(body))
  t.is(settled, 1)
  t.is(server.stats.served, 1)
})

test('a small reply with its body in memory leaves in one write: the header and the body come in one message', async t => {
  const body = randomBytes(5 * 1024)
  const header = Uint8Array.of(1, 2, 3)
  const { serverNode, client } = await serve(t, async () => ({ header, bytes: body }))
  const stream = await client.dialProtocol(serverNode.peerId, PROTOCOL, { signal: AbortSignal.timeout(5000) })
  const first = new Promise<number>(resolve => {
    stream.addEventListener('message', (evt: StreamMessageEvent) => { resolve(evt.data.byteLength) }, { once: true })
  })
  stream.send(encodeFrame(Uint8Array.of(1)))
  await stream.close()
  t.is(await first, encodeFrame(header).byteLength + body.byteLength)
})

test('a reply in memory whose stream was reset before it went out is settled too, and counted as failed', async t => {
  let settled = 0
  let entered!: () => void
  const handling = new Promise<void>(resolve => { entered = resolve })
  let handled!: () => void
  const done = new Promise<void>(resolve => { handled = resolve })
  const { server, serverNode, client } = await serve(t, async (_request, { signal }) => {
    entered()
    // answer only once the asker has reset the stream: the write must fail
    if (!signal.aborted) await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
    return { header: Uint8Array.of(1), bytes: randomBytes(64), settled: () => { settled++; handled() } }
  })
  const stream = await client.dialProtocol(serverNode.peerId, PROTOCOL, { signal: AbortSignal.timeout(5000) })
  stream.send(encodeFrame(Uint8Array.of(1)))
  await handling
  stream.abort(new Error('the asker gave up'))
  await done
  t.is(settled, 1)
  t.like(server.stats, { served: 0, failed: 1 })
})

test('a stream ended before its request is counted unused, not malformed, and closed without a reset', async t => {
  const { server, serverNode, client } = await serve(t, async request => request)
  const stream = await client.dialProtocol(serverNode.peerId, PROTOCOL)
  const closed = new Promise<Error | undefined>(resolve => { stream.addEventListener('close', evt => { resolve(evt.error) }, { once: true }) })
  await stream.close()
  t.is(await closed, undefined)
  t.like(server.stats, { unused: 1, malformed: 0, failed: 0 })
})

test('a request sent after its stream waited idle gets the whole request deadline for its reply', async t => {
  // the handler takes two thirds of the deadline, after the stream waited two thirds of it for the request
  const { server, serverNode, client } = await serve(t, async (request, { signal }) => {
    await sleep(2000, undefined, { signal })
    return request
  }, { requestTimeoutMs: 3000 })
  const stream = await client.dialProtocol(serverNode.peerId, PROTOCOL, { signal: AbortSignal.timeout(5000) })
  const reader = new StreamReader(stream)
  await sleep(2000) // idle, as a spare stream waits for its call
  stream.send(encodeFrame(Uint8Array.of(5)))
  await stream.close()
  t.deepEqual([...await reader.readFrame(1024, AbortSignal.timeout(10_000))], [5])
  reader.release()
  t.is(server.stats.served, 1)
})
