import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DataFiles } from '../config/data-dir.js'
import { isAlive } from '../config/pid.js'
import { NodeApiError, NodeNotRunningError } from './errors.js'

/** The ready file a running node writes: `DIR/node.json`. */
export interface NodeReadyInfo {
  peerId: string
  multiaddrs: string[]
  httpUrl: string
  cacheUrl: string
  pid: number
  version?: string
  startedAt?: string
}

/** Reads `DIR/node.json` of a live node, or throws NodeNotRunningError. */
export async function readReadyFile (dataDir: string): Promise<NodeReadyInfo> {
  let info: NodeReadyInfo
  try {
    info = JSON.parse(await readFile(join(dataDir, DataFiles.ready), 'utf8')) as NodeReadyInfo
  } catch {
    throw new NodeNotRunningError(dataDir)
  }
  if (typeof info?.httpUrl !== 'string' || !isAlive(info.pid)) throw new NodeNotRunningError(dataDir)
  return info
}

export interface NodeClientOptions {
  /** Per-request timeout in milliseconds (default 10 s). */
  timeoutMs?: number
}

/** A typed client of a node's control API, found through its data directory. */
export class NodeClient {
  private constructor (readonly info: NodeReadyInfo, private readonly token: string,
    private readonly options: NodeClientOptions) {}

  static async connect (dataDir: string, options: NodeClientOptions = {}): Promise<NodeClient> {
    const info = await readReadyFile(dataDir)
    const token = (await readFile(join(dataDir, DataFiles.token), 'utf8')).trim()
    return new NodeClient(info, token, options)
  }

  async status (signal?: AbortSignal): Promise<Record<string, unknown>> {
    return await this.call('GET', 'status', signal) as Record<string, unknown>
  }

  async cacheGc (signal?: AbortSignal): Promise<{ evicted: number, freedBytes: number }> {
    return await this.call('POST', 'cache/gc', signal) as { evicted: number, freedBytes: number }
  }

  async cacheVerify (signal?: AbortSignal): Promise<{ checked: number, quarantined: number }> {
    return await this.call('POST', 'cache/verify', signal) as { checked: number, quarantined: number }
  }

  private async call (method: string, path: string, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 10_000)
    const response = await fetch(`${this.info.httpUrl}/api/v1/${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}` },
      signal: signal == null ? timeout : AbortSignal.any([signal, timeout])
    })
    const body = await response.json().catch(() => ({})) as { error?: string }
    if (!response.ok) throw new NodeApiError(response.status, body.error ?? `the node answered ${response.status}`)
    return body
  }
}
