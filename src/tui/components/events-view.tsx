import { Text } from 'ink'
import type { NodeEvent } from '../../client/api-types.js'
import { cell, describeEvent } from '../format.js'

export interface EventsViewProps { events: NodeEvent[], width: number, height: number }

const COLORS: Partial<Record<NodeEvent['type'], string>> = { 'peer-down': 'yellow', 'message-rejected': 'red', 'peer-up': 'green' }

/** The newest events, newest at the bottom, as many as fit. */
export function EventsView ({ events, width, height }: EventsViewProps): React.JSX.Element {
  if (events.length === 0) return <Text dimColor>no events yet</Text>
  const shown = events.slice(-Math.max(1, height))
  // One Text of nested lines: a single layout node however many lines (cheap to redraw per event).
  return (
    <Text>
      {shown.map((event, i) => {
        const color = COLORS[event.type]
        const line = cell(describeEvent(event), width) + (i === shown.length - 1 ? '' : '\n')
        return <Text key={event.id} {...(color == null ? {} : { color })}>{line}</Text>
      })}
    </Text>
  )
}
