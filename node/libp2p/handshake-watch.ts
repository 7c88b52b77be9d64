import { TypedEventEmitter } from '@libp2p/interface'
import type { ConnectionGater, MultiaddrConnection, StreamCloseEvent } from '@libp2p/interface'

/** Connections that reached the other node and failed in the handshake, by who dialled. */
export interface HandshakeFailureStats {
  /** Dialled by another node. */
  inbound: number
  /** Dialled by this node. */
  outbound: number
  /** Why the newest one failed, in libp2p's words (when it said). */
  lastError?: string
}

/** One connection that failed in the handshake. */
export interface HandshakeFailure {
  direction: 'inbound' | 'outbound'
  remoteAddr: string
  error?: Error
}

export interface HandshakeWatchEvents {
  failure: CustomEvent<HandshakeFailure>
}

/**
 * Counts connections that reached the other node (TCP connected) but closed before their private-network (pnet)
 * and encryption (Noise) handshake finished. In a mesh with a swarm key that is almost always another key on one
 * side, or a key on one side only: the bytes after the nonce exchange are noise to the other side. libp2p has no
 * event for a failed upgrade; its connection gater is asked about every connection once accepted or dialled, and
 * again once encrypted, with the same connection object: one that closes between the two failed in the handshake.
 * The gater allows everything. libp2p asks about an outbound connection only when the dialled address names the
 * peer (`/p2p/ID`): every dial of a discovered peer, and bootstrap addresses with their id.
 */
export class HandshakeWatch extends TypedEventEmitter<HandshakeWatchEvents> {
  readonly stats: HandshakeFailureStats = { inbound: 0, outbound: 0 }
  private readonly secured = new WeakSet<MultiaddrConnection>()

  /** What to give libp2p as `connectionGater`. */
  readonly gater: ConnectionGater = {
    denyInboundConnection: maConn => this.watch(maConn, 'inbound'),
    denyOutboundConnection: (_peer, maConn) => this.watch(maConn, 'outbound'),
    denyInboundEncryptedConnection: (_peer, maConn) => this.secure(maConn),
    denyOutboundEncryptedConnection: (_peer, maConn) => this.secure(maConn)
  }

  readonly [Symbol.toStringTag] = '@gmesh/handshake-watch'

  private watch (maConn: MultiaddrConnection, direction: HandshakeFailure['direction']): false {
    maConn.addEventListener('close', (evt: StreamCloseEvent) => {
      if (!this.secured.has(maConn)) this.failed({ direction, remoteAddr: maConn.remoteAddr.toString(), ...(evt.error == null ? {} : { error: evt.error }) })
    }, { once: true })
    return false
  }

  private secure (maConn: MultiaddrConnection): false {
    this.secured.add(maConn)
    return false
  }

  private failed (failure: HandshakeFailure): void {
    this.stats[failure.direction]++
    if (failure.error != null) this.stats.lastError = failure.error.message
    this.safeDispatchEvent('failure', { detail: failure })
  }
}

