import { request, Agent } from 'node:http'
import { join } from 'node:path'
import { NodeClient } from '../../src/client/node-client.js'
import { GmeshNode, type NodeInfo } from './gmesh-node.js'
import { bootstrapAddress } from './mesh-cache.js'
import { waitFor } from './net.js'

/** A `gmesh up` of the mesh benchmarks (loopback, no mDNS, warn logs) with a control-API client. */
export interface MeshNode {
  node: GmeshNode
  info: NodeInfo
  client: NodeClient
}

export class MeshSetupError extends Error {
  override name = 'MeshSetupError'
}

/** Starts a node in `root/name`, joining `seed` when given; stopped by pid through `node.stop()`. */
export async function startMeshNode (root: string, name: string, seed?: NodeInfo): Promise<MeshNode> {
  const args = ['--log-level', 'warn']
  if (seed != null) {
    const address = bootstrapAddress(seed)
    if (address == null) throw new MeshSetupError('the seed node listens on no multiaddr')
    args.push('--bootstrap', address)
  }
  const dataDir = join(root, name)
  const node = new GmeshNode(dataDir, args)
  try {
    const info = await node.start()
    return { node, info, client: await NodeClient.connect(dataDir, { timeoutMs: 30_000 }) }
  } catch (err) {
    await node.stop()
    throw err
  }
}

interface SharingStatus { peers?: unknown[], cache?: { entries?: number }, sharing?: { peerHits?: number, peerMisses?: number, protocol?: { indexedKeys?: number, negativeKeys?: number } } }

async function status (n: MeshNode): Promise<SharingStatus> {
  return await n.client.status() as SharingStatus
}

/** Resolves once the node's membership lists at least `count` live peers. */
export async function waitForPeers (n: MeshNode, count: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(`membership of ${n.info.peerId.slice(-6)} to list ${count} peers`, async () =>
    ((await status(n)).peers?.length ?? 0) >= count ? true : undefined, { timeoutMs, intervalMs: 100 })
}

/** Resolves once the node's provider index knows at least `count` keys (announcements have arrived). */
export async function waitForIndexed (n: MeshNode, count: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(`the index of ${n.info.peerId.slice(-6)} to hold ${count} keys`, async () =>
    ((await status(n)).sharing?.protocol?.indexedKeys ?? 0) >= count ? true : undefined, { timeoutMs, intervalMs: 50 })
}

/** Live peers in the node's membership view. */
export async function livePeers (n: MeshNode): Promise<number> {
  return (await status(n)).peers?.length ?? 0
}

/** Waits until the node's local store holds `count` entries (a fetched entry is stored once its whole body was verified, after it was served). */
export async function waitForStored (n: MeshNode, count: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(`the store of ${n.info.peerId.slice(-6)} to hold ${count} entries`, async () =>
    (await storedEntries(n)) >= count ? true : undefined, { timeoutMs, intervalMs: 50 })
}

/** Entries in the node's local store. */
export async function storedEntries (n: MeshNode): Promise<number> {
  return (await status(n)).cache?.entries ?? 0
}

/** Peer hits and misses the node has answered so far. */
export async function peerAnswers (n: MeshNode): Promise<{ hits: number, misses: number }> {
  const s = (await status(n)).sharing
  return { hits: s?.peerHits ?? 0, misses: s?.peerMisses ?? 0 }
}

export interface TimedGet {
  status: number
  bytes: number
  /** Request sent to response headers parsed. */
  headersMs: number
  /** Request sent to the first body byte (to the headers for an empty body). */
  firstByteMs: number
  totalMs: number
}

/** One keep-alive connection per benchmark, so a GET costs what a Gradle GET on a warm connection costs. */
export const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 })

/** GET with times to headers, first body byte and end, from this process's clock. */
export async function timedGet (url: string, agent: Agent = keepAlive): Promise<TimedGet> {
  return await new Promise<TimedGet>((resolve, reject) => {
    const started = performance.now()
    const req = request(url, { agent, signal: AbortSignal.timeout(60_000) }, res => {
      const headersMs = performance.now() - started
      let firstByteMs: number | undefined
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        firstByteMs ??= performance.now() - started
        bytes += chunk.byteLength
      })
      res.once('error', reject)
      res.once('end', () => {
        resolve({ status: res.statusCode ?? 0, bytes, headersMs, firstByteMs: firstByteMs ?? headersMs, totalMs: performance.now() - started })
      })
    })
    req.once('error', reject)
    req.end()
  })
}
