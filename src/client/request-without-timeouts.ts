import { request, type IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'

export interface LongRequestInit {
  method: string
  headers: Record<string, string>
  body?: string
}

/**
 * A request that waits as long as the server works: `fetch` (undici) gives up on an answer whose headers take
 * over 300 s, which a verify of a big cache or the snapshot of a big project may need. Only `signal` ends it.
 * Answers a fetch `Response`, so callers read it as any other.
 */
export async function requestWithoutTimeouts (url: string, init: LongRequestInit, signal?: AbortSignal): Promise<Response> {
  signal?.throwIfAborted()
  return await new Promise<Response>((resolve, reject) => {
    const body = init.body == null ? undefined : Buffer.from(init.body)
    const headers = body == null ? init.headers : { ...init.headers, 'Content-Length': String(body.byteLength) }
    const req = request(url, { method: init.method, headers }, res => {
      res.once('close', () => { signal?.removeEventListener('abort', abort) })
      resolve(new Response(hasBody(res.statusCode) ? Readable.toWeb(res) as ReadableStream<Uint8Array> : null, { status: res.statusCode ?? 502, headers: headersOf(res) }))
    })
    // as fetch does: the promise, or the body being read, fails with the signal's reason
    const abort = (): void => {
      req.destroy(signal?.reason as Error)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', abort, { once: true })
    req.once('error', err => {
      signal?.removeEventListener('abort', abort)
      reject(err)
    })
    req.end(body)
  })
}

function hasBody (status: number | undefined): boolean {
  return status !== 204 && status !== 304
}

function headersOf (res: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(res.headers)) {
    for (const one of Array.isArray(value) ? value : value == null ? [] : [value]) headers.append(name, one)
  }
  return headers
}
