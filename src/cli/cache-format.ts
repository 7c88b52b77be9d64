/**
 * `gmesh cache` for people. The store counts every read of it (Gradle's GETs, peers it serves, snapshots), so its
 * hits are not `gmesh status`'s, which counts Gradle's GETs only: each line says which it is, under a label, in
 * aligned columns. `--json` prints the records as they are.
 */
import { formatBytes, formatHitRate } from './format.js'

/** Gradle's GETs to the node (`status.http`): 200 from the store or a peer, else 404. */
export interface GradleGets { hits: number, misses: number }

/** Lines of `label  value`, the values in one column. */
function table (rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n'
}

function count (n: unknown, one: string, many = `${one}s`): string {
  return `${String(n)} ${n === 1 ? one : many}`
}

/**
 * `gmesh cache stats`: `stats` is the store's record (`status.cache`, or the store's own when no node runs);
 * `gets` the running node's Gradle GETs, undefined when none runs (the counters then start at this command).
 */
export function describeStats (stats: Record<string, unknown>, gets: GradleGets | undefined): string {
  const n = (name: string): number => typeof stats[name] === 'number' ? stats[name] : 0
  const since = gets == null ? 'no node runs: counted since this command opened the store' : 'since the node started'
  const rows: Array<[string, string]> = [
    ['entries', `${n('entries')} (${formatBytes(n('bytes'))} of ${formatBytes(n('maxBytes'))})`],
    ...(gets == null ? [] : [['Gradle GETs', `${count(gets.hits, 'hit')}, ${count(gets.misses, 'miss', 'misses')} (hit rate ${formatHitRate(gets.hits, gets.misses)}; what gmesh status shows)`] as [string, string]]),
    ['store reads', `${count(n('hits'), 'hit')}, ${count(n('misses'), 'miss', 'misses')} (Gradle GETs, peers served, snapshots)`],
    ['stored', `${count(n('puts'), 'put')}, ${count(n('evictions'), 'eviction')}`],
    ['quarantined', `${count(n('quarantined'), 'blob')} failed verification, ${n('quarantinePruned')} older ones deleted`],
    ['counters', since]
  ]
  return table(rows)
}

const LABELS: Record<string, string> = {
  evicted: 'evicted entries', freedBytes: 'freed', interrupted: 'stopped early', checked: 'checked blobs', quarantined: 'quarantined blobs'
}

/** `gmesh cache gc|verify`: each field under its label (a size in bytes as a size). */
export function describeResult (result: Record<string, unknown>): string {
  return table(Object.entries(result).map(([name, value]) =>
    [LABELS[name] ?? name, /bytes$/i.test(name) && typeof value === 'number' ? formatBytes(value) : String(value)]))
}
