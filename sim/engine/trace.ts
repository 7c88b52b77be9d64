/**
 * Running 64-bit trace hash (two 32-bit murmur3-style lanes) over delivered events: two runs with
 * the same seed produce the same hash only if every delivery happened at the same time, to the
 * same node, with the same bytes, in the same order.
 */
export class TraceHash {
  private h1 = 0x9747b28c
  private h2 = 0x5bd1e995
  /** Events mixed in so far. */
  count = 0

  mix (value: number): void {
    let k = Math.imul(value | 0, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    this.h1 ^= k
    this.h1 = (this.h1 << 13) | (this.h1 >>> 19)
    this.h1 = (Math.imul(this.h1, 5) + 0xe6546b64) | 0
    this.h2 = (Math.imul(this.h2 ^ (value | 0), 0x85ebca6b) + this.h1) | 0
    this.h2 ^= this.h2 >>> 13
  }

  /** Mixes one delivered event: its virtual time, kind, target node, source and payload hash. */
  event (time: number, kind: number, node: number, from: number, payload: number): void {
    this.count++
    // in microseconds: two runs that differ below a millisecond hash apart
    const micros = Math.round(time * 1000)
    this.mix(micros % 4294967296)
    this.mix(Math.floor(micros / 4294967296))
    this.mix((kind << 24) ^ node)
    this.mix(from)
    this.mix(payload)
  }

  /** 16 hex digits. */
  digest (): string {
    let a = this.h1 ^ this.count
    let b = this.h2 ^ Math.imul(this.count, 0x27d4eb2d)
    a = Math.imul(a ^ (a >>> 16), 0x85ebca6b)
    b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35)
    a ^= b >>> 7
    b ^= a >>> 11
    return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0')
  }
}

/** FNV-1a over bytes (payload hashes for the trace). */
export function bytesHash (bytes: Uint8Array): number {
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193)
  return h >>> 0
}
