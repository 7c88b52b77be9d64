import { Box, Text } from 'ink'
import type { CacheInfo } from '../../client/api-types.js'
import type { CacheSample } from '../store.js'
import { formatBytes, formatHitRate, sparkline } from '../format.js'

export interface CacheViewProps { cache?: CacheInfo, history: CacheSample[], width: number, height: number }

/** Columns before a sparkline: its label. */
const LABEL = 13

/**
 * Hit rate and bytes served and fetched, now and over time (one sparkline column per poll; the hit rate's full block
 * is 100%). Every line is cut to the width, and lines that do not fit the height are left out from the bottom.
 */
export function CacheView ({ cache, history, width, height }: CacheViewProps): React.JSX.Element {
  if (cache == null) return <Text dimColor>waiting for the node…</Text>
  const { store, http, sharing } = cache
  const columns = Math.max(1, width - LABEL - 1)
  const recent = history.slice(-(columns + 1))
  const deltas = (pick: (s: CacheSample) => number): number[] => recent.slice(1).map((s, i) => Math.max(0, pick(s) - pick(recent[i]!)))
  const hitRates = recent.slice(1).map((s, i) => {
    const hits = s.hits - recent[i]!.hits
    const all = hits + s.misses - recent[i]!.misses
    return all <= 0 ? undefined : hits / all
  })
  const lines = [
    `entries      ${store.entries} (${formatBytes(store.bytes)} of ${formatBytes(store.maxBytes)})`,
    `hit rate     ${formatHitRate(http.hits, http.misses)} (${http.hits} hits, ${http.misses} misses, ${http.stored} stored)`,
    `from peers   ${sharing == null ? 'no mesh' : `${sharing.peerHits} hits, ${formatBytes(sharing.fetchedBytes)} fetched`}`,
    `to peers     ${sharing == null ? 'no mesh' : `${formatBytes(sharing.servedBytes)} served`}`,
    ' ',
    <>hit rate     <Text color='green'>{sparkline(hitRates, 1)}</Text></>,
    <>fetched      <Text color='cyan'>{sparkline(deltas(s => s.fetchedBytes))}</Text></>,
    <>served       <Text color='magenta'>{sparkline(deltas(s => s.servedBytes))}</Text></>
  ]
  return (
    <Box flexDirection='column' width={width}>
      {lines.slice(0, Math.max(1, height)).map((line, i) => <Text key={i} wrap='truncate-end'>{line}</Text>)}
    </Box>
  )
}
