import { Text } from 'ink'
import type { NodeEvent } from '../../client/api-types.js'
import { cut, describeEvent } from '../format.js'

export interface EventsViewProps {
  events: NodeEvent[]
  width: number
  height: number
  /** Events lost while disconnected (shown above the log). */
  missed?: number
  /** Restarts of the node under the stream: the last events of each earlier run may be missing (shown above the log). */
  restarts?: number
}

/** Marks the events worth a second look, in the first column (cheaper to draw than colour). */
const MARKS: Partial<Record<NodeEvent['type'], string>> = { 'peer-down': '↓', 'message-rejected': '!', 'peer-up': '↑', 'units-requeued': '!' }

/**
 * The newest events, newest at the bottom, as many as fit: one plain string, no nested styled
 * nodes, so a redraw per event costs ink one text node and no escape codes to parse; lines are cut
 * to the width and not padded, as ink would lay out the trailing spaces at every frame only to drop them.
 */
export function EventsView ({ events, width, height, missed = 0, restarts = 0 }: EventsViewProps): React.JSX.Element {
  const lost = [
    ...(missed > 0 ? [cut(`! ${missed} event${missed === 1 ? ' was' : 's were'} lost while disconnected (the node's buffer moved on)`, width)] : []),
    ...(restarts > 0 ? [cut(`! the node restarted${restarts === 1 ? '' : ` ${restarts} times`}: the last events of its earlier run may be missing`, width)] : [])
  ]
  if (events.length === 0 && lost.length === 0) return <Text dimColor>no events yet</Text>
  const shown = events.slice(-Math.max(1, height - lost.length))
  const lines = [...lost, ...shown.map(event => cut(`${MARKS[event.type] ?? ' '} ${describeEvent(event)}`, width))]
  return <Text>{lines.join('\n')}</Text>
}
