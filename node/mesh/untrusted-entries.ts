import type { TrustPolicy } from '../../protocols/cache/index.js'
import type { ContentStore } from '../../src/cas/store.js'
import type { EntryMeta } from '../../src/cas/types.js'
import type { Logger } from '../../src/config/logger.js'

/** What the store's entries were kept and dropped for, by producer. */
export interface UntrustedEntriesReport {
  readonly dropped: number
  readonly droppedBytes: number
  /** Producers whose entries were dropped, with how many each. */
  readonly producers: Readonly<Record<string, number>>
}

/**
 * May the node serve this stored entry (to Gradle and to peers) under `trust`? Entries Gradle PUT here (no producer,
 * or this node as producer) always; entries fetched or pushed from peers only while their producer is trusted.
 */
function mayServeStored (meta: Pick<EntryMeta, 'producer'>, trust: TrustPolicy, self: string): boolean {
  return meta.producer === undefined || meta.producer === self || trust.mayProduce(meta.producer)
}

/**
 * Drops the store's entries by producers `trust` no longer admits. Run it once after the store opens and before
 * the node serves anything: the trust list changes only at a restart (`gmesh up --trust-producers`), and every entry
 * stored while the node runs has passed it (fetches and replica pushes check it), so after this pass every path
 * that reads the store (Gradle's GETs and HEADs, peers' fetches, a replica's "have" check, build units) serves
 * only trusted entries without checking again. A dropped entry is a miss: a trusted provider of the key serves it
 * again, and its space goes back to the budget instead of waiting for LRU eviction. Dropping lazily would keep
 * untrusted entries answering HEADs and replica offers, and taking space that nothing would ever use.
 */
export async function dropUntrustedEntries (store: Pick<ContentStore, 'list' | 'delete'>, trust: TrustPolicy, self: string,
  logger?: Logger): Promise<UntrustedEntriesReport> {
  // the usual case (no --trust-producers): nothing to drop, so no copy of the whole catalog at every start
  if (trust.admitsEveryProducer) return { dropped: 0, droppedBytes: 0, producers: {} }
  const untrusted = store.list().filter(meta => !mayServeStored(meta, trust, self))
  const producers: Record<string, number> = {}
  for (const meta of untrusted) producers[meta.producer as string] = (producers[meta.producer as string] ?? 0) + 1
  // each delete leaves the catalog at once; the index writes and blob deletions are awaited together
  await Promise.all(untrusted.map(async meta => await store.delete(meta.key)))
  const report = { dropped: untrusted.length, droppedBytes: untrusted.reduce((sum, meta) => sum + meta.size, 0), producers }
  if (report.dropped > 0) logger?.info(report, 'cache entries by producers this node no longer trusts: dropped')
  return report
}
