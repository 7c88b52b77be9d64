/** Another live node holds the data directory. */
export class DataDirLockedError extends Error {
  static readonly code = 'ERR_DATA_DIR_LOCKED'
  override name = 'DataDirLockedError'
  constructor (readonly dataDir: string, readonly pid: number) {
    super(`data dir ${dataDir} is in use by another gmesh node (pid ${pid}): stop it, or start this one with --data OTHER_DIR`)
  }
}

/** The data directory cannot be created or written. */
export class DataDirUnwritableError extends Error {
  static readonly code = 'ERR_DATA_DIR_UNWRITABLE'
  override name = 'DataDirUnwritableError'
  constructor (readonly dataDir: string, cause: unknown) {
    super(`cannot write to data dir ${dataDir} (${describe(cause)}): choose a writable one with --data DIR`, { cause })
  }
}

/** The HTTP address is taken or cannot be bound. */
export class HttpListenError extends Error {
  static readonly code = 'ERR_HTTP_LISTEN'
  override name = 'HttpListenError'
  constructor (readonly address: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code
    const why = code === 'EADDRINUSE'
      ? 'the port is already in use (another gmesh node?)'
      : describe(cause)
    super(`cannot serve HTTP on ${address}: ${why}; choose another with --http 127.0.0.1:PORT`, { cause })
  }
}

/** libp2p could not listen on a --listen address (taken port, address not on this machine). */
export class P2pListenError extends Error {
  static readonly code = 'ERR_P2P_LISTEN'
  override name = 'P2pListenError'
  constructor (readonly addresses: string[], cause: unknown) {
    super(`cannot listen for peers on ${addresses.join(', ')}: ${listenFailure(addresses, String((cause as Error)?.message ?? cause))}`, { cause })
  }
}

/** Why libp2p could not listen on `addresses` (its error's `text`), and what to give `--listen` instead. */
function listenFailure (addresses: string[], text: string): string {
  if (/EADDRNOTAVAIL/.test(text)) return `the address is not one of this machine's; ${addressSuggestion(addresses)}`
  const why = /EADDRINUSE/.test(text) ? 'the port is already in use (another gmesh node?)' : (/\b(E[A-Z]+)\b/.exec(text)?.[1] ?? 'libp2p refused it')
  return `${why}; choose another with ${listenSuggestion(addresses)}`
}

/**
 * For an address not on this machine: the same port on loopback (this machine only) or on every interface, not the
 * same address again.
 */
function addressSuggestion (addresses: string[]): string {
  const parts = addresses.map(address => /^\/(ip[46])\/[^/]+\/tcp\/(\d+)(?:\/.*)?$/.exec(address))
  const listen = (host: (family: string) => string): string => parts.map(match => match == null
    ? `--listen /ip4/${host('ip4')}/tcp/PORT`
    : `--listen /${match[1]!}/${host(match[1]!)}/tcp/${match[2]!}`).join(' ')
  return `listen on one of its own, e.g. ${listen(family => family === 'ip4' ? '127.0.0.1' : '::1')} (this machine only) ` +
    `or ${listen(family => family === 'ip4' ? '0.0.0.0' : '::')} (every interface)`
}

/**
 * `--listen` for each of `addresses` with its port left to choose: the same host (an /ip4 or /ip6 one), so that a
 * node kept on loopback is not told to listen on every interface.
 */
function listenSuggestion (addresses: string[]): string {
  const withPort = addresses.map(address => /^(\/ip[46]\/[^/]+\/tcp\/)\d+(\/.*)?$/.exec(address))
  if (withPort.length === 0 || withPort.some(match => match == null)) return '--listen /ip4/0.0.0.0/tcp/PORT'
  return withPort.map(match => `--listen ${match![1]!}PORT${match![2] ?? ''}`).join(' ')
}

/** A file in the data directory exists but cannot be used as it is; it is left untouched. */
export class CorruptDataFileError extends Error {
  static readonly code = 'ERR_CORRUPT_DATA_FILE'
  override name = 'CorruptDataFileError'
  constructor (readonly path: string, what: string) {
    super(`${path} is not a valid ${what}; move it away to let gmesh create a new one (the node's identity changes if it is the key)`)
  }
}

export function describe (err: unknown): string {
  const e = err as NodeJS.ErrnoException
  return e?.code ?? e?.message ?? String(err)
}
