import type { NodeEvent } from '../client/api-types.js'
import type { Snapshot } from './store.js'
import { cell, describeEvent, formatBytes, formatHitRate, shortId } from './format.js'

/** The dashboard as plain text, for a pipe or a log file: node, peers, jobs, cache, new events. */
export function formatPlain (snapshot: Snapshot, events: NodeEvent[], now = new Date(), lost = false): string {
  const { node, peers, jobs, cache } = snapshot
  const lookups = cache.http.hits + cache.http.misses
  const lines = [
    `== gmesh top ${now.toISOString()} node ${node.peerId} (pid ${node.pid}, ${formatBytes(node.rssBytes)} rss)`,
    `cache: ${cache.store.entries} entries, ${formatBytes(cache.store.bytes)}; hit rate ${formatHitRate(cache.http.hits, cache.http.misses)} ` +
      `(${cache.http.hits}/${lookups})` + (cache.sharing == null ? '' : `; peers: ${cache.sharing.peerHits} hits, ${formatBytes(cache.sharing.fetchedBytes)} fetched, ${formatBytes(cache.sharing.servedBytes)} served`),
    `peers: ${peers.length}`
  ]
  if (peers.length > 0) lines.push(`  ${cell('PEER', 14)} ${cell('STATUS', 8)} ${cell('RTT', 9)} LOAD`)
  for (const peer of peers) {
    const { capacity, running, queued } = peer.load
    lines.push(`  ${cell(shortId(peer.peerId, 12), 14)} ${cell(peer.status, 8)} ${cell(peer.rttMs === undefined ? '-' : `${peer.rttMs} ms`, 9)} ${capacity === 0 ? 'no builds' : `${running}/${capacity}${queued > 0 ? ` +${queued} queued` : ''}`}`)
  }
  lines.push(jobs.length === 0 ? 'jobs: none' : `jobs: ${jobs.length}`)
  for (const job of jobs) lines.push(`  ${job.id} ${job.state} leader ${job.leader == null ? '-' : shortId(job.leader)} ${job.units.done}/${job.units.total} units${job.units.failed > 0 ? `, ${job.units.failed} failed` : ''}`)
  if (events.length > 0 || lost) lines.push('events:')
  if (lost) lines.push('  ! earlier events were lost: the node\'s buffer moved on, or the node restarted')
  lines.push(...events.map(e => `  ${describeEvent(e)}`))
  return lines.join('\n') + '\n'
}
