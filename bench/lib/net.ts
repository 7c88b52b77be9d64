import { createServer } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import type { TrackedProcess } from './processes.js'

export class NotReadyError extends Error {
  override name = 'NotReadyError'
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot report the port they bound). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  if (address == null || typeof address === 'string') throw new Error('could not pick a free port')
  return address.port
}

/**
 * Polls `check` until it returns a value, the process exits, or the deadline passes.
 * Readiness of a foreign process can only be observed from outside, hence the polling.
 */
export async function waitFor<T> (what: string, check: () => Promise<T | undefined>, options: { timeoutMs: number, proc?: TrackedProcess, intervalMs?: number }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  let exited: number | string | undefined
  void options.proc?.exited.then((code) => { exited = code })
  let lastError: unknown
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new NotReadyError(`${what}: process exited (${exited}) before it was ready`)
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    await delay(options.intervalMs ?? 50)
  }
  const why = lastError instanceof Error ? `: ${lastError.message}` : ''
  throw new NotReadyError(`${what}: not ready after ${options.timeoutMs} ms${why}`)
}

/** Resolves once `url` answers any HTTP status. */
export async function waitForHttp (url: string, options: { timeoutMs: number, proc?: TrackedProcess }): Promise<void> {
  await waitFor(`HTTP server at ${url}`, async () => {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(1000) })
    await res.arrayBuffer()
    return true
  }, options)
}
