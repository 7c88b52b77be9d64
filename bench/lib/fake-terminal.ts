// The terminal gmesh top draws into in bench/tui: a TTY as far as ink can tell, kept in memory.
import { PassThrough, Writable } from 'node:stream'

/** ink brackets each frame in these (synchronized output): writes of their own, which are not frames. */
const SYNC_MARKERS = new Set(['\u001B[?2026h', '\u001B[?2026l'])

export interface FakeTerminal { stdout: NodeJS.WriteStream, stdin: NodeJS.ReadStream, onFrame: (fn: (text: string) => void) => void }

/**
 * A terminal of `columns` x `rows`: a TTY-like stdout that hands each frame written to it to a listener (not the
 * markers around it), and a stdin ink can put in raw mode.
 */
export function fakeTerminal (columns: number, rows: number): FakeTerminal {
  let listener: (text: string) => void = () => {}
  const stdout = Object.assign(new Writable({ write (chunk, _enc, done) { const text = String(chunk); if (!SYNC_MARKERS.has(text)) listener(text); done() } }), { columns, rows, isTTY: true })
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode () { return stdin }, ref () { return stdin }, unref () { return stdin } })
  return { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, onFrame: fn => { listener = fn } }
}
