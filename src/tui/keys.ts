import type { Key } from 'ink'

/** What one input event asks of the dashboard. */
export interface KeyCommand {
  quit: boolean
  /** The view to show, as an index from the current one's (`count` views); absent: no change. */
  view?: (current: number, count: number) => number
  /** Rows to scroll, negative for up. */
  scroll: number
}

type Move = (index: number, count: number) => number

const by = (step: number): Move => (index, count) => (index + step + count) % count
const to = (target: number): Move => (index, count) => target < count ? target : index

/**
 * Reads one input event. Ink hands keys that arrived in one read as one string ("\t\t", "qq", "2q")
 * with no key flag set, so plain text is read character by character: q or Ctrl-C anywhere quits,
 * each tab moves one view on, a digit picks a view; later keys apply after earlier ones.
 */
export function readKeys (input: string, key: Key): KeyCommand {
  if (key.ctrl && input === 'c') return { quit: true, scroll: 0 }
  if (key.tab || key.rightArrow) return { quit: false, view: by(key.shift ? -1 : 1), scroll: 0 }
  if (key.leftArrow) return { quit: false, view: by(-1), scroll: 0 }
  if (key.downArrow || key.upArrow) return { quit: false, scroll: key.downArrow ? 1 : -1 }
  const moves: Move[] = []
  for (const char of input) {
    if (char === 'q' || char === '\u0003') return { quit: true, scroll: 0 }
    if (char === '\t') moves.push(by(1))
    else if (char >= '1' && char <= '9') moves.push(to(Number(char) - 1))
  }
  if (moves.length === 0) return { quit: false, scroll: 0 }
  return { quit: false, view: (current, count) => moves.reduce((index, move) => move(index, count), current), scroll: 0 }
}
