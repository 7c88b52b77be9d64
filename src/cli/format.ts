const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** Hits among `hits + misses` as a whole percentage ("61%"), or "-" before any. */
export function formatHitRate (hits: number, misses: number): string {
  const all = hits + misses
  return all === 0 ? '-' : `${Math.round(100 * hits / all)}%`
}

/** 1536 -> "1.5 KiB": sizes for people. */
export function formatBytes (bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`
}
