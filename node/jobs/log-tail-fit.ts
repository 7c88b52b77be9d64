/**
 * A failure's log tail made to fit a unit report's byte limit without losing what says what went wrong. javac echoes
 * the offending source line and a caret line padded to its column, so one minified or generated source line can be
 * tens of kilobytes: long lines are shortened first (the longest first, down to MIN_LINE_CHARS); only if that is not
 * enough are lines left out, from the middle of the tail (its start and end say what ran and how it ended), and lines
 * naming an error (`error:`, `FAILED`, `Exception`) only after every other line. Each run of lines left out becomes one
 * line saying how many.
 */
import { capLine } from '../../src/gradle/build-output.js'

/** Lines are not shortened below this many characters (plus `…`) before lines are left out. */
export const MIN_LINE_CHARS = 200

const IMPORTANT = /error:|FAILED|Exception/

/**
 * The lines of `lines`, shortened and thinned as little as `fits` allows (see above); `fits` is asked of candidate
 * tails and must hold for the empty one for the result to fit. `lines` is left as it was.
 */
export function fitLogTail (lines: readonly string[], fits: (tail: string[]) => boolean): string[] {
  if (fits([...lines])) return [...lines]
  const longest = Math.max(0, ...lines.map(line => line.length))
  const cappedAt = (chars: number): string[] => lines.map(line => capLine(line, chars))
  if (longest > MIN_LINE_CHARS) {
    // the largest cap that fits: the longest lines are shortened, the others left whole
    let [lo, hi] = [MIN_LINE_CHARS, longest - 1]
    if (fits(cappedAt(lo))) {
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2)
        if (fits(cappedAt(mid))) lo = mid
        else hi = mid - 1
      }
      return cappedAt(lo)
    }
  }
  return thinned(cappedAt(MIN_LINE_CHARS), fits)
}

/** `lines` with the fewest lines left out (in `dropOrder`) that fits; each run left out is one line saying so. */
function thinned (lines: string[], fits: (tail: string[]) => boolean): string[] {
  const order = dropOrder(lines)
  const without = (count: number): string[] => leaveOut(lines, new Set(order.slice(0, count)))
  let [lo, hi] = [1, lines.length]
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    if (fits(without(mid))) hi = mid
    else lo = mid + 1
  }
  return without(lo)
}

/** Indices of `lines` in the order they are left out: plain lines from the middle outwards, then important ones so. */
function dropOrder (lines: readonly string[]): number[] {
  const middle = (lines.length - 1) / 2
  const rank = (i: number): number => (IMPORTANT.test(lines[i]!) ? lines.length : 0) + Math.abs(i - middle)
  return lines.map((_, i) => i).sort((a, b) => rank(a) - rank(b) || a - b)
}

function leaveOut (lines: readonly string[], dropped: ReadonlySet<number>): string[] {
  if (dropped.size === lines.length) return []
  const kept: string[] = []
  let run = 0
  lines.forEach((line, i) => {
    if (dropped.has(i)) { run++; return }
    if (run > 0) kept.push(leftOutLine(run))
    run = 0
    kept.push(line)
  })
  if (run > 0) kept.push(leftOutLine(run))
  return kept
}

const leftOutLine = (count: number): string => `… ${count} line${count === 1 ? '' : 's'} left out …`
