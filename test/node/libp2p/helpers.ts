import type { ExecutionContext } from 'ava'
import type { GossipSub } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshLibp2p } from '../../../node/libp2p/create-node.js'
import type { MeshLibp2p, MeshNodeConfig } from '../../../node/libp2p/create-node.js'

/** A started node on 127.0.0.1 (random port, mDNS off), stopped in the test's teardown. */
export async function startNode (t: ExecutionContext, config: Partial<MeshNodeConfig> = {}): Promise<MeshLibp2p> {
  const node = await createMeshLibp2p({
    privateKey: config.privateKey ?? await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    mdns: false,
    ...config
  })
  t.teardown(async () => { await node.stop() })
  return node
}

/** The node's first listen address, with its /p2p/ peer ID. */
export function addressOf (node: MeshLibp2p): string {
  const address = node.getMultiaddrs()[0]
  if (address == null) throw new Error('node has no listen address')
  return address.toString()
}

/** Resolves with the first event of `type` whose detail satisfies `accept`. */
export async function nextEvent<T> (target: EventTarget, type: string, accept: (detail: T) => boolean = () => true): Promise<T> {
  return await new Promise(resolve => {
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent<T>).detail
      if (!accept(detail)) return
      target.removeEventListener(type, listener)
      resolve(detail)
    }
    target.addEventListener(type, listener)
  })
}

/** Resolves once `pubsub` knows that `peer` subscribes to `topic` (at once if it already does). */
export async function subscribed (pubsub: GossipSub, topic: string, peer: PeerId): Promise<void> {
  const known = (): boolean => pubsub.getSubscribers(topic).some(id => id.equals(peer))
  if (known()) return
  await new Promise<void>(resolve => {
    const listener = (): void => {
      if (!known()) return
      pubsub.removeEventListener('subscription-change', listener)
      resolve()
    }
    pubsub.addEventListener('subscription-change', listener)
  })
}

/** Resolves once `node` has a connection to `peer` that identify has completed on. */
export async function connected (node: MeshLibp2p, peer: MeshLibp2p): Promise<void> {
  const identified = nextEvent<{ peerId: PeerId }>(node, 'peer:identify', result => result.peerId.equals(peer.peerId))
  if (node.getConnections(peer.peerId).length > 0 && (await node.peerStore.get(peer.peerId)).protocols.length > 0) return
  await identified
}

/** Three started nodes in a line on loopback (b bootstraps to a, c to b), once both links are identified. */
export async function lineOfThree (t: ExecutionContext): Promise<[MeshLibp2p, MeshLibp2p, MeshLibp2p]> {
  const a = await startNode(t)
  const b = await startNode(t, { bootstrap: [addressOf(a)] })
  const c = await startNode(t, { bootstrap: [addressOf(b)] })
  await connected(c, b)
  await connected(b, a)
  return [a, b, c]
}
