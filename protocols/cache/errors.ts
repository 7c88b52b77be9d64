import { CodecError } from '../core/index.js'

/**
 * A cache record breaks its schema: a Gradle key that is not 32–128 lowercase hex characters,
 * a SHA-256 that is not 64 lowercase hex characters, a peer id with characters outside
 * `[A-Za-z0-9._-]`, a size or time out of range, an empty or oversized signature.
 * It is a `CodecError`, so callers that catch codec errors catch it too.
 */
export class InvalidRecordError extends CodecError {
  override readonly code = 'ERR_INVALID_CACHE_RECORD'
  override name = 'InvalidRecordError'
}

/** An announcement batch or index page carries more records than the protocol allows. */
export class TooManyRecordsError extends CodecError {
  override readonly code = 'ERR_TOO_MANY_RECORDS'
  override name = 'TooManyRecordsError'
  constructor (readonly count: number, readonly limit: number) {
    super(`${count} records are over the limit of ${limit} per message`)
  }
}

/** A record's signature does not verify against its producer's key. */
export class BadSignatureError extends Error {
  readonly code = 'ERR_BAD_RECORD_SIGNATURE'
  override name = 'BadSignatureError'
  constructor (readonly gradleKey: string, readonly producer: string) {
    super(`the record for ${gradleKey} is not signed by its producer ${producer}`)
  }
}

/** A record is well signed, but its producer is not one this node's trust policy allows to push. */
export class UntrustedProducerError extends Error {
  readonly code = 'ERR_UNTRUSTED_PRODUCER'
  override name = 'UntrustedProducerError'
  constructor (readonly gradleKey: string, readonly producer: string) {
    super(`the record for ${gradleKey} comes from ${producer}, which this node does not trust to push cache entries`)
  }
}
