import { open, readFile, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'

/**
 * Swarm keys of a private mesh, in the PSK v1 format every libp2p implementation reads
 * (`@libp2p/pnet`, go-libp2p, kubo's `swarm.key`):
 *
 * ```
 * /key/swarm/psk/1.0.0/
 * /base16/
 * <64 hex chars>
 * ```
 *
 * In memory a swarm key is its 32 raw bytes; `encodeSwarmKey` gives the file form that
 * `@libp2p/pnet`'s `preSharedKey({ psk })` expects.
 */

export const SWARM_KEY_BYTES = 32
const HEADER = '/key/swarm/psk/1.0.0/'
const CODEC = '/base16/'
const HEX = /^[0-9a-fA-F]{64}$/

/** A swarm key file or buffer is not in the PSK v1 format. */
export class SwarmKeyFormatError extends Error {
  static readonly code = 'ERR_SWARM_KEY_FORMAT'
  override name = 'SwarmKeyFormatError'
}

/** `writeSwarmKeyFile` refuses to replace an existing key: peers keyed with it would be cut off. */
export class SwarmKeyExistsError extends Error {
  static readonly code = 'ERR_SWARM_KEY_EXISTS'
  override name = 'SwarmKeyExistsError'
  constructor (readonly path: string) {
    super(`${path} already exists; a swarm key is never overwritten (nodes using it would be locked out): choose another file name or delete it yourself`)
  }
}

/** 32 random bytes from the OS CSPRNG. */
export function generateSwarmKey (): Uint8Array {
  return new Uint8Array(randomBytes(SWARM_KEY_BYTES))
}

/** The PSK v1 file text of a raw 32-byte key, ending in a newline. */
export function encodeSwarmKey (key: Uint8Array): Uint8Array {
  if (key.byteLength !== SWARM_KEY_BYTES) {
    throw new SwarmKeyFormatError(`a swarm key has ${SWARM_KEY_BYTES} bytes, got ${key.byteLength}`)
  }
  return new TextEncoder().encode(`${HEADER}\n${CODEC}\n${Buffer.from(key).toString('hex')}\n`)
}

/**
 * Parses the PSK v1 form strictly: header, `/base16/` codec, 64 hex digits, nothing else
 * but trailing blank lines. `source` names the input in error messages.
 */
export function parseSwarmKey (bytes: Uint8Array | string, source = 'swarm key'): Uint8Array {
  const text = typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  const lines = text.split(/\r?\n/)
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop()
  const hint = `expected 3 lines "${HEADER}", "${CODEC}" and 64 hex digits (make one with \`gmesh keygen FILE\`)`
  if (lines.length !== 3) {
    throw new SwarmKeyFormatError(`${source} is not a swarm key: ${hint}`)
  }
  const [header, codec, hex] = lines.map(line => line.trim())
  if (header !== HEADER) {
    throw new SwarmKeyFormatError(`${source} is not a swarm key: first line is not "${HEADER}"; ${hint}`)
  }
  if (codec !== CODEC) {
    throw new SwarmKeyFormatError(`${source} uses an unsupported encoding "${codec.slice(0, 40)}": only "${CODEC}" is supported`)
  }
  if (!HEX.test(hex)) {
    throw new SwarmKeyFormatError(`${source} has a malformed key: the third line must be exactly 64 hex digits`)
  }
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** Reads and validates a swarm key file; returns its 32 raw bytes. */
export async function readSwarmKeyFile (path: string): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    throw new SwarmKeyFormatError(`cannot read swarm key ${path} (${code}): pass the file written by \`gmesh keygen FILE\``, { cause: err })
  }
  if (bytes.byteLength > 4096) {
    throw new SwarmKeyFormatError(`${path} is not a swarm key: ${bytes.byteLength} bytes is far too large`)
  }
  return parseSwarmKey(bytes, path)
}

/**
 * Writes a fresh swarm key to `path` with mode 0600. The file is created exclusively:
 * an existing file is never replaced (`SwarmKeyExistsError`). Returns the raw key.
 */
export async function writeSwarmKeyFile (path: string): Promise<Uint8Array> {
  const key = generateSwarmKey()
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SwarmKeyExistsError(path)
    throw err
  }
  try {
    await handle.writeFile(encodeSwarmKey(key))
    await handle.chmod(0o600)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await rm(path, { force: true })
    throw err
  }
  await handle.close()
  return key
}
