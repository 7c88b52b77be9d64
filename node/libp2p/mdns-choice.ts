import { multiaddr } from '@multiformats/multiaddr'

/** Whether the node runs mDNS discovery, and why not when it does not (shown by `gmesh status`). */
export type MdnsChoice = { on: true } | { on: false, reason: string }

export const MDNS_OFF_BY_FLAG = '--no-mdns'
export const MDNS_OFF_ON_LOOPBACK = 'every listen address is loopback: no other machine could connect to the addresses mDNS would announce'

/**
 * mDNS binds 0.0.0.0:5353 and answers on every interface, whatever the node listens on: a node that listens only on
 * loopback (a test, the demo, a node reached through a tunnel) would still announce itself on the LAN and dial the
 * gmesh nodes it finds there. So mDNS runs only when asked for and some listen address can be reached from elsewhere.
 */
export function mdnsChoice (listen: readonly string[], requested: boolean): MdnsChoice {
  if (!requested) return { on: false, reason: MDNS_OFF_BY_FLAG }
  if (listen.length > 0 && listen.every(isLoopback)) return { on: false, reason: MDNS_OFF_ON_LOOPBACK }
  return { on: true }
}

/** True for a multiaddr on 127.0.0.0/8, ::1 or the name localhost. */
function isLoopback (address: string): boolean {
  const host = multiaddr(address).getComponents()[0]
  if (host == null) return false
  switch (host.name) {
    case 'ip4': return host.value?.startsWith('127.') === true
    case 'ip6': return host.value === '::1' || host.value === '0:0:0:0:0:0:0:1'
    case 'dns':
    case 'dns4':
    case 'dns6': return host.value === 'localhost'
    default: return false
  }
}
