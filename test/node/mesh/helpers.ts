import type { ExecutionContext } from 'ava'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { writeSwarmKeyFile } from '../../../node/libp2p/swarm-key.js'
import type { CacheHostStats } from '../../../node/mesh/cache-host.js'
import { NodeClient, type ConnectivityInfo } from '../../../src/client/node-client.js'
import { startNode, removeDataDir, type NodeProcess } from '../../helpers/gmesh-node.js'

/** What the tests read from `gmesh status --json` (the control API's status). */
export interface MeshStatus {
  cache: { entries: number, hits: number, misses: number }
  sharing: CacheHostStats & { protocol: { providerClaims: number, indexedKeys: number, heldRecords: number } }
  peers: Array<{ peerId: string, status: string, connected: boolean, rttMs?: number, gossipScore?: number }>
  discovery?: { discoveries: number, dials: number, failedDials: number, unreachable: number, lastDialError?: string }
  connectivity?: ConnectivityInfo
}

/** Starts `gmesh up` on loopback (mDNS off) with `args`; the process is killed by pid in the teardown. */
export async function startMeshNode (t: ExecutionContext, args: string[] = []): Promise<NodeProcess> {
  const node = await startNode({ args })
  t.teardown(async () => { await removeDataDir(node) })
  return node
}

/**
 * `--swarm-key FILE` of a fresh key in a temp dir removed in the teardown: the nodes of a test that accept builds form
 * a private mesh (an open one may not run builds without --trust-submitters).
 */
export async function swarmKeyArgs (t: ExecutionContext): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-swarm-key-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = path.join(dir, 'swarm.key')
  await writeSwarmKeyFile(file)
  return ['--swarm-key', file]
}

/** The node's libp2p address with its /p2p/ id, for `--bootstrap`. */
export function bootstrapAddress (node: NodeProcess): string {
  const address = node.info.multiaddrs.find(a => a.includes('/ip4/127.0.0.1/'))
  if (address == null) throw new Error(`node ${node.info.peerId} has no loopback address: ${node.info.multiaddrs.join(', ')}`)
  return address.includes('/p2p/') ? address : `${address}/p2p/${node.info.peerId}`
}

/** The node's status through its control API (what `gmesh status --json` prints). */
export async function meshStatus (node: Pick<NodeProcess, 'dataDir'>): Promise<MeshStatus> {
  const client = await NodeClient.connect(node.dataDir)
  return await client.status() as unknown as MeshStatus
}

export interface PollOptions {
  /** Most status reads before giving up. Default 120. */
  tries?: number
  /** Pause between reads. Default 250 ms. */
  intervalMs?: number
  /** Gives up after this long even with tries left (a loaded machine makes reads slow). Default 45 s. */
  withinMs?: number
}

/**
 * Reads `node`'s status until `accept` holds (a bounded number of tries), resolving to that status;
 * fails with the last status seen, so a test that times out says what it was waiting for.
 */
export async function awaitStatus (node: Pick<NodeProcess, 'dataDir'>, what: string, accept: (status: MeshStatus) => boolean,
  options: PollOptions = {}): Promise<MeshStatus> {
  const tries = options.tries ?? 120
  const giveUpAt = Date.now() + (options.withinMs ?? 45_000)
  let last: MeshStatus | undefined
  for (let i = 0; i < tries && (i === 0 || Date.now() < giveUpAt); i++) {
    last = await meshStatus(node)
    if (accept(last)) return last
    await new Promise(resolve => setTimeout(resolve, options.intervalMs ?? 250))
  }
  throw new Error(`${what}: not reached after ${tries} status reads or ${options.withinMs ?? 45_000} ms; last status: ${JSON.stringify({ peers: last?.peers, sharing: last?.sharing })}`)
}

/** Resolves once `node` sees every one of `peerIds` as a live, connected member. */
export async function awaitPeers (node: NodeProcess, peerIds: string[], options?: PollOptions): Promise<MeshStatus> {
  return await awaitStatus(node, `${node.info.peerId} sees ${peerIds.join(', ')}`, status =>
    peerIds.every(id => status.peers.some(peer => peer.peerId === id && peer.connected)), options)
}

/** A random Gradle cache key (SHA-1 sized, like Gradle 4's). */
export function randomKey (): string {
  return randomBytes(20).toString('hex')
}

export function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Gradle itself gives up on a remote cache after 30 s. */
const HTTP_TIMEOUT_MS = 30_000

/** PUT on the node's Gradle cache URL; resolves to the HTTP status. */
export async function cachePut (node: NodeProcess, key: string, body: Uint8Array): Promise<number> {
  const response = await fetch(`${node.info.cacheUrl}${key}`, { method: 'PUT', body, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })
  await response.arrayBuffer()
  return response.status
}

/** GET on the node's Gradle cache URL: the status and, on 200, the body. */
export async function cacheGet (node: NodeProcess, key: string): Promise<{ status: number, body: Buffer }> {
  const response = await fetch(`${node.info.cacheUrl}${key}`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) }
}

/**
 * PUTs a random entry of `size` bytes on `producer`, waits until `fetcher` has indexed an announcement, then GETs the
 * entry on `fetcher`: the key, the bytes, the PUT's status and the GET's answer.
 */
export async function putAndFetch (producer: NodeProcess, fetcher: NodeProcess, size = 4096): Promise<{ key: string, body: Buffer, put: number, got: { status: number, body: Buffer } }> {
  const key = randomKey()
  const body = randomBytes(size)
  const put = await cachePut(producer, key, body)
  await awaitStatus(fetcher, `${fetcher.info.peerId} indexed ${producer.info.peerId}'s announcement`, status => status.sharing.protocol.indexedKeys >= 1)
  return { key, body, put, got: await cacheGet(fetcher, key) }
}

/**
 * Per-test limit for tests that start several gmesh processes: each takes 1-2 s to start on an
 * idle 2-core machine and ten times that when the machine is shared with builds and benchmarks.
 */
export const MESH_TEST_TIMEOUT_MS = 3 * 60_000
