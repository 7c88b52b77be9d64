import { Box, Text } from 'ink'
import type { CacheInfo } from '../../client/api-types.js'
import type { CacheSample } from '../store.js'
import { formatBytes, formatHitRate, sparkline } from '../format.js'

export interface CacheViewProps { cache?: CacheInfo, history: CacheSample[], width: number }

/** Hit rate and bytes served and fetched, now and over time (one sparkline column per poll; the hit rate's full block is 100%). */
export function CacheView ({ cache, history, width }: CacheViewProps): React.JSX.Element {
  if (cache == null) return <Text dimColor>waiting for the node…</Text>
  const { store, http, sharing } = cache
  const columns = Math.max(10, width - 22)
  const recent = history.slice(-(columns + 1))
  const deltas = (pick: (s: CacheSample) => number): number[] => recent.slice(1).map((s, i) => Math.max(0, pick(s) - pick(recent[i]!)))
  const hitRates = recent.slice(1).map((s, i) => {
    const hits = s.hits - recent[i]!.hits
    const all = hits + s.misses - recent[i]!.misses
    return all <= 0 ? undefined : hits / all
  })
  return (
    <Box flexDirection='column'>
      <Text>entries      {store.entries} ({formatBytes(store.bytes)} of {formatBytes(store.maxBytes)})</Text>
      <Text>hit rate     {formatHitRate(http.hits, http.misses)} ({http.hits} hits, {http.misses} misses, {http.stored} stored)</Text>
      <Text>from peers   {sharing == null ? 'no mesh' : `${sharing.peerHits} hits, ${formatBytes(sharing.fetchedBytes)} fetched`}</Text>
      <Text>to peers     {sharing == null ? 'no mesh' : `${formatBytes(sharing.servedBytes)} served`}</Text>
      <Text> </Text>
      <Text>hit rate     <Text color='green'>{sparkline(hitRates, 1)}</Text></Text>
      <Text>fetched      <Text color='cyan'>{sparkline(deltas(s => s.fetchedBytes))}</Text></Text>
      <Text>served       <Text color='magenta'>{sparkline(deltas(s => s.servedBytes))}</Text></Text>
    </Box>
  )
}
