import { createHash } from 'node:crypto'
import type { PeerId, Random } from '../../protocols/core/index.js'
import type { SignedRecord, Signer, Verifier } from '../../protocols/cache/index.js'

/** One cache entry as the workload made it: the truth every served blob is checked against. */
export interface SimEntry {
  readonly key: string
  readonly bytes: Uint8Array
  readonly sha256: string
}

/** What a virtual node's store keeps per entry (bytes verified on the way in, unless a test turns that off). */
export interface StoredBlob {
  readonly record: SignedRecord
  readonly bytes: Uint8Array
}

export function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A deterministic stand-in for Ed25519: the signature is SHA-256 over the signer's id and the bytes. */
export function simSigner (peer: PeerId): Signer {
  return bytes => new Uint8Array(createHash('sha256').update(peer).update('\0').update(bytes).digest())
}

/** Checks a `simSigner` signature: only `peer` could have made it (in the simulator's world). */
export const simVerifier: Verifier = (peer, bytes, signature) => {
  const expected = simSigner(peer)(bytes)
  if (expected.length !== signature.length) return false
  for (let i = 0; i < expected.length; i++) if (expected[i] !== signature[i]) return false
  return true
}

/** A blob of 512 B to 16 KiB of seeded bytes under a 64-hex Gradle key. */
export function makeEntry (index: number, random: Random): SimEntry {
  const size = 512 + random.nextInt(16 * 1024 - 512)
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i += 4) {
    const word = random.nextU32()
    for (let b = 0; b < 4 && i + b < size; b++) bytes[i + b] = (word >>> (8 * b)) & 0xff
  }
  const key = createHash('sha256').update(`entry-${index}-${random.nextU32()}`).digest('hex')
  return { key, bytes, sha256: sha256Hex(bytes) }
}

/** The bytes a malicious provider serves instead: same length, one byte flipped (wrong SHA-256). */
export function corrupt (bytes: Uint8Array, random: Random): Uint8Array {
  const out = bytes.slice()
  const at = random.nextInt(out.length)
  out[at] = ((out[at] as number) ^ 0xff) & 0xff
  return out
}

/** Why a blob transfer was made: a lookup's fetch, or a replica pulling a pushed entry. */
export const Purpose = { lookup: 0, pull: 1 } as const
export type PurposeValue = typeof Purpose[keyof typeof Purpose]

/** A request on the CAS stream: [purpose][cas frame]. */
export function encodeRequest (purpose: PurposeValue, frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 1)
  out[0] = purpose
  out.set(frame, 1)
  return out
}

export function decodeRequest (bytes: Uint8Array): { purpose: PurposeValue, frame: Uint8Array } {
  return { purpose: (bytes[0] === 1 ? 1 : 0), frame: bytes.subarray(1) }
}

/** A response on the CAS stream: [purpose][key length][key][header length, 2 bytes][header][body]. */
export function encodeResponse (purpose: PurposeValue, key: string, header: Uint8Array, body: Uint8Array | undefined): Uint8Array {
  const bodyLength = body?.length ?? 0
  const out = new Uint8Array(2 + key.length + 2 + header.length + bodyLength)
  out[0] = purpose
  out[1] = key.length
  for (let i = 0; i < key.length; i++) out[2 + i] = key.charCodeAt(i)
  let at = 2 + key.length
  out[at++] = header.length >>> 8
  out[at++] = header.length & 0xff
  out.set(header, at)
  if (body !== undefined) out.set(body, at + header.length)
  return out
}

export interface DecodedResponse {
  readonly purpose: PurposeValue
  readonly key: string
  readonly header: Uint8Array
  readonly body: Uint8Array
}

export function decodeResponse (bytes: Uint8Array): DecodedResponse {
  const keyLength = bytes[1] as number
  let key = ''
  for (let i = 0; i < keyLength; i++) key += String.fromCharCode(bytes[2 + i] as number)
  let at = 2 + keyLength
  const headerLength = ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
  at += 2
  return { purpose: bytes[0] === 1 ? 1 : 0, key, header: bytes.subarray(at, at + headerLength), body: bytes.subarray(at + headerLength) }
}
