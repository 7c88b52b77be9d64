import { DeadlineExceededError } from './errors.js'

/** libp2p's errors of a dial or a connection that went away (by name: they come from several packages). */
const CONNECTION_ERRORS = new Set([
  'DialError', 'NoValidAddressesError', 'ConnectionFailedError', 'ConnectionClosedError', 'ConnectionClosingError',
  'MuxerClosedError', 'EncryptionFailedError', 'TransportUnavailableError', 'DialDeniedError', 'TimeoutError'
])

/** Socket errors of a connect that reached no node (the peer dialer's test of a dial that reached no node uses these too). */
export const UNREACHABLE_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ENOTFOUND'])

/** Socket errors of a call that did not reach its peer: a connect that reached no node, or a connection reset. */
const SOCKET_CODES = new Set([...UNREACHABLE_SOCKET_CODES, 'ECONNRESET'])

/**
 * True when a call to a peer failed to reach it: the dial failed (every address, for libp2p's AggregateError), the
 * connection went away, or no reply header came by the call's deadline. Not for an answer of the peer (busy,
 * missing), a bad body or the caller's own abort: the next call to that peer would as likely fail the same way.
 */
export function isConnectionFailure (err: unknown): boolean {
  if (err instanceof DeadlineExceededError) return true
  if (err instanceof AggregateError) return err.errors.length > 0 && err.errors.every(isConnectionFailure)
  const { code, name } = (err ?? {}) as { code?: unknown, name?: unknown }
  return CONNECTION_ERRORS.has(String(name)) || SOCKET_CODES.has(String(code))
}

/**
 * True when no address of the dial reached a node: each failed with a socket error of the connect, or with the TCP
 * transport's connect timeout. An error of the upgrade (libp2p's EncryptionFailedError, say) means a node answered.
 */
export function reachedNoNode (err: unknown): boolean {
  const failures = err instanceof AggregateError ? err.errors : [err]
  return failures.length > 0 && failures.every(failure => {
    const { code, name, message } = (failure ?? {}) as { code?: unknown, name?: unknown, message?: unknown }
    return UNREACHABLE_SOCKET_CODES.has(String(code)) || (name === 'TimeoutError' && String(message).startsWith('Connection timeout'))
  })
}
