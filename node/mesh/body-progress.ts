/** Least time between two progress reports of one body. */
export const PROGRESS_REPORT_MS = 250

export interface ProgressOptions {
  /** Least time between two reports (default `PROGRESS_REPORT_MS`); the last one, all bytes in, goes out anyway. */
  intervalMs?: number
  now?: () => number
}

/**
 * Passes `body` through and tells `report` how many bytes came so far: at most once per `intervalMs`, and once all
 * `size` bytes are in. The lookup's stall watch needs no finer grain (it asks for 64 KiB per 3 s), and a fast 10 MiB
 * body costs it one report, not one per chunk.
 */
export async function * reportingProgress (body: AsyncIterable<Uint8Array>, size: number, report: (bytes: number) => void,
  options: ProgressOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const now = options.now ?? (() => performance.now())
  const intervalMs = options.intervalMs ?? PROGRESS_REPORT_MS
  let received = 0
  let reportedAt = now()
  for await (const chunk of body) {
    received += chunk.byteLength
    const at = now()
    if (received >= size || at - reportedAt >= intervalMs) {
      reportedAt = at
      report(received)
    }
    yield chunk
  }
}
