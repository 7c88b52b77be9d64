import { MalformedMessageError, MessageTooLargeError, UnsupportedVersionError } from './errors.js'

/**
 * One codec per protocol, used by both the node and the simulator.
 * `decode` validates everything (version, type tag, field ranges, lengths, total size) and throws
 * a `CodecError` subclass on bad input; `encode` refuses to produce a message over `maxBytes`.
 */
export interface MessageCodec<T> {
  readonly version: number
  readonly maxBytes: number
  encode: (message: T) => Uint8Array
  decode: (bytes: Uint8Array) => T
}

/** Frame header: [version byte][message type byte] then the message's fields. */
export const HEADER_BYTES = 2

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/** Appends unsigned varints, bytes and strings to a growing buffer, then hands out a copy. */
export class WireWriter {
  private buf: Uint8Array
  private pos = 0

  constructor (version: number, type: number, initialCapacity = 64) {
    this.buf = new Uint8Array(Math.max(initialCapacity, 8))
    this.byte(version)
    this.byte(type)
  }

  byte (value: number): this {
    this.reserve(1)
    this.buf[this.pos++] = value & 0xff
    return this
  }

  /** Unsigned LEB128 varint, 0 <= value <= Number.MAX_SAFE_INTEGER. */
  uint (value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new MalformedMessageError(`cannot encode ${value} as an unsigned integer`)
    this.reserve(8)
    let v = value
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.buf[this.pos++] = v
    return this
  }

  /** Bytes as they are, without a length: for fields of a fixed size (a hash), which the reader must know. */
  raw (value: Uint8Array): this {
    this.reserve(value.length)
    this.buf.set(value, this.pos)
    this.pos += value.length
    return this
  }

  /** Length-prefixed UTF-8 string. */
  string (value: string): this {
    this.reserve(value.length * 3 + 8)
    const lengthAt = this.pos
    // Reserve one length byte for the common short case; move the bytes if the length needs more.
    const { written } = utf8Encoder.encodeInto(value, this.buf.subarray(lengthAt + 1))
    if (written < 0x80) {
      this.buf[lengthAt] = written
      this.pos = lengthAt + 1 + written
      return this
    }
    const bytes = this.buf.slice(lengthAt + 1, lengthAt + 1 + written)
    this.uint(written)
    this.reserve(written)
    this.buf.set(bytes, this.pos)
    this.pos += written
    return this
  }

  /** The encoded message; throws `MessageTooLargeError` past `maxBytes`. */
  finish (maxBytes: number): Uint8Array {
    if (this.pos > maxBytes) throw new MessageTooLargeError(this.pos, maxBytes)
    return this.buf.slice(0, this.pos)
  }

  private reserve (n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }
}

/** Reads what `WireWriter` wrote; every read is bounds-checked and throws `MalformedMessageError`. */
export class WireReader {
  private pos = HEADER_BYTES
  readonly type: number

  /** Checks size and version, then exposes the message type tag. */
  constructor (private readonly bytes: Uint8Array, version: number, maxBytes: number) {
    if (bytes.length > maxBytes) throw new MessageTooLargeError(bytes.length, maxBytes)
    if (bytes.length < HEADER_BYTES) throw new MalformedMessageError(`message of ${bytes.length} bytes is shorter than its header`)
    if (bytes[0] !== version) throw new UnsupportedVersionError(bytes[0] as number, version)
    this.type = bytes[1] as number
  }

  byte (): number {
    if (this.pos >= this.bytes.length) throw new MalformedMessageError('message ends inside a field')
    return this.bytes[this.pos++] as number
  }

  /** Unsigned varint no larger than `max`. */
  uint (max = Number.MAX_SAFE_INTEGER): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const b = this.byte()
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        if (value > max) throw new MalformedMessageError(`integer ${value} is over its limit of ${max}`)
        return value
      }
      scale *= 0x80
    }
    throw new MalformedMessageError('varint is longer than 8 bytes')
  }

  /** Exactly `length` bytes written by `WireWriter.raw` (a copy). */
  raw (length: number): Uint8Array {
    if (this.pos + length > this.bytes.length) throw new MalformedMessageError('message ends inside a field')
    const out = this.bytes.slice(this.pos, this.pos + length)
    this.pos += length
    return out
  }

  /** Length-prefixed UTF-8 string of at most `maxLength` bytes. */
  string (maxLength: number): string {
    const length = this.uint(maxLength)
    if (this.pos + length > this.bytes.length) throw new MalformedMessageError('string runs past the end of the message')
    const start = this.pos
    this.pos += length
    const interned = internAscii(this.bytes, start, length)
    if (interned !== undefined) return interned
    try {
      return utf8Decoder.decode(this.bytes.subarray(start, start + length))
    } catch {
      throw new MalformedMessageError('string is not valid UTF-8')
    }
  }

  /** Whether every byte has been read (an optional field at the end of a message is absent). */
  get atEnd (): boolean {
    return this.pos >= this.bytes.length
  }

  /** Asserts the whole message was consumed (trailing bytes are a schema violation). */
  end (): void {
    if (this.pos !== this.bytes.length) throw new MalformedMessageError(`${this.bytes.length - this.pos} trailing bytes after the message`)
  }
}

const INTERN_MAX_LENGTH = 80
const INTERN_SLOTS = 65536
const internTable: Array<string | undefined> = new Array(INTERN_SLOTS)

/**
 * Short ASCII strings (peer ids, topics) are decoded through a small direct-mapped cache, so the
 * same id decoded a million times is one string object: no UTF-8 decoder call, and Map lookups
 * keyed by it hit V8's cached hash. Returns undefined for anything else (the caller decodes it).
 */
function internAscii (bytes: Uint8Array, start: number, length: number): string | undefined {
  if (length > INTERN_MAX_LENGTH) return undefined
  let h = 0x811c9dc5
  for (let i = start; i < start + length; i++) {
    const b = bytes[i] as number
    if (b >= 0x80) return undefined
    h = Math.imul(h ^ b, 0x01000193)
  }
  const slot = (h >>> 0) % INTERN_SLOTS
  const cached = internTable[slot]
  if (cached !== undefined && cached.length === length) {
    let same = true
    for (let i = 0; i < length; i++) {
      if (cached.charCodeAt(i) !== bytes[start + i]) { same = false; break }
    }
    if (same) return cached
  }
  let text = ''
  for (let i = start; i < start + length; i++) text += String.fromCharCode(bytes[i] as number)
  internTable[slot] = text
  return text
}
