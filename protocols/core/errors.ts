/** Base class of every error a wire codec throws on bad input; `code` is stable for callers. */
export class CodecError extends Error {
  readonly code: string = 'ERR_CODEC'
  override name = 'CodecError'
}

/** Input (or an encoded message) is over the codec's hard size limit. */
export class MessageTooLargeError extends CodecError {
  override readonly code = 'ERR_MESSAGE_TOO_LARGE'
  override name = 'MessageTooLargeError'
  constructor (readonly size: number, readonly limit: number) {
    super(`message of ${size} bytes is over the limit of ${limit} bytes`)
  }
}

/** The wire version byte is one this codec does not speak. */
export class UnsupportedVersionError extends CodecError {
  override readonly code = 'ERR_UNSUPPORTED_VERSION'
  override name = 'UnsupportedVersionError'
  constructor (readonly version: number, readonly supported: number) {
    super(`wire version ${version} is not supported (this codec speaks version ${supported})`)
  }
}

/** Bytes do not parse, or a parsed field breaks the message schema (range, length, type tag). */
export class MalformedMessageError extends CodecError {
  override readonly code = 'ERR_MALFORMED_MESSAGE'
  override name = 'MalformedMessageError'
}
