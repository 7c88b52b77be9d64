import { Box, Text } from 'ink'
import type { TuiState } from '../store.js'
import { shortId } from '../format.js'

/** Lines the header takes: one, and the reason on a second while the node does not answer. */
export function headerLines (state: TuiState): number {
  return state.connected || state.error == null ? 1 : 2
}

/**
 * The node, the mesh's size and the link, on one line cut to the width; a failure's reason (a long
 * URL and cause) on a line of its own, cut too, so the header never wraps and the layout holds.
 */
export function Header ({ state, width }: { state: TuiState, width: number }): React.JSX.Element {
  const { node, connected, error } = state
  const known = node != null || error != null
  const link = connected ? <Text color='green'>connected</Text> : <Text color='red'>disconnected</Text>
  return (
    <Box flexDirection='column' width={width}>
      <Text wrap='truncate-end'>
        <Text bold>gmesh top</Text>
        {node == null ? ' · ' : ` node ${shortId(node.peerId, 12)} v${node.version} · ${state.peers.length} peers · ${state.jobs.length} jobs · `}
        {known ? link : 'connecting…'}
      </Text>
      {headerLines(state) > 1 ? <Text color='red' wrap='truncate-end'>  {(error ?? '').replace(/\s*\n\s*/g, ' ')}</Text> : null}
    </Box>
  )
}
