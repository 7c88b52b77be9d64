import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { AbortOptions, Connection, Libp2pEvents, PeerId, PeerInfo, Startable, TypedEventTarget } from '@libp2p/interface'
import { reachedNoNode } from './connection-failure.js'

/**
 * libp2p 3 has no auto-dialer: discovered peers only land in the peer store. This service
 * dials the bootstrap list (but for this node's own address, if listed) at start (and again every `retryMs` while
 * a bootstrap peer is not connected) and dials peers that mDNS (or any discovery) reports, up to a connection cap.
 * libp2p reports a peer as discovered only the first time, so the service remembers discovered
 * peers and dials them again when their dial failed or their connection dropped, backing off
 * from `retryMs` to `maxRetryMs`: a LAN split for hours joins again when it heals.
 */
export interface PeerDialerInit {
  bootstrap: string[]
  /** Redial interval for unconnected bootstrap peers. Default 5 s. */
  retryMs?: number
  /** Per-dial timeout. Default 10 s. */
  dialTimeoutMs?: number
  /**
   * Discovered peers are dialled only while the node has fewer connections than this. libp2p
   * reports every peer new to the peer store as discovered (mDNS, DHT answers, identify), so
   * without a cap a large mesh would become a full mesh. Default 64.
   */
  maxAutoDialConnections?: number
  /** Longest wait between dials of a discovered peer that keeps failing. Default 5 min. */
  maxRetryMs?: number
}

export interface PeerDialerComponents {
  peerId: PeerId
  events: TypedEventTarget<Libp2pEvents>
  connectionManager: {
    openConnection: (target: PeerId | Multiaddr, options?: AbortOptions) => Promise<Connection>
    getConnections: (peerId?: PeerId) => Connection[]
  }
}

/**
 * What the dialer did, for `gmesh status`. A peer that is discovered again and again but never
 * connects is down, or (on a LAN shared with another mesh) has another swarm key.
 */
export interface PeerDialerStats {
  /** Reports of a peer by a discovery (mDNS, DHT answers, identify); one peer may be reported many times. */
  discoveries: number
  dials: number
  failedDials: number
  /**
   * Failed dials that reached no node: refused, no route, the TCP connect timed out. The other failed dials reached
   * a node and failed later, most in the handshake (see HandshakeWatch).
   */
  unreachable: number
  /** Why the newest failed dial failed. */
  lastDialError?: string
}

/** A discovered peer this node keeps dialling while it is not connected. */
interface Discovered {
  peer: PeerId
  failures: number
  /** When to dial again, on performance.now() (a wait, which a step of the wall clock must not stretch); 0: at once. */
  nextDialAt: number
}

/** Discovered peers remembered at most (the most recently discovered or connected stay). */
const MAX_REMEMBERED = 256

interface BootstrapTarget {
  address: Multiaddr
  /** From the address' /p2p/ part, or learnt from the first connection. */
  peerId?: PeerId
}

export class PeerDialer implements Startable {
  readonly stats: PeerDialerStats = { discoveries: 0, dials: 0, failedDials: 0, unreachable: 0 }
  private readonly targets: BootstrapTarget[]
  private readonly retryMs: number
  private readonly dialTimeoutMs: number
  private readonly maxAutoDial: number
  private readonly maxRetryMs: number
  private readonly dialing = new Set<string>()
  private readonly discovered = new Map<string, Discovered>()
  private controller = new AbortController()
  private timer?: NodeJS.Timeout

  constructor (private readonly components: PeerDialerComponents, init: PeerDialerInit) {
    // one bootstrap list is often given to every node of a mesh: a node's own address in it is not a peer to dial
    // (libp2p refuses to dial self; redialled every retryMs, it would fill failedDials and lastDialError)
    this.targets = init.bootstrap.map((text): BootstrapTarget => {
      const address = multiaddr(text)
      const id = address.getComponents().find(c => c.name === 'p2p')?.value
      return { address, peerId: id == null ? undefined : peerIdFromString(id) }
    }).filter(target => target.peerId?.equals(components.peerId) !== true)
    this.retryMs = init.retryMs ?? 5000
    this.dialTimeoutMs = init.dialTimeoutMs ?? 10_000
    this.maxAutoDial = init.maxAutoDialConnections ?? 64
    this.maxRetryMs = init.maxRetryMs ?? 5 * 60_000
  }

  readonly [Symbol.toStringTag] = '@gmesh/peer-dialer'

  start (): void {
    this.controller = new AbortController()
    this.components.events.addEventListener('peer:discovery', this.onDiscovery)
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
  }

  afterStart (): void {
    this.dialBootstrap()
    this.timer = setInterval(() => {
      this.dialBootstrap()
      this.redialDiscovered()
    }, this.retryMs)
  }

  stop (): void {
    this.components.events.removeEventListener('peer:discovery', this.onDiscovery)
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    clearInterval(this.timer)
    this.controller.abort(new Error('peer dialer stopped'))
  }

  private dialBootstrap (): void {
    for (const target of this.targets) {
      if (target.peerId != null && this.isConnected(target.peerId)) continue
      void this.dial(target.address.toString(), target.address).then(connection => {
        if (connection != null) target.peerId = connection.remotePeer
      })
    }
  }

  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    const peer = evt.detail.id
    if (peer.equals(this.components.peerId)) return
    this.stats.discoveries++
    this.remember(peer)
    if (this.isConnected(peer)) return
    this.dialDiscovered(peer)
  }

  /** A discovered peer's connection dropped: dial it again at the next tick (it may have restarted). */
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const entry = this.discovered.get(evt.detail.toString())
    if (entry !== undefined) entry.nextDialAt = 0
  }

  private remember (peer: PeerId): void {
    const key = peer.toString()
    this.discovered.delete(key)
    this.discovered.set(key, { peer, failures: 0, nextDialAt: 0 })
    if (this.discovered.size > MAX_REMEMBERED) this.discovered.delete(this.discovered.keys().next().value!)
  }

  /** Discovered peers not connected whose wait is over, while the connection cap allows. */
  private redialDiscovered (): void {
    const now = performance.now()
    for (const entry of this.discovered.values()) {
      if (entry.nextDialAt > now || this.isConnected(entry.peer)) continue
      this.dialDiscovered(entry.peer)
    }
  }

  private dialDiscovered (peer: PeerId): void {
    const key = peer.toString()
    if (this.dialing.has(key) || this.components.connectionManager.getConnections().length >= this.maxAutoDial) return
    void this.dial(key, peer).then(connection => {
      const entry = this.discovered.get(key)
      if (entry === undefined) return
      entry.failures = connection === undefined ? entry.failures + 1 : 0
      entry.nextDialAt = connection === undefined ? performance.now() + Math.min(this.maxRetryMs, this.retryMs * 2 ** entry.failures) : 0
    })
  }

  private isConnected (peer: PeerId): boolean {
    return this.components.connectionManager.getConnections(peer).length > 0
  }

  /** One dial per key at a time; failures are expected (peer down, wrong swarm key) and retried later. */
  private async dial (key: string, target: PeerId | Multiaddr): Promise<Connection | undefined> {
    if (this.dialing.has(key) || this.controller.signal.aborted) return undefined
    this.dialing.add(key)
    this.stats.dials++
    try {
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.dialTimeoutMs)])
      return await this.components.connectionManager.openConnection(target, { signal })
    } catch (err) {
      if (!this.controller.signal.aborted) {
        this.stats.failedDials++
        if (reachedNoNode(err)) this.stats.unreachable++
        this.stats.lastDialError = describeDialError(err)
      }
      return undefined
    } finally {
      this.dialing.delete(key)
    }
  }
}

/** libp2p fails a dial of several addresses with an AggregateError: name each address' own failure too. */
function describeDialError (err: unknown): string {
  const message = describeFailure(err)
  const causes = err instanceof AggregateError ? err.errors.map(describeFailure) : []
  return causes.length === 0 ? message : `${message} (${[...new Set(causes)].join('; ')})`
}

/**
 * Words for whatever a dial was rejected with. Parts of libp2p reject with a stream's event instead of an Error
 * (String() of one is "[object Event]"): its error, or its detail, or else its type is what it says.
 */
function describeFailure (failure: unknown): string {
  if (failure instanceof Error) return failure.message === '' ? failure.name : failure.message
  if (failure instanceof Event) {
    const { error, detail } = failure as Event & { error?: unknown, detail?: unknown }
    if (error != null) return describeFailure(error)
    if (detail != null) return describeFailure(detail)
    return `the connection ended ("${failure.type}" event, no error given)`
  }
  if (typeof failure === 'string') return failure
  try {
    return JSON.stringify(failure) ?? String(failure)
  } catch {
    return String(failure)
  }
}

export function peerDialer (init: PeerDialerInit): (components: PeerDialerComponents) => PeerDialer {
  return (components) => new PeerDialer(components, init)
}
