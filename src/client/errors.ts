/** No node is running at a data directory (no ready file, or its pid is gone). */
export class NodeNotRunningError extends Error {
  static readonly code = 'ERR_NODE_NOT_RUNNING'
  override name = 'NodeNotRunningError'
  constructor (readonly dataDir: string) {
    super(`no node running at ${dataDir}: start one with \`gmesh up --data ${dataDir}\``)
  }
}

/** The node answered the control API with an error status. */
export class NodeApiError extends Error {
  static readonly code = 'ERR_NODE_API'
  override name = 'NodeApiError'
  constructor (readonly status: number, message: string) {
    super(message)
  }
}

/** The node did not answer (connection refused or reset, or the request timed out: `timeoutMs` says after how long). */
export class NodeUnreachableError extends Error {
  static readonly code = 'ERR_NODE_UNREACHABLE'
  override name = 'NodeUnreachableError'
  constructor (readonly url: string, cause: unknown, timeoutMs?: number) {
    super(`the node at ${url} did not answer (${describeCause(cause, timeoutMs)}): is it running? \`gmesh up\` starts one`, { cause })
  }
}

/** A request body over the node's limit for it: refused before it is sent (the node would answer 413). */
export class RequestBodyTooLargeError extends Error {
  static readonly code = 'ERR_REQUEST_BODY_TOO_LARGE'
  override name = 'RequestBodyTooLargeError'
  constructor (readonly endpoint: string, readonly bytes: number, readonly limit: number) {
    super(`the request to ${endpoint} is ${bytes} bytes of JSON, over the node's ${limit}-byte limit for it: not sent`)
  }
}

/** The control token of a running node could not be read. */
export class NodeTokenError extends Error {
  static readonly code = 'ERR_NODE_TOKEN'
  override name = 'NodeTokenError'
  constructor (readonly path: string, cause: unknown) {
    super(`cannot read the node's control token ${path} (${describeCause(cause)}): run gmesh as the user that started the node, with its --data`, { cause })
  }
}

/**
 * The most telling part of a network or file error: `fetch failed: ECONNREFUSED`, not just `fetch failed`; a timeout
 * as `no answer within 10 s`. Only a string code is told: a DOMException's number (23 for a timeout) says nothing.
 */
function describeCause (cause: unknown, timeoutMs?: number): string {
  const err = cause as { name?: unknown, message?: string, code?: unknown, cause?: { code?: unknown } } | undefined
  if (err?.name === 'TimeoutError') return timeoutMs === undefined ? 'no answer in time' : `no answer within ${timeoutMs / 1000} s`
  const code = [err?.code, err?.cause?.code].find((c): c is string => typeof c === 'string')
  const message = err?.message ?? String(cause)
  return code === undefined || message.includes(code) ? message : `${message}: ${code}`
}
