/** A frame announced a length above the protocol's limit; the stream is closed. */
export class FrameTooLargeError extends Error {
  static readonly code = 'ERR_FRAME_TOO_LARGE'
  override name = 'FrameTooLargeError'
  constructor (readonly length: number, readonly maxBytes: number) {
    super(`frame of ${length} bytes exceeds the limit of ${maxBytes} bytes`)
  }
}

/** The bytes on a stream are not a valid frame (e.g. a runaway length varint). */
export class InvalidFrameError extends Error {
  static readonly code = 'ERR_INVALID_FRAME'
  override name = 'InvalidFrameError'
}

/** The remote closed the stream before the expected bytes arrived. */
export class StreamEndedError extends Error {
  static readonly code = 'ERR_STREAM_ENDED'
  override name = 'StreamEndedError'
}

/** The remote closed the stream before the first byte of a frame: a stream opened and not used (a spare stream). */
export class StreamEndedBeforeFrameError extends StreamEndedError {
  override name = 'StreamEndedBeforeFrameError'
}

/** A call did not complete before its deadline. */
export class DeadlineExceededError extends Error {
  static readonly code = 'ERR_DEADLINE_EXCEEDED'
  override name = 'DeadlineExceededError'
  constructor (readonly protocol: string, readonly deadlineMs: number) {
    super(`${protocol} call did not complete within ${deadlineMs} ms`)
  }
}

/** A body exceeded the byte limit the caller accepts. */
export class BodyTooLargeError extends Error {
  static readonly code = 'ERR_BODY_TOO_LARGE'
  override name = 'BodyTooLargeError'
  constructor (readonly maxBytes: number) {
    super(`response body exceeds the limit of ${maxBytes} bytes`)
  }
}

/** A body stopped arriving: nothing came for the caller's stall timeout (the sender may be alive, the stream open). */
export class BodyStalledError extends Error {
  static readonly code = 'ERR_BODY_STALLED'
  override name = 'BodyStalledError'
  constructor (readonly stallMs: number) {
    super(`response body stalled: nothing arrived for ${stallMs} ms`)
  }
}

/** A peer opened more concurrent inbound streams on a protocol than allowed. */
export class TooManyStreamsError extends Error {
  static readonly code = 'ERR_TOO_MANY_STREAMS'
  override name = 'TooManyStreamsError'
  constructor (readonly protocol: string, readonly limit: number) {
    super(`more than ${limit} concurrent inbound ${protocol} streams from one peer`)
  }
}

/** The libp2p configuration given to `createMeshLibp2p` is unusable. */
export class MeshConfigError extends Error {
  static readonly code = 'ERR_MESH_CONFIG'
  override name = 'MeshConfigError'
}
