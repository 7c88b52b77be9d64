import { Readable } from 'node:stream'
import type { EntryMeta, OpenEntry } from './types.js'

/** An entry held in memory; its body stream is only made if someone reads `body` (a server may send `bytes`). */
export function entryOfBytes (meta: EntryMeta, bytes: Buffer): OpenEntry {
  let body: Readable | undefined
  return {
    meta,
    bytes,
    get body () {
      body ??= Readable.from([bytes])
      return body
    }
  }
}
