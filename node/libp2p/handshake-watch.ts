import { TypedEventEmitter } from '@libp2p/interface'
import type { ConnectionGater, MultiaddrConnection, StreamCloseEvent } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Connections that reached the other node and failed in the handshake, by who dialled and why. */
export interface HandshakeFailureStats {
  /** Dialled by another node, failed with an error of the handshake (almost always another swarm key). */
  inbound: number
  /** Dialled by this node, failed with an error of the handshake. */
  outbound: number
  /**
   * Either direction, not finished before the handshake's deadline: an idle connection (a port scan, a flood of
   * connections held open), an overloaded node, now and then another swarm key (the other side waits for more bytes).
   */
  timedOut: number
  /** Inbound connections refused at once: their address already had `MAX_HANDSHAKES_PER_ADDRESS` handshakes under way. */
  refused: number
  /** Why the newest one failed, in libp2p's words (when it said). */
  lastError?: string
}

/** One connection that failed in the handshake. */
export interface HandshakeFailure {
  direction: 'inbound' | 'outbound'
  remoteAddr: string
  /** True when the handshake ran out of time rather than failed. */
  timedOut: boolean
  error?: Error
}

export interface HandshakeWatchEvents {
  failure: CustomEvent<HandshakeFailure>
}

/**
 * Inbound connections from one address still in the handshake at once; more are refused. A member opens one or two at
 * a time; without a cap, one host holding idle connections fills libp2p's pending-connection limit and keeps every
 * member out.
 */
export const MAX_HANDSHAKES_PER_ADDRESS = 3

/**
 * Counts connections that reached the other node (TCP connected) but closed before their private-network (pnet)
 * and encryption (Noise) handshake finished, and caps the inbound ones under way per remote address.
 * In a mesh with a swarm key a failure is almost always another key on one side, or a key on one side only: the bytes
 * after the nonce exchange are noise to the other side. A handshake that ran out of time is counted apart: that is
 * mostly a connection that sends nothing. libp2p has no event for a failed upgrade; its connection gater is asked about
 * every connection once accepted or dialled, and again once encrypted, with the same connection object: one that
 * closes between the two failed in the handshake. libp2p asks about an outbound connection only when the dialled
 * address names the peer (`/p2p/ID`): every dial of a discovered peer, and bootstrap addresses with their id.
 */
export class HandshakeWatch extends TypedEventEmitter<HandshakeWatchEvents> {
  readonly stats: HandshakeFailureStats = { inbound: 0, outbound: 0, timedOut: 0, refused: 0 }
  private readonly secured = new WeakSet<MultiaddrConnection>()
  /** Inbound handshakes under way, by remote address. */
  private readonly underway = new Map<string, number>()
  /** Ends an inbound connection's place in `underway` (once: secured or closed, whichever comes first). */
  private readonly leave = new WeakMap<MultiaddrConnection, () => void>()

  /** What to give libp2p as `connectionGater`. */
  readonly gater: ConnectionGater = {
    denyInboundConnection: maConn => this.admitInbound(maConn),
    denyOutboundConnection: (_peer, maConn) => this.watch(maConn, 'outbound'),
    denyInboundEncryptedConnection: (_peer, maConn) => this.secure(maConn),
    denyOutboundEncryptedConnection: (_peer, maConn) => this.secure(maConn)
  }

  readonly [Symbol.toStringTag] = '@gmesh/handshake-watch'

  /** Inbound handshakes under way from `remoteAddr`'s host. */
  handshakesFrom (remoteAddr: Multiaddr): number {
    return this.underway.get(hostOf(remoteAddr)) ?? 0
  }

  /** True (deny) when the connection's address has too many handshakes under way; else watches it. */
  private admitInbound (maConn: MultiaddrConnection): boolean {
    const host = hostOf(maConn.remoteAddr)
    const count = this.underway.get(host) ?? 0
    if (count >= MAX_HANDSHAKES_PER_ADDRESS) {
      this.stats.refused++
      return true
    }
    this.underway.set(host, count + 1)
    let left = false
    this.leave.set(maConn, () => {
      if (left) return
      left = true
      const now = (this.underway.get(host) ?? 1) - 1
      if (now === 0) this.underway.delete(host)
      else this.underway.set(host, now)
    })
    return this.watch(maConn, 'inbound')
  }

  private watch (maConn: MultiaddrConnection, direction: HandshakeFailure['direction']): false {
    maConn.addEventListener('close', (evt: StreamCloseEvent) => {
      this.leave.get(maConn)?.()
      if (!this.secured.has(maConn)) this.failed({ direction, remoteAddr: maConn.remoteAddr.toString(), timedOut: isTimeout(evt.error), ...(evt.error == null ? {} : { error: evt.error }) })
    }, { once: true })
    return false
  }

  private secure (maConn: MultiaddrConnection): false {
    this.secured.add(maConn)
    this.leave.get(maConn)?.()
    return false
  }

  private failed (failure: HandshakeFailure): void {
    if (failure.timedOut) this.stats.timedOut++
    else this.stats[failure.direction]++
    if (failure.error != null) this.stats.lastError = failure.error.message
    this.safeDispatchEvent('failure', { detail: failure })
  }
}

/** The IP address of a connection's remote end (the whole address where it has none). */
function hostOf (address: Multiaddr): string {
  return address.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value ?? address.toString()
}

/** An upgrade ended by its deadline (libp2p's inbound upgrade timeout, a dial's signal): not an error of the handshake itself. */
function isTimeout (error: Error | undefined): boolean {
  return error?.name === 'TimeoutError' || error?.name === 'AbortError'
}
