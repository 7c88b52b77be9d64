import type { PeerId } from '../../protocols/core/index.js'
import { CACHE_TOPIC, announceCodec, chooseReplicas, signRecord } from '../../protocols/cache/index.js'
import type { SignedRecord } from '../../protocols/cache/index.js'
import { corrupt, sha256Hex, simSigner } from './blobs.js'
import type { SimEntry } from './blobs.js'
import type { CacheHarness } from './harness.js'
import type { PlannedPut } from './scenarios.js'

/** A forger signs its record for a key from 1 s before the honest PUT (it built the same inputs) to 1.5 s after. */
const FORGE_FROM_MS = -1000
const FORGE_SPAN_MS = 2500
/** It re-announces the honest record as bait once that record has reached it: 2–4 s after the PUT. */
const BAIT_FROM_MS = 2000
const BAIT_SPAN_MS = 2000

/**
 * Forgers are members with valid keys of their own. For every key an honest node PUTs, each forger:
 * - forges: signs, with its own key, a record mapping the key to other bytes of the same size (whose
 *   SHA-256 is the record's, so the hash check alone cannot catch them), keeps those bytes in its store
 *   (every fetch of the key from it gets the forged record and bytes), hands the record to its own
 *   protocol as held (`localStored`: announced on the cache topic, re-announced, named in its index
 *   pages, provided in the DHT in meshes large enough for it) and offers it as a replica push to the
 *   key's top `acceptRank` peers;
 * - baits: re-announces the honest record it heard (as if it held the entry) and offers that as a
 *   replica push too, so honest lookups and replicas come to fetch from it and get the forged header.
 * With a trust list of honest producers, no node may store or serve the forged bytes.
 */
export function scheduleForgeries (harness: CacheHarness, puts: readonly PlannedPut[]): void {
  const { engine } = harness.parts
  for (const forger of harness.parts.forgers ?? []) {
    for (const put of puts) {
      engine.at(Math.max(engine.now, put.at + FORGE_FROM_MS + engine.random.nextFloat() * FORGE_SPAN_MS), () => { forge(harness, forger, put.entry) })
      engine.at(put.at + BAIT_FROM_MS + engine.random.nextFloat() * BAIT_SPAN_MS, () => { bait(harness, forger, put.entry.key) })
    }
  }
}

function forge (harness: CacheHarness, forger: number, entry: SimEntry): void {
  const node = harness.node(forger)
  if (node.cache === undefined) return
  const { engine } = harness.parts
  const bytes = corrupt(entry.bytes, engine.random)
  const record = signRecord({ gradleKey: entry.key, sha256: sha256Hex(bytes), size: bytes.length, producer: node.peer, time: Math.round(engine.now) }, simSigner(node.peer))
  node.store.set(entry.key, { record, bytes })
  harness.input(forger, (cache, now) => { cache.localStored(record, now) })
  offer(harness, forger, record)
  harness.forgery.stats.forged++
}

function bait (harness: CacheHarness, forger: number, key: string): void {
  const node = harness.node(forger)
  const cache = node.cache
  if (cache === undefined) return
  const honest = cache.index.lookup(key, harness.parts.engine.now).map(p => p.record).find(r => !harness.forgery.isForger(r.producer))
  if (honest === undefined) return
  harness.transport.publish(forger, CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [honest] }))
  offer(harness, forger, honest)
  harness.forgery.stats.baits++
}

/** Offers `record` as a replica push to every peer that ranks high enough to keep it. */
function offer (harness: CacheHarness, forger: number, record: SignedRecord): void {
  const node = harness.node(forger)
  const cache = node.cache
  if (cache === undefined || node.peers === undefined) return
  const others: PeerId[] = node.peers.alivePeers().filter(p => p !== node.peer)
  for (const to of chooseReplicas(record.gradleKey, others, cache.config.replication.acceptRank)) harness.transfers.push(forger, record, to)
}
