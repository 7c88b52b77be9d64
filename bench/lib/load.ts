/** What to send: GETs cycling over known keys, or PUTs of fresh keys with distinct bodies. */
export type LoadSpec = GetLoad | PutLoad

interface CommonLoad {
  /** Base URL ending in /cache/. */
  cacheUrl: string
  /** Concurrent keep-alive connections. */
  connections: number
  durationMs: number
  /** Stop after about this many requests even if the time is not up. */
  maxRequests: number
}

export interface GetLoad extends CommonLoad {
  kind: 'get'
  keys: readonly string[]
}

export interface PutLoad extends CommonLoad {
  kind: 'put'
  /** Hex prefix making this run's keys unique; keys are 64 hex characters in all. */
  keyPrefix: string
  bodySize: number
}

export interface LoadResult {
  generator: string
  /** Requests answered 2xx. */
  ok: number
  /** Non-2xx answers plus connect/read/write errors and timeouts. */
  errors: number
  seconds: number
  /** Bytes of response bodies (GET) or request bodies (PUT) moved, headers aside where the generator can tell. */
  bytes: number
  p50Ms: number
  p99Ms: number
}

export interface LoadGenerator {
  readonly name: string
  run (spec: LoadSpec, signal?: AbortSignal): Promise<LoadResult>
}

export function requestsPerSecond (r: LoadResult): number {
  return r.seconds > 0 ? r.ok / r.seconds : 0
}

export function mibPerSecond (r: LoadResult): number {
  return r.seconds > 0 ? r.bytes / r.seconds / (1024 * 1024) : 0
}

export const PUT_KEY_PREFIX_LENGTH = 24

/** The PUT key for request number n of thread t: prefix (24 hex) + thread (8 hex) + n (32 hex) = 64 hex characters. */
export function putKey (prefix: string, thread: number, n: number): string {
  if (!/^[0-9a-f]{24}$/.test(prefix)) throw new RangeError('the PUT key prefix must be 24 lowercase hex characters')
  return prefix + thread.toString(16).padStart(8, '0') + n.toString(16).padStart(32, '0')
}

/** The 16 leading characters of PUT body n of thread t, so that no two bodies (and blobs) are alike. */
export function putBodyStamp (thread: number, n: number): string {
  return thread.toString(16).padStart(8, '0') + (n % 0x100000000).toString(16).padStart(8, '0')
}

/** Percentile (0..100) of an ascending array, nearest-rank. */
export function percentile (sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

/** The middle value; the mean of the two middle values for an even count. */
export function median (values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** A high percentile with an honest name: `p99`, or `max of 20 seeds` when there are too few samples to tell them apart. */
export interface Tail {
  label: string
  value: number
}

/**
 * The p-th percentile of an ascending array, labelled. Nearest-rank p99 over fewer than 100 samples is the
 * largest sample, so it is called what it is: "max of N <what>".
 */
export function tail (sorted: readonly number[], p: number, what: string): Tail {
  const n = sorted.length
  if (n === 0) return { label: `p${p} of no ${what}`, value: Number.NaN }
  if (Math.ceil((p / 100) * n) >= n) return { label: `max of ${n} ${n === 1 ? what.replace(/s$/, '') : what}`, value: sorted[n - 1] }
  return { label: `p${p}`, value: percentile(sorted, p) }
}
