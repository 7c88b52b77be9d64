import type { IncomingMessage } from 'node:http'
import type { z } from 'zod'

/** A request the API refuses, with the HTTP status and the message the caller sees. */
export class ApiError extends Error {
  override name = 'ApiError'
  /** `headers`: what the status calls for (`Allow` with a 405, `WWW-Authenticate` with a 401). */
  constructor (readonly status: number, message: string, readonly headers: Record<string, string> = {}) { super(message) }
}

/** Largest JSON body a control API request may carry. */
export const MAX_API_BODY_BYTES = 64 * 1024

/**
 * Reads a JSON request body up to `maxBytes` and checks it against `schema`. An empty body is `{}`.
 * Too large: 413 (refused from Content-Length before reading when declared); not JSON or not the
 * expected shape: 400 naming what was wrong.
 */
export async function readJsonBody<T> (req: IncomingMessage, schema: z.ZodType<T>, maxBytes = MAX_API_BODY_BYTES): Promise<T> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > maxBytes) throw new ApiError(413, `request body of ${declared} bytes is over the ${maxBytes}-byte limit`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > maxBytes) throw new ApiError(413, `request body is over the ${maxBytes}-byte limit`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  let value: unknown = {}
  if (text !== '') {
    const type = req.headers['content-type'] ?? ''
    if (!/^application\/json\b/i.test(type)) throw new ApiError(400, `request body must be JSON: send "Content-Type: application/json" (got "${type}")`)
    try {
      value = JSON.parse(text)
    } catch (err) {
      throw new ApiError(400, `malformed JSON body: ${(err as Error).message}`)
    }
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issues = parsed.error.issues.map(i => `${i.path.length === 0 ? 'body' : i.path.join('.')}: ${i.message}`)
    throw new ApiError(400, `invalid request body: ${issues.join('; ')}`)
  }
  return parsed.data
}
