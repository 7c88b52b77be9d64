import { Box, Text } from 'ink'
import type { PeerInfo } from '../../client/api-types.js'
import { cell, formatBytes, progressBar, shortId } from '../format.js'

export interface PeersViewProps { peers: PeerInfo[], width: number, height: number, offset: number }

/** The largest useful scroll offset: the last peers fill the view. */
export function peersMaxOffset (peers: number, height: number): number {
  return Math.max(0, peers - Math.max(1, height - 2))
}

/** Live peers: id, status, round-trip time, load bar and cache size; scrolls by `offset`. */
export function PeersView ({ peers, width, height, offset }: PeersViewProps): React.JSX.Element {
  if (peers.length === 0) return <Text dimColor>no live peers (is the node bootstrapped? see gmesh up --bootstrap)</Text>
  const barWidth = Math.max(4, Math.min(20, width - 60))
  const rows = Math.max(1, height - 2)
  const first = Math.min(offset, peersMaxOffset(peers.length, height))
  const shown = peers.slice(first, first + rows)
  return (
    <Box flexDirection='column'>
      <Text bold>{cell('PEER', 12)} {cell('STATUS', 9)} {cell('RTT', 9)} {cell('LOAD', barWidth + 8)} CACHE</Text>
      {shown.map(peer => <PeerRow key={peer.peerId} peer={peer} barWidth={barWidth} />)}
      <Text dimColor>{peers.length > rows ? `peers ${first + 1}-${first + shown.length} of ${peers.length} (↑/↓ to scroll)` : `${peers.length} peer${peers.length === 1 ? '' : 's'}`}</Text>
    </Box>
  )
}

function PeerRow ({ peer, barWidth }: { peer: PeerInfo, barWidth: number }): React.JSX.Element {
  const { capacity, running, queued, cacheBytes } = peer.load
  const load = capacity === 0 ? cell('no builds', barWidth + 8) : `${progressBar(running, 0, capacity, barWidth)} ${cell(`${running}/${capacity}${queued > 0 ? `+${queued}` : ''}`, 7)}`
  return (
    <Text>
      {cell(shortId(peer.peerId, 11), 12)} <Text color={peer.status === 'alive' ? 'green' : 'yellow'}>{cell(peer.status, 9)}</Text> {cell(peer.rttMs === undefined ? '-' : `${peer.rttMs} ms`, 9)} {load} {formatBytes(cacheBytes)}
    </Text>
  )
}
