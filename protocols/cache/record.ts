import { MalformedMessageError } from '../core/index.js'
import type { PeerId, WireReader, WireWriter } from '../core/index.js'
import { InvalidRecordError } from './errors.js'

/** Gradle build cache keys: 32–128 lowercase hex characters (same rule as src/cas). */
export const GRADLE_KEY_PATTERN = /^[0-9a-f]{32,128}$/
export const SHA256_PATTERN = /^[0-9a-f]{64}$/
/** Peer ids as strings: libp2p's base58btc/base32 forms and the simulator's `n42` all fit. */
export const PEER_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/
/** Largest entry a record may describe (1 TiB: a bound for the schema, not the node's size limit). */
export const MAX_RECORD_SIZE = 2 ** 40
/** Ed25519 signs in 64 bytes, secp256k1 in ~72, RSA-4096 in 512: 1 KiB leaves room. */
export const MAX_SIGNATURE_BYTES = 1024

/** What a producer states about one cache entry, before signing. */
export interface CacheRecordFields {
  readonly gradleKey: string
  /** SHA-256 of the entry's bytes, lowercase hex. */
  readonly sha256: string
  readonly size: number
  /** Peer id of the node that produced the entry and signed this record. */
  readonly producer: PeerId
  /** Producer's wall clock, milliseconds since the epoch. Informative only: expiry uses local time. */
  readonly time: number
}

/** A cache record signed with the producer's libp2p key. */
export interface SignedRecord extends CacheRecordFields {
  readonly signature: Uint8Array
}

/** Signs bytes with this node's private key (libp2p: `privateKey.sign(bytes)`, which must be synchronous, e.g. Ed25519). */
export type Signer = (bytes: Uint8Array) => Uint8Array
/** Checks `signature` over `bytes` against `peer`'s public key (libp2p: the key inlined in an Ed25519 peer id). */
export type Verifier = (peer: PeerId, bytes: Uint8Array, signature: Uint8Array) => boolean

const SIGNING_DOMAIN = 'gmesh-cache-record/1'
const encoder = new TextEncoder()

/**
 * The exact bytes a producer signs: UTF-8 of six lines joined by `\n`, no trailing newline:
 * `gmesh-cache-record/1`, gradleKey, sha256, size (decimal), producer, time (decimal).
 * Every field is validated first and none may contain `\n`, so the form is unambiguous and easy
 * to reproduce in any language. The domain line keeps these signatures from meaning anything else.
 */
export function recordSigningBytes (fields: CacheRecordFields): Uint8Array {
  validateRecordFields(fields)
  const { gradleKey, sha256, size, producer, time } = fields
  return encoder.encode([SIGNING_DOMAIN, gradleKey, sha256, String(size), producer, String(time)].join('\n'))
}

/** Validates the fields and signs them with `sign`. */
export function signRecord (fields: CacheRecordFields, sign: Signer): SignedRecord {
  const signature = sign(recordSigningBytes(fields))
  const { gradleKey, sha256, size, producer, time } = fields
  const record: SignedRecord = { gradleKey, sha256, size, producer, time, signature }
  validateSignature(record.signature)
  return record
}

/** True when the signature verifies against the producer's key; false on any failure (never throws). */
export function verifyRecord (record: SignedRecord, verify: Verifier): boolean {
  try {
    return verify(record.producer, recordSigningBytes(record), record.signature)
  } catch {
    return false
  }
}

/** Throws `InvalidRecordError` naming the first field that breaks the schema. */
export function validateRecordFields (f: CacheRecordFields): void {
  if (!GRADLE_KEY_PATTERN.test(f.gradleKey)) throw new InvalidRecordError('gradleKey is not 32 to 128 lowercase hex characters')
  if (!SHA256_PATTERN.test(f.sha256)) throw new InvalidRecordError('sha256 is not 64 lowercase hex characters')
  if (!Number.isSafeInteger(f.size) || f.size < 0 || f.size > MAX_RECORD_SIZE) throw new InvalidRecordError(`size ${f.size} is not an integer between 0 and ${MAX_RECORD_SIZE}`)
  validatePeerId(f.producer, 'producer')
  if (!Number.isSafeInteger(f.time) || f.time < 0) throw new InvalidRecordError(`time ${f.time} is not a non-negative integer`)
}

export function validatePeerId (peer: string, what = 'peer id'): void {
  if (!PEER_ID_PATTERN.test(peer)) throw new InvalidRecordError(`${what} is not 1 to 128 characters of [A-Za-z0-9._-]`)
}

function validateSignature (signature: Uint8Array): void {
  if (signature.length === 0 || signature.length > MAX_SIGNATURE_BYTES) {
    throw new InvalidRecordError(`signature of ${signature.length} bytes is not between 1 and ${MAX_SIGNATURE_BYTES} bytes`)
  }
}

/** Length-prefixed raw bytes (the core writer has strings and integers only). */
export function writeBytes (w: WireWriter, bytes: Uint8Array): void {
  w.uint(bytes.length)
  for (const b of bytes) w.byte(b)
}

export function readBytes (r: WireReader, maxLength: number): Uint8Array {
  const length = r.uint(maxLength)
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = r.byte()
  return out
}

export function writeRecord (w: WireWriter, record: SignedRecord): void {
  validateRecordFields(record)
  validateSignature(record.signature)
  w.string(record.gradleKey).string(record.sha256).uint(record.size).string(record.producer).uint(record.time)
  writeBytes(w, record.signature)
}

/** Reads and schema-checks one record; does not verify its signature (that needs the verifier). */
export function readRecord (r: WireReader): SignedRecord {
  const gradleKey = r.string(128)
  const sha256 = r.string(64)
  const size = r.uint(MAX_RECORD_SIZE)
  const producer = r.string(128)
  const time = r.uint()
  const signature = readBytes(r, MAX_SIGNATURE_BYTES)
  const record: SignedRecord = { gradleKey, sha256, size, producer, time, signature }
  validateRecordFields(record)
  validateSignature(signature)
  return record
}

/** Reads a peer id field and checks its characters. */
export function readPeerId (r: WireReader): PeerId {
  const peer = r.string(128)
  try {
    validatePeerId(peer)
  } catch (err) {
    throw new MalformedMessageError((err as Error).message)
  }
  return peer
}
