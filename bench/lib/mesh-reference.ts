import { createInterface } from 'node:readline'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { callRpc, createMeshLibp2p, type MeshLibp2p } from '../../node/libp2p/index.js'
import { REPO_ROOT } from './gmesh-node.js'
import { RAW_BLOB_PROTOCOL, RAW_RPC_PROTOCOL, RAW_RPC_REPLY_BYTES } from './mesh-raw-peer.js'
import { processes, type TrackedProcess } from './processes.js'

export class ReferenceError extends Error {
  override name = 'ReferenceError'
}

/**
 * The libp2p reference of the mesh benchmarks: this process runs a bare createMeshLibp2p node and
 * talks to another one in a child process (bench/lib/mesh-raw-peer), over one Noise+Yamux
 * connection on loopback: two processes, like two gmesh nodes.
 */
export class RawReference {
  private constructor (private readonly proc: TrackedProcess, private readonly client: MeshLibp2p,
    private readonly server: PeerId, readonly blobBytes: number) {}

  static async start (blobBytes: number): Promise<RawReference> {
    const script = new URL('./mesh-raw-peer.js', import.meta.url).pathname
    const proc = processes.spawn('mesh raw peer', process.execPath, [script, String(blobBytes)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    let client: MeshLibp2p | undefined
    try {
      const address = await readyAddress(proc)
      client = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false })
      const connection = await client.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) })
      return new RawReference(proc, client, connection.remotePeer, blobBytes)
    } catch (err) {
      await client?.stop()
      await processes.stop(proc)
      throw err
    }
  }

  /** Milliseconds to open a stream on the existing connection and receive the whole blob. */
  async blobMs (): Promise<number> {
    const started = performance.now()
    const stream = await this.client.dialProtocol(this.server, RAW_BLOB_PROTOCOL, { signal: AbortSignal.timeout(60_000) })
    await stream.close()
    let received = 0
    for await (const chunk of stream) received += chunk.byteLength
    if (received !== this.blobBytes) throw new ReferenceError(`raw stream delivered ${received} of ${this.blobBytes} bytes`)
    return performance.now() - started
  }

  /** Milliseconds to open a stream (protocol negotiated) and to finish a 5 KiB stream-rpc call on a new one. */
  async smallCall (): Promise<{ openMs: number, callMs: number }> {
    let started = performance.now()
    const stream = await this.client.dialProtocol(this.server, RAW_RPC_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
    const openMs = performance.now() - started
    stream.abort(new Error('only the open was timed'))
    started = performance.now()
    const reply = await callRpc(this.client, this.server, RAW_RPC_PROTOCOL, new Uint8Array(1), { signal: AbortSignal.timeout(10_000), deadlineMs: 5000 })
    const callMs = performance.now() - started
    if (reply.byteLength !== RAW_RPC_REPLY_BYTES) throw new ReferenceError(`stream-rpc reply of ${reply.byteLength} bytes`)
    return { openMs, callMs }
  }

  async stop (): Promise<void> {
    await this.client.stop()
    await processes.stop(this.proc)
  }
}

async function readyAddress (proc: TrackedProcess): Promise<string> {
  const out = proc.child.stdout
  if (out == null) throw new ReferenceError('the raw peer has no stdout')
  const lines = createInterface({ input: out })
  const timer = setTimeout(() => { void processes.stop(proc) }, 30_000)
  try {
    for await (const line of lines) {
      const parsed = JSON.parse(line) as { multiaddr?: string }
      if (typeof parsed.multiaddr === 'string') return parsed.multiaddr
    }
  } finally {
    clearTimeout(timer)
    out.resume()
  }
  throw new ReferenceError(`the raw peer exited (${String(await proc.exited)}) before it was ready`)
}
