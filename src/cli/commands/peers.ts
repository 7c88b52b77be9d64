import type { Command } from 'commander'
import { formatBytes } from '../format.js'
import { connectivityHint } from '../connectivity-hint.js'
import type { ConnectivityInfo } from '../../client/api-types.js'
import { connect } from './status.js'

/** One live peer as the node's status lists it (node/mesh `PeerStatus`). */
export interface PeerRow {
  peerId: string
  status: string
  connected: boolean
  rttMs?: number
  load: { capacity: number, running: number, queued: number, cacheBytes: number }
  addresses?: string[]
}

/** Registers `gmesh peers`: the live peers of the running node, with status, connection, RTT and load. */
export function register (program: Command): void {
  program.command('peers')
    .description('list the running node\'s live peers: status, connection, round-trip time and load')
    .option('--data <dir>', 'data directory (default $GMESH_HOME or ~/.gmesh)')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { data?: string, json?: boolean }) => {
      const client = await connect(options.data)
      const status = await client.status()
      const peers = peersOf(status)
      process.stdout.write(options.json === true ? JSON.stringify(peers, null, 2) + '\n' : describePeers(peers, status.connectivity as ConnectivityInfo | undefined))
    })
}

/** The peer list of a status answer; an old node without one has none. */
export function peersOf (status: Record<string, unknown>): PeerRow[] {
  return Array.isArray(status.peers) ? status.peers as PeerRow[] : []
}

/** A table for people: one line per peer, fixed columns; without peers, why (see connectivityHint) when the node can tell. */
export function describePeers (peers: readonly PeerRow[], connectivity?: ConnectivityInfo): string {
  if (peers.length === 0) return `no live peers: ${connectivityHint(0, connectivity) ?? 'is the node bootstrapped? see gmesh up --bootstrap'}\n`
  const rows = [['PEER', 'STATUS', 'CONNECTED', 'RTT', 'LOAD', 'CACHE'], ...peers.map(peerColumns)]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map(row => row[column]!.length)))
  return rows.map(row => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n'
}

function peerColumns (peer: PeerRow): string[] {
  const { capacity, running, queued, cacheBytes } = peer.load
  const slots = capacity === 0 ? 'no builds' : `${running}/${capacity} running`
  return [
    peer.peerId,
    peer.status,
    peer.connected ? 'yes' : 'no',
    peer.rttMs === undefined ? '-' : `${peer.rttMs} ms`,
    queued > 0 ? `${slots}, ${queued} queued` : slots,
    formatBytes(cacheBytes)
  ]
}
