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

/** The node did not answer (connection refused or reset, or the request timed out). */
export class NodeUnreachableError extends Error {
  static readonly code = 'ERR_NODE_UNREACHABLE'
  override name = 'NodeUnreachableError'
  constructor (readonly url: string, cause: unknown) {
    super(`the node at ${url} did not answer (${(cause as Error)?.message ?? String(cause)}): is it running? see gmesh status`, { cause })
  }
}
