// The reference peer of bench/mesh-fetch: a bare libp2p node made with createMeshLibp2p (TCP, Noise,
// Yamux, gossipsub..., as a gmesh node's) in its own process, serving a blob over one raw stream and
// 5 KiB replies over stream-rpc, nothing else. Prints {"multiaddr": ...} on stdout when ready;
// stops on SIGTERM. Run by rawPeer() below; also runnable alone: node dist/bench/lib/mesh-raw-peer.js SIZE
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshLibp2p, StreamRpcServer } from '../../node/libp2p/index.js'
import { sendAll } from '../../node/libp2p/stream-reader.js'

export const RAW_BLOB_PROTOCOL = '/gmesh/bench-raw/1.0.0'
export const RAW_RPC_PROTOCOL = '/gmesh/bench-rpc/1.0.0'
/** Size of the stream-rpc reply, the small entry of the first-byte goal. */
export const RAW_RPC_REPLY_BYTES = 5 * 1024
const CHUNK = 64 * 1024

async function serve (blobBytes: number): Promise<void> {
  const blob = new Uint8Array(randomBytes(blobBytes))
  const small = new Uint8Array(randomBytes(RAW_RPC_REPLY_BYTES))
  const node = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false })
  await node.handle(RAW_BLOB_PROTOCOL, async stream => {
    for (let offset = 0; offset < blob.byteLength; offset += CHUNK) await sendAll(stream, blob.subarray(offset, offset + CHUNK))
    await stream.close()
  })
  const rpc = new StreamRpcServer(node, { protocol: RAW_RPC_PROTOCOL, maxRequestBytes: 4096, handler: async () => small })
  await rpc.start()
  process.stdout.write(JSON.stringify({ multiaddr: node.getMultiaddrs()[0].toString() }) + '\n')
  await new Promise<void>(resolve => { process.once('SIGTERM', () => { resolve() }) })
  await rpc.stop()
  await node.stop()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await serve(Number(process.argv[2] ?? 10 * 1024 * 1024))
}
