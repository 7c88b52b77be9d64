import { UsageError } from '../cli/errors.js'

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4
}

/** Parses sizes like `5GiB`, `500m`, `100MB` or `1048576` into bytes (units are powers of 1024). */
export function parseSize (text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()]
  if (match == null || unit == null) {
    throw new UsageError(`invalid ${what} "${text}": use a number with an optional unit, e.g. 5GiB, 500MiB or 1048576`)
  }
  const bytes = Math.floor(Number(match[1]) * unit)
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`invalid ${what} "${text}": too large, at most ${Math.floor(Number.MAX_SAFE_INTEGER / 1024 ** 4)}TiB`)
  if (bytes <= 0) throw new UsageError(`invalid ${what} "${text}": it must be positive`)
  return bytes
}

export interface HostPort {
  host: string
  port: number
}

/**
 * Parses `--http HOST:PORT` (port 0 picks a free port); IPv6 hosts go in brackets: `[::1]:5071`. Without a
 * host (`:0`, `:5071`) the address is on loopback, 127.0.0.1.
 */
export function parseHostPort (text: string, what = '--http'): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim())
  const port = Number(match?.[3])
  if (match == null || port > 65535) {
    throw new UsageError(`invalid ${what} address "${text}": use HOST:PORT, e.g. 127.0.0.1:5071, or :PORT for 127.0.0.1`)
  }
  const host = match[1] ?? match[2] ?? ''
  return { host: host === '' ? '127.0.0.1' : host, port }
}

/** True for a host only this machine reaches: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost (host: string): boolean {
  const name = host.toLowerCase()
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || name === '::1' || name === '0:0:0:0:0:0:0:1' || name === 'localhost'
}

/** Parses a positive whole number option such as `--slots`. */
export function parsePositiveInt (text: string, what: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(`invalid ${what} "${text}": use a whole number above 0`)
  }
  return value
}
