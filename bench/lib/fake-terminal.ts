// The terminal gmesh top draws into in bench/tui: a TTY as far as ink can tell, kept in memory.
import { PassThrough, Writable } from 'node:stream'

/** ink brackets each frame in these (synchronized output): writes of their own, which are not frames. */
const SYNC_MARKERS = new Set(['\u001B[?2026h', '\u001B[?2026l'])

/** Whether a write to the terminal is a frame, not one of the markers around it. */
export function isFrame (text: string): boolean { return !SYNC_MARKERS.has(text) }

export interface FakeTerminal { stdout: NodeJS.WriteStream, stdin: NodeJS.ReadStream, onWrite: (fn: (text: string) => void) => void }

/** A terminal of `columns` x `rows`: a TTY-like stdout that hands each write to a listener, and a stdin ink can put in raw mode. */
export function fakeTerminal (columns: number, rows: number): FakeTerminal {
  let listener: (text: string) => void = () => {}
  const stdout = Object.assign(new Writable({ write (chunk, _enc, done) { listener(String(chunk)); done() } }), { columns, rows, isTTY: true })
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode () { return stdin }, ref () { return stdin }, unref () { return stdin } })
  return { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, onWrite: fn => { listener = fn } }
}
