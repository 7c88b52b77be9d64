import { Box, Text } from 'ink'
import type { NodeEvent } from '../../client/api-types.js'
import { cell, describeEvent } from '../format.js'

export interface EventsViewProps { events: NodeEvent[], width: number, height: number }

const COLORS: Partial<Record<NodeEvent['type'], string>> = { 'peer-down': 'yellow', 'message-rejected': 'red', 'peer-up': 'green' }

/** The newest events, newest at the bottom, as many as fit. */
export function EventsView ({ events, width, height }: EventsViewProps): React.JSX.Element {
  if (events.length === 0) return <Text dimColor>no events yet</Text>
  const shown = events.slice(-Math.max(1, height))
  return (
    <Box flexDirection='column'>
      {shown.map(event => {
        const color = COLORS[event.type]
        return <Text key={event.id} {...(color == null ? {} : { color })}>{cell(describeEvent(event), width)}</Text>
      })}
    </Box>
  )
}
