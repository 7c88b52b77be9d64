/** The command line was wrong: exit code 2, the message says what to type instead. */
export class UsageError extends Error {
  static readonly code = 'ERR_USAGE'
  override name = 'UsageError'
}

/** The operation was understood but failed: exit code 1, the message says what to do. */
export class OperationError extends Error {
  static readonly code = 'ERR_OPERATION'
  override name = 'OperationError'
}

/** A stop signal (Ctrl-C, a kill, a hangup) ended the operation: exit code 130, the message says what it left behind. */
export class InterruptedError extends Error {
  static readonly code = 'ERR_INTERRUPTED'
  override name = 'InterruptedError'
}
