import { isIP } from 'node:net'

/**
 * DNS-rebinding defence. A web page can point a name of its own (`evil.example`) at 127.0.0.1 and then talk to
 * the node as its own origin: PUT poisoned entries into `/cache/` (which the node would sign and announce to the
 * mesh) or read `/metrics`. Such a request always names the page's host in its `Host` header, so the node answers
 * only requests addressed to an IP address, to `localhost`, or to the host name it was told to bind (`--http`).
 */
export class HostCheck {
  private readonly boundName: string | undefined

  constructor (bindHost: string) {
    const name = normalise(bindHost)
    this.boundName = isIP(name) === 0 ? name : undefined
  }

  /** True when a request with this `Host` header may be served. No header (HTTP/1.0): no browser sends that. */
  allows (hostHeader: string | undefined): boolean {
    if (hostHeader === undefined) return true
    const name = hostNameOf(hostHeader)
    if (name === undefined) return false
    if (isIP(name) !== 0) return true
    return name === 'localhost' || name.endsWith('.localhost') || name === this.boundName
  }
}

/** `Host` without its port, lower case, brackets of an IPv6 literal removed; undefined when malformed. */
export function hostNameOf (hostHeader: string): string | undefined {
  const header = hostHeader.trim()
  if (header.startsWith('[')) {
    const end = header.indexOf(']')
    if (end < 0 || !/^(:\d{1,5})?$/.test(header.slice(end + 1))) return undefined
    return normalise(header.slice(1, end))
  }
  const match = /^([^:]+)(:\d{1,5})?$/.exec(header)
  return match === null ? undefined : normalise(match[1])
}

/** Lower case, without the trailing dot a fully qualified name may have (`localhost.` is `localhost`). */
function normalise (host: string): string {
  const lower = host.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}
