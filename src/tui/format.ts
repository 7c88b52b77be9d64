import { stripVTControlCharacters } from 'node:util'
import stringWidth from 'string-width'
import type { NodeEvent } from '../client/api-types.js'

export { formatBytes, formatHitRate } from '../cli/format.js'

/** The last `n` characters of a peer id: enough to tell peers apart on one screen. */
export function shortId (peerId: string, n = 8): string {
  return peerId.length <= n ? peerId : `…${peerId.slice(-n)}`
}

/** A text progress bar of `width` cells: `done` filled, `running` shaded. */
export function progressBar (done: number, running: number, total: number, width: number): string {
  if (total <= 0 || width <= 0) return ' '.repeat(Math.max(0, width))
  const full = Math.round(width * Math.min(done, total) / total)
  const busy = Math.min(width - full, Math.round(width * running / total))
  return '█'.repeat(full) + '▒'.repeat(busy) + '·'.repeat(width - full - busy)
}

const SPARKS = '▁▂▃▄▅▆▇█'

/**
 * A sparkline of values: a full block is `max` (default: the highest value, for amounts with no
 * natural top), a blank is no value (an interval with nothing to measure).
 */
export function sparkline (values: Array<number | undefined>, max = Math.max(0, ...values.map(v => v ?? 0))): string {
  return values.map(v => v === undefined ? ' ' : SPARKS[max <= 0 ? 0 : Math.max(0, Math.min(7, Math.floor(7 * v / max)))]).join('')
}

/** Printable ASCII only: one column per character, so `length` is the width (the common case, kept cheap). */
const NARROW = /^[\x20-\x7e]*$/

/**
 * Pads or cuts to exactly `width` terminal columns: wide characters (CJK, emoji) take two, marks
 * none. A cut ends in '…' and never splits a character.
 */
export function cell (text: string, width: number): string {
  const { kept, columns } = fit(text, width)
  return kept + ' '.repeat(Math.max(0, width - columns))
}

/** What a terminal shows as one character: an emoji of several code points (ZWJ, flags, skin tones), a letter and its marks. */
const graphemes = new Intl.Segmenter()

/**
 * Cuts to at most `width` terminal columns as {@link cell} does, without padding: for the last
 * column of a line, whose trailing spaces would only be more text for ink to lay out and drop.
 * Text from the node (a peer's reason, a unit's name) may hold escape codes and control characters: they are
 * dropped, and a line break or tab becomes a space, so the text stays on one line of `width` columns.
 */
export function cut (text: string, width: number): string {
  return fit(text, width).kept
}

/** `text` cut to at most `width` columns (see {@link cut}), and the columns it takes, measured once for cut and cell alike. */
function fit (text: string, width: number): { kept: string, columns: number } {
  if (width <= 0) return { kept: '', columns: 0 }
  if (NARROW.test(text)) return text.length > width ? { kept: text.slice(0, width - 1) + '…', columns: width } : { kept: text, columns: text.length }
  const shown = printable(text)
  const whole = stringWidth(shown)
  if (whole <= width) return { kept: shown, columns: whole }
  let kept = ''
  let used = 0
  for (const { segment } of graphemes.segment(shown)) {
    const w = stringWidth(segment)
    if (used + w > width - 1) break
    kept += segment
    used += w
  }
  return { kept: kept + '…', columns: used + 1 }
}

/** `text` without escape codes and control characters; line breaks and tabs become spaces. */
function printable (text: string): string {
  return stripVTControlCharacters(text).replace(/[\t\n\v\f\r]/g, ' ').replace(/\p{Cc}/gu, '')
}

/** One line of the event log, its time of day in the local time zone (as the user's clock shows it). */
export function describeEvent (event: NodeEvent): string {
  const time = new Date(event.time).toTimeString().slice(0, 8)
  return `${time} ${describeBody(event)}`
}

function describeBody (event: NodeEvent): string {
  switch (event.type) {
    case 'peer-up': return `peer up     ${shortId(event.peer)}`
    case 'peer-down': return `peer down   ${shortId(event.peer)}`
    case 'cache-get': return `cache ${event.source === 'miss' ? 'miss ' : 'hit  '} ${event.key.slice(0, 12)} ${event.source === 'miss' ? '' : `from ${event.source} `}(${event.ms.toFixed(1)} ms)`
    case 'cache-put': return `cache put   ${event.key.slice(0, 12)} ${event.bytes} B`
    case 'peer-fetch': return `peer fetch  ${event.key.slice(0, 12)} from ${shortId(event.peer)}: ${event.result} (${event.ms.toFixed(0)} ms)`
    case 'message-rejected': return `rejected    ${event.topic} from ${shortId(event.peer)}: ${event.reason}`
    case 'cache-gc': return `cache gc    ${event.evicted} evicted${event.interrupted === true ? ' (stopped early)' : ''}`
    case 'job': return `job         ${event.jobId} ${event.state}`
    case 'unit': return `unit        ${event.name} ${event.outcome} (${(event.ms / 1000).toFixed(1)} s)`
    case 'units-requeued': return `requeued    ${event.units} unit${event.units === 1 ? '' : 's'} of ${event.jobId} from ${shortId(event.from)}`
    case 'units-stolen': return `stole       ${event.units} unit${event.units === 1 ? '' : 's'} from a busy neighbour`
    case 'leading': return `leading     ${event.jobId} term ${event.term}`
  }
}
