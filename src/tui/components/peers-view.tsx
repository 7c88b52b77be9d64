import { Box, Text } from 'ink'
import type { PeerInfo } from '../../client/api-types.js'
import { cell, formatBytes, progressBar, shortId } from '../format.js'

export interface PeersViewProps { peers: PeerInfo[], width: number, height: number, offset: number }

/** The largest useful scroll offset: the last peers fill the view. */
export function peersMaxOffset (peers: number, height: number): number {
  return Math.max(0, peers - Math.max(1, height - 2))
}

/** The columns a width holds; the bar takes what is left, up to 20 cells. */
export interface PeerColumns { rtt: boolean, load: boolean, cache: boolean, barWidth: number }

const ID = 12
const STATUS = 9
const RTT = 9
const CACHE = 10
const MIN_BAR = 4
/** The load column besides its bar: ' 12/16+3'. */
const LOAD_TEXT = 8

/**
 * PEER and STATUS always; below the width all columns need, CACHE goes first, then RTT, then LOAD,
 * so a row never wraps (on 40 columns: peer, status and a short load bar).
 */
export function peerColumns (width: number): PeerColumns {
  const base = ID + 1 + STATUS
  const load = 1 + MIN_BAR + LOAD_TEXT
  for (const [rtt, cache] of [[true, true], [true, false], [false, false]] as const) {
    const needed = base + load + (rtt ? 1 + RTT : 0) + (cache ? 1 + CACHE : 0)
    if (width >= needed) return { rtt, load: true, cache, barWidth: Math.min(20, MIN_BAR + width - needed) }
  }
  return { rtt: false, load: false, cache: false, barWidth: 0 }
}

/** Live peers: id, status, round-trip time, load bar and cache size, as the width allows; scrolls by `offset`. */
export function PeersView ({ peers, width, height, offset }: PeersViewProps): React.JSX.Element {
  if (peers.length === 0) return <Text wrap='truncate-end'>no live peers (is the node bootstrapped? see gmesh up --bootstrap)</Text>
  const columns = peerColumns(width)
  const rows = Math.max(1, height - 2)
  const first = Math.min(offset, peersMaxOffset(peers.length, height))
  const shown = peers.slice(first, first + rows)
  const { rtt, load, cache, barWidth } = columns
  return (
    <Box flexDirection='column' width={width}>
      <Text bold wrap='truncate-end'>{cell('PEER', ID)} {cell('STATUS', STATUS)}{rtt ? ` ${cell('RTT', RTT)}` : ''}{load ? ` ${cell('LOAD', barWidth + LOAD_TEXT)}` : ''}{cache ? ' CACHE' : ''}</Text>
      {shown.map(peer => <PeerRow key={peer.peerId} peer={peer} columns={columns} />)}
      <Text dimColor wrap='truncate-end'>{peers.length > rows ? `peers ${first + 1}-${first + shown.length} of ${peers.length} (↑/↓ to scroll)` : `${peers.length} peer${peers.length === 1 ? '' : 's'}`}</Text>
    </Box>
  )
}

function PeerRow ({ peer, columns }: { peer: PeerInfo, columns: PeerColumns }): React.JSX.Element {
  const { capacity, running, queued, cacheBytes } = peer.load
  const { rtt, load, cache, barWidth } = columns
  const loadText = capacity === 0 ? cell('no builds', barWidth + LOAD_TEXT) : `${progressBar(running, 0, capacity, barWidth)} ${cell(`${running}/${capacity}${queued > 0 ? `+${queued}` : ''}`, LOAD_TEXT - 1)}`
  return (
    <Text wrap='truncate-end'>
      {cell(shortId(peer.peerId, 11), ID)} <Text color={peer.status === 'alive' ? 'green' : 'yellow'}>{cell(peer.status, STATUS)}</Text>
      {rtt ? ` ${cell(peer.rttMs === undefined ? '-' : `${peer.rttMs} ms`, RTT)}` : ''}{load ? ` ${loadText}` : ''}{cache ? ` ${formatBytes(cacheBytes)}` : ''}
    </Text>
  )
}
