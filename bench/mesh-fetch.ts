// Peer fetch on real gmesh nodes (loopback): a 10 MiB entry PUT on node A and fetched by a GET on
// node B against a raw libp2p stream between two createMeshLibp2p processes; time to first byte of
// 5 KiB entries A announced; a miss in a mesh of a node and 10 peers, which (below DHT_MIN_PEERS live nodes) the node
// answers from its provider index without asking any peer: what issue 4's goal "A miss on every peer answers in
// under 5 ms p99 with 10 peers" comes down to in such a mesh.
// Runnable alone: node dist/bench/mesh-fetch.js [--quick] [--pair-only | --miss-only] [--keep]
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeEntries, putEntries, type Entry } from './lib/cache-fixtures.js'
import { median, percentile } from './lib/load.js'
import { keepAlive, livePeers, peerAnswers, startMeshNode, timedGet, waitForIndexed, waitForPeers, type MeshNode, type TimedGet } from './lib/mesh-nodes.js'
import { RawReference } from './lib/mesh-reference.js'
import { syncedWriteMs } from './lib/mesh-disk.js'
import { stopChildrenOnSignal } from './lib/mesh-standalone.js'
import { currentBenchOptions, type BenchOptions } from './lib/options.js'
import { DHT_MIN_PEERS } from '../protocols/cache/lookup-config.js'
import { fmtMs, fmtNumber, renderTable, type ResultRow } from './lib/table.js'

const KiB = 1024
const MiB = 1024 * KiB
const BLOB = 10 * MiB
const SMALL = 5 * KiB
const MISS_PEERS = 10
export const FETCH_GOALS = { throughputRatio: 0.8, firstByteP99Ms: 5, missP99Ms: 5 }
/** The goal the miss rows are measured against, as issue 4 puts it. */
const MISS_GOAL_TEXT = 'A miss on every peer answers in under 5 ms p99 with 10 peers'

interface Plan { blobRuns: number, smallGets: number, missGets: number }

function plan (quick: boolean): Plan {
  return quick ? { blobRuns: 3, smallGets: 150, missGets: 300 } : { blobRuns: 7, smallGets: 600, missGets: 1500 }
}

export class FetchCheckError extends Error {
  override name = 'FetchCheckError'
}

function expect (label: string, got: TimedGet, status: number, bytes: number): TimedGet {
  if (got.status !== status || got.bytes !== bytes) throw new FetchCheckError(`${label}: answered ${got.status} with ${got.bytes} bytes, expected ${status} with ${bytes}`)
  return got
}

/** A peer-fetch GET as a sample: `missed` when it was answered 404 (the lookup deadline passed first). */
export interface PeerFetch { got: TimedGet, missed: boolean }

/**
 * A 200 with the whole body, or a 404 (a peer fetch that missed the lookup deadline); anything else throws.
 * A missed GET stays a sample at its own time: dropping it would hide the ~2 s a user waited for it.
 */
export function fetched (label: string, got: TimedGet, bytes: number): PeerFetch {
  if (got.status === 404 && got.bytes === 0) {
    console.log(`  ${label}: answered 404 after ${fmtMs(got.totalMs)} (lookup deadline passed before the entry was stored)`)
    return { got, missed: true }
  }
  return { got: expect(label, got, 200, bytes), missed: false }
}

interface Sorted { ms: number[] }
const sorted = (values: number[]): Sorted => ({ ms: [...values].sort((a, b) => a - b) })
const p = (s: Sorted, q: number): number => percentile(s.ms, q)

interface PairFigures {
  meshBlobMs: number[]
  localBlobMs: number[]
  rawBlobMs: number[]
  peerFirstByte: Sorted
  localFirstByte: Sorted
  streamOpen: Sorted
  rpcCall: Sorted
  miss1: Sorted
  blobSyncMs: number[]
  smallSync: Sorted
  /** Measured peer-fetch GETs answered 404: the lookup's 2 s deadline passed before the entry was stored. */
  deadlineMisses: number
  peerHits: number
}

/** Goals 1 and 2: A holds the entries, B fetches them; the raw reference runs between the same kind of nodes. */
async function measurePair (root: string, plan: Plan): Promise<PairFigures> {
  const a = await startMeshNode(root, 'a')
  let b: MeshNode | undefined
  let ref: RawReference | undefined
  try {
    b = await startMeshNode(root, 'b', a.info)
    await waitForPeers(b, 1)
    const blobs = makeEntries(plan.blobRuns + 1, BLOB)
    const smalls = makeEntries(plan.smallGets + 20, SMALL)
    await putEntries(a.info.cacheUrl, blobs, 1)
    await putEntries(a.info.cacheUrl, smalls, 4)
    await waitForIndexed(b, blobs.length + smalls.length)
    ref = await RawReference.start(BLOB)
    const before = await peerAnswers(b)
    const figures = await fetchRounds(root, b, ref, blobs, smalls)
    const after = await peerAnswers(b)
    return { ...figures, peerHits: after.hits - before.hits }
  } finally {
    await ref?.stop()
    await b?.node.stop()
    await a.node.stop()
  }
}

async function fetchRounds (root: string, b: MeshNode, ref: RawReference, blobs: Entry[], smalls: Entry[]): Promise<Omit<PairFigures, 'peerHits'>> {
  const url = (e: Entry): string => b.info.cacheUrl + e.key
  const [warmBlob, ...measured] = blobs
  fetched('10 MiB warm-up', await timedGet(url(warmBlob)), BLOB)
  await ref.blobMs()
  let deadlineMisses = 0
  const meshBlobMs: number[] = []
  const localBlobMs: number[] = []
  const rawBlobMs: number[] = []
  const blobSyncMs: number[] = []
  for (const blob of measured) { // interleaved, so load from other work on the machine hits both sides alike
    // Every round gives one sample to each side: a missed GET counts at the time it took to answer 404.
    const { got, missed } = fetched('10 MiB peer fetch', await timedGet(url(blob)), BLOB)
    meshBlobMs.push(got.totalMs)
    rawBlobMs.push(await ref.blobMs())
    if (missed) { deadlineMisses++; continue } // B stored nothing: no local hit or stored copy to time
    localBlobMs.push(expect('10 MiB local hit', await timedGet(url(blob)), 200, BLOB).totalMs)
    blobSyncMs.push(await syncedWriteMs(root, blob.body))
  }
  const warm = smalls.slice(0, 20)
  for (const e of warm) { fetched('5 KiB warm-up', await timedGet(url(e)), SMALL); await ref.smallCall() }
  const peer: number[] = []
  const open: number[] = []
  const call: number[] = []
  const sync: number[] = []
  for (const e of smalls.slice(20)) {
    sync.push(await syncedWriteMs(root, e.body))
    const { got, missed } = fetched('5 KiB peer fetch', await timedGet(url(e)), SMALL)
    if (missed) deadlineMisses++
    peer.push(got.firstByteMs) // a 404 has no body: its first byte is its headers, after the deadline
    const raw = await ref.smallCall()
    open.push(raw.openMs)
    call.push(raw.callMs)
  }
  const local: number[] = []
  for (const e of smalls.slice(20)) {
    const { got, missed } = fetched('5 KiB local hit', await timedGet(url(e)), SMALL)
    if (!missed) local.push(got.firstByteMs)
  }
  const miss1 = await missTimes(b, Math.min(200, smalls.length))
  return {
    deadlineMisses, meshBlobMs, localBlobMs, rawBlobMs, blobSyncMs, smallSync: sorted(sync),
    peerFirstByte: sorted(peer), localFirstByte: sorted(local), streamOpen: sorted(open), rpcCall: sorted(call), miss1: sorted(miss1)
  }
}

/** GETs of distinct random keys nobody holds: each one is a lookup (no negative-cache answer). */
async function missTimes (n: MeshNode, count: number): Promise<number[]> {
  for (let i = 0; i < 20; i++) expect('miss warm-up', await timedGet(n.info.cacheUrl + randomBytes(32).toString('hex')), 404, 0)
  const out: number[] = []
  for (let i = 0; i < count; i++) out.push(expect('miss', await timedGet(n.info.cacheUrl + randomBytes(32).toString('hex')), 404, 0).totalMs)
  return out
}

/** `peers`: live members the probe listed before and after the misses, e.g. `10 -> 10`. */
interface MissFigures { miss: Sorted, localHit: Sorted, lookups: number, peers: string }

/** Goal 3: a seed and MISS_PEERS nodes joining it; the last one, which sees MISS_PEERS peers, answers misses. */
async function measureMiss (root: string, plan: Plan): Promise<MissFigures> {
  const seed = await startMeshNode(root, 'seed')
  const others: MeshNode[] = []
  try {
    // Two at a time: each start costs a second of CPU on a 2-core machine.
    // A node that cannot start in time on a loaded machine is left out: the table says how many peers there were.
    for (let i = 0; i < MISS_PEERS; i += 2) {
      const started = await Promise.allSettled([i, i + 1].filter(j => j < MISS_PEERS).map(async j => await startMeshNode(root, `peer-${j}`, seed.info)))
      for (const s of started) {
        if (s.status === 'fulfilled') others.push(s.value)
        else console.log(`  warning: a peer did not start: ${(s.reason as Error).message.split('\n')[0]}`)
      }
    }
    if (others.length < 2) throw new FetchCheckError(`only ${others.length} of ${MISS_PEERS} peers started`)
    const probe = others[others.length - 1]
    // On a loaded machine membership may take long to settle: measure with the peers it sees by then, and say so.
    await waitForPeers(probe, others.length, 120_000).catch((err: unknown) => { console.log(`  warning: ${(err as Error).message}`) })
    const peersAtStart = await livePeers(probe)
    const before = await peerAnswers(probe)
    const miss = await missTimes(probe, plan.missGets)
    const lookups = (await peerAnswers(probe)).misses - before.misses
    const [entry] = makeEntries(1, SMALL)
    await putEntries(probe.info.cacheUrl, [entry], 1)
    const localHit: number[] = []
    for (let i = 0; i < plan.missGets; i++) localHit.push(expect('5 KiB local hit', await timedGet(probe.info.cacheUrl + entry.key), 200, SMALL).totalMs)
    return { miss: sorted(miss), localHit: sorted(localHit), lookups, peers: `${peersAtStart} -> ${await livePeers(probe)}` }
  } finally {
    await Promise.all(others.map(async o => { await o.node.stop() }))
    await seed.node.stop()
  }
}

const mibps = (ms: number): number => (BLOB / MiB) / (ms / 1000)

function pairRows (pair: PairFigures, plan: Plan): ResultRow[] {
  const g = FETCH_GOALS
  const mesh = mibps(median(pair.meshBlobMs))
  const raw = mibps(median(pair.rawBlobMs))
  const local = mibps(median(pair.localBlobMs))
  const ms = (figure: number, reference: number): Pick<ResultRow, 'figure' | 'reference' | 'ratio'> => ({ figure: fmtMs(figure), reference: fmtMs(reference), ratio: figure / reference })
  return [
    { measure: `10 MiB GET on B fetched from A, median of ${pair.meshBlobMs.length}, 404s at their time (ref: raw libp2p stream, ${pair.rawBlobMs.length})`, figure: `${fmtNumber(mesh, 1)} MiB/s`, reference: `${fmtNumber(raw, 1)} MiB/s`, ratio: mesh / raw, goal: `>= ${g.throughputRatio}x`, met: mesh / raw >= g.throughputRatio },
    { measure: '10 MiB GET on B, local hit afterwards (ref: raw libp2p stream)', figure: `${fmtNumber(local, 1)} MiB/s`, reference: `${fmtNumber(raw, 1)} MiB/s`, ratio: local / raw },
    { measure: `5 KiB GET on B from A, first byte p50 (ref: bare stream-rpc 5 KiB call)`, ...ms(p(pair.peerFirstByte, 50), p(pair.rpcCall, 50)) },
    { measure: `5 KiB GET on B from A, first byte p99, 404s at their time (ref: bare stream-rpc 5 KiB call)`, ...ms(p(pair.peerFirstByte, 99), p(pair.rpcCall, 99)), goal: `< ${g.firstByteP99Ms} ms`, met: p(pair.peerFirstByte, 99) < g.firstByteP99Ms },
    { measure: '5 KiB GET on B, local hit, first byte p50 (ref: from A)', ...ms(p(pair.localFirstByte, 50), p(pair.peerFirstByte, 50)) },
    { measure: 'libp2p stream open (part of first byte), p50 (ref: first byte p50)', ...ms(p(pair.streamOpen, 50), p(pair.peerFirstByte, 50)) },
    { measure: 'libp2p stream open (part of first byte), p99 (ref: first byte p99)', ...ms(p(pair.streamOpen, 99), p(pair.peerFirstByte, 99)) },
    { measure: '5 KiB write + fdatasync + rename, as B stores a fetch, p50 (ref: first byte p50)', ...ms(p(pair.smallSync, 50), p(pair.peerFirstByte, 50)) },
    { measure: '5 KiB write + fdatasync + rename, p99 (ref: first byte p99)', ...ms(p(pair.smallSync, 99), p(pair.peerFirstByte, 99)) },
    { measure: '10 MiB write + fdatasync + rename, median (ref: 10 MiB GET from A, median)', ...ms(median(pair.blobSyncMs), median(pair.meshBlobMs)) },
    { measure: '10 MiB GET on B, local hit, median (ref: 10 MiB GET from A, median)', ...ms(median(pair.localBlobMs), median(pair.meshBlobMs)) },
    { measure: 'measured peer-fetch GETs answered 404 (2 s lookup deadline)', figure: fmtNumber(pair.deadlineMisses), reference: fmtNumber(plan.blobRuns + plan.smallGets), goal: '0', met: pair.deadlineMisses === 0 },
    { measure: `peer fetches answered by B (ref: GETs that needed one)`, figure: fmtNumber(pair.peerHits), reference: fmtNumber(plan.blobRuns + 1 + plan.smallGets + 20), goal: 'all', met: pair.peerHits === plan.blobRuns + 1 + plan.smallGets + 20 },
    { measure: 'miss answered from the provider index, 1 peer in the mesh, p99 (ref: miss p50)', ...ms(p(pair.miss1, 99), p(pair.miss1, 50)) }
  ]
}

function missRows (miss: MissFigures, plan: Plan): ResultRow[] {
  const g = FETCH_GOALS
  const ms = (figure: number, reference: number): Pick<ResultRow, 'figure' | 'reference' | 'ratio'> => ({ figure: fmtMs(figure), reference: fmtMs(reference), ratio: figure / reference })
  return [
    { measure: `miss answered from the provider index, ${miss.peers} peers in the mesh, p50 (ref: 5 KiB local hit p50, same node)`, ...ms(p(miss.miss, 50), p(miss.localHit, 50)) },
    { measure: `miss answered from the provider index, ${miss.peers} peers in the mesh, p99 (ref: 5 KiB local hit p99)`, ...ms(p(miss.miss, 99), p(miss.localHit, 99)), goal: `< ${g.missP99Ms} ms (issue 4)`, met: p(miss.miss, 99) < g.missP99Ms },
    { measure: `mesh lookups answered miss (ref: distinct-key GETs)`, figure: fmtNumber(miss.lookups), reference: fmtNumber(plan.missGets + 20), goal: 'all', met: miss.lookups === plan.missGets + 20 }
  ]
}

/** `parts` (standalone runs only: --pair-only, --miss-only) picks the two-node or the many-node half. */
export async function run (options: BenchOptions = currentBenchOptions(), parts: 'all' | 'pair' | 'miss' = 'all'): Promise<void> {
  const p = plan(options.quick)
  const root = await mkdtemp(join(tmpdir(), 'gmesh-bench-mesh-fetch-'))
  try {
    if (parts !== 'miss') {
      const pair = await measurePair(root, p)
      console.log(renderTable(`Peer fetch on gmesh nodes A -> B (loopback): ${p.blobRuns} x 10 MiB, ${p.smallGets} x 5 KiB`, 'gmesh', 'reference', pairRows(pair, p)))
      console.log('notes: each GET on B asks for a key only A holds (PUT on A, announced, indexed on B before timing). ' +
        'Raw libp2p stream: a createMeshLibp2p node in a child process sends 10 MiB in 64 KiB writes over one new Yamux stream ' +
        'on an open Noise connection to a createMeshLibp2p node in this process (two processes, as A and B). First byte: request ' +
        'sent to first body byte, one keep-alive HTTP connection. Stream open: dialProtocol (new Yamux stream + multistream-select) ' +
        `on the reference connection. Load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores.`)
    }
    if (parts === 'pair') return
    const miss = await measureMiss(root, p)
    console.log(renderTable(`Miss answered from the provider index: a node among ${MISS_PEERS + 1} (loopback), ${p.missGets} distinct keys`, 'gmesh', 'reference', missRows(miss, p)))
    console.log(`notes: goal (issue 4): "${MISS_GOAL_TEXT}". Below ${DHT_MIN_PEERS} live nodes every member hears every announcement, ` +
      'so a key the provider index lacks is a miss at once: no peer is asked and no DHT walk made; these rows time that answer in a mesh of that size, ' +
      'not a round trip to each peer. Peers are the live members the probe listed before -> after the misses; each GET asks for a new ' +
      `random key (no negative-cache answer); the reference GETs one 5 KiB entry stored on the probe. Load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores.`)
  } finally {
    keepAlive.destroy()
    if (!options.keep) await rm(root, { recursive: true, force: true })
    else console.log(`kept ${root}`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  stopChildrenOnSignal()
  const parts = process.argv.includes('--pair-only') ? 'pair' : process.argv.includes('--miss-only') ? 'miss' : 'all'
  await run({ ...currentBenchOptions(), quick: process.argv.includes('--quick'), keep: process.argv.includes('--keep') }, parts)
}
