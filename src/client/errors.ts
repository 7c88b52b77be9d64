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
