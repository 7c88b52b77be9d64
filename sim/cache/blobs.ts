import { createHash } from 'node:crypto'
import type { PeerId, Random } from '../../protocols/core/index.js'
import type { SignedRecord, Signer, Verifier } from '../../protocols/cache/index.js'

/** One cache entry as the workload made it: the truth every served blob is checked against. */
export interface SimEntry {
  readonly key: string
  readonly bytes: Uint8Array
  readonly sha256: string
}

/**
 * What a virtual node's store keeps per entry (bytes verified on the way in, unless a test turns that off). The
 * bytes are shared with the entry and the other stores, as read-only: nothing changes them in place.
 */
export interface StoredBlob {
  readonly record: SignedRecord
  readonly bytes: Uint8Array
}

export function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

const hashes = new WeakMap<Uint8Array, string>()

/**
 * `sha256Hex`, once per array: stored bytes are shared between the virtual stores and never changed in place (a
 * corrupt copy is a new array), so a multi-MiB entry fetched a hundred times is hashed once. The checker hashes afresh.
 */
export function storedSha256 (bytes: Uint8Array): string {
  let hash = hashes.get(bytes)
  if (hash === undefined) {
    hash = sha256Hex(bytes)
    hashes.set(bytes, hash)
  }
  return hash
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

/** A blob of seeded bytes (512 B to 16 KiB unless `sizes` says otherwise) under a 64-hex Gradle key. */
export function makeEntry (index: number, random: Random, sizes: readonly [number, number] = [512, 16 * 1024]): SimEntry {
  const size = sizes[0] + random.nextInt(sizes[1] - sizes[0])
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

/** A request on the CAS stream: [purpose][token, 4 bytes][cas frame]. The token names the fetch it answers. */
export function encodeRequest (purpose: PurposeValue, token: number, frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 5)
  out[0] = purpose
  new DataView(out.buffer).setUint32(1, token)
  out.set(frame, 5)
  return out
}

export function decodeRequest (bytes: Uint8Array): { purpose: PurposeValue, token: number, frame: Uint8Array } {
  return { purpose: (bytes[0] === 1 ? 1 : 0), token: new DataView(bytes.buffer, bytes.byteOffset).getUint32(1), frame: bytes.subarray(5) }
}

/**
 * What comes back on the CAS stream: [purpose][token, 4 bytes][key length][key][header length, 2 bytes][header]; no
 * header means the stream was reset (past the per-peer stream limit, or the provider's process died). The body
 * follows as a flow of bytes over time (`BodyFlows`), not in this message.
 */
export function encodeResponse (purpose: PurposeValue, token: number, key: string, header: Uint8Array | undefined): Uint8Array {
  const headerLength = header?.length ?? 0
  const out = new Uint8Array(6 + key.length + 2 + headerLength)
  out[0] = purpose
  new DataView(out.buffer).setUint32(1, token)
  out[5] = key.length
  for (let i = 0; i < key.length; i++) out[6 + i] = key.charCodeAt(i)
  const at = 6 + key.length
  out[at] = headerLength >>> 8
  out[at + 1] = headerLength & 0xff
  if (header !== undefined) out.set(header, at + 2)
  return out
}

export interface DecodedResponse {
  readonly purpose: PurposeValue
  readonly token: number
  readonly key: string
  /** Undefined: the stream was reset. */
  readonly header: Uint8Array | undefined
}

export function decodeResponse (bytes: Uint8Array): DecodedResponse {
  const token = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1)
  const keyLength = bytes[5] as number
  let key = ''
  for (let i = 0; i < keyLength; i++) key += String.fromCharCode(bytes[6 + i] as number)
  const at = 6 + keyLength
  const headerLength = ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
  return { purpose: bytes[0] === 1 ? 1 : 0, token, key, header: headerLength === 0 ? undefined : bytes.subarray(at + 2, at + 2 + headerLength) }
}
