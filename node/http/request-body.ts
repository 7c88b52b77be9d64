import type { IncomingMessage } from 'node:http'
import type { z } from 'zod'
import { MAX_API_BODY_BYTES } from '../../src/client/api-types.js'
import { declaredSize } from '../../src/gradle/http-cache.js'

/** A request the API refuses, with the HTTP status and the message the caller sees. */
export class ApiError extends Error {
  override name = 'ApiError'
  /** `headers`: what the status calls for (`Allow` with a 405, `WWW-Authenticate` with a 401). */
  constructor (readonly status: number, message: string, readonly headers: Record<string, string> = {}) { super(message) }
}

/**
 * How much of a body over its limit the node still reads, and drops, before it answers 413: a client still sending
 * would otherwise get a reset connection (EPIPE) and never read the answer. A bigger body is cut off.
 */
const MAX_DISCARDED_BODY_BYTES = 64 * 1024 * 1024

/** How long the node reads such a body at most before it cuts it off. */
const DISCARD_DEADLINE_MS = 30_000

/**
 * Reads a JSON request body up to `maxBytes` and checks it against `schema`. An empty body is `{}`.
 * Too large: 413, after reading what is left of it (see MAX_DISCARDED_BODY_BYTES); not JSON or not the
 * expected shape: 400 naming what was wrong.
 */
export async function readJsonBody<T> (req: IncomingMessage, schema: z.ZodType<T>, maxBytes = MAX_API_BODY_BYTES): Promise<T> {
  const text = (await readBody(req, maxBytes)).toString('utf8').trim()
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

/** The body, or 413 when it is over `maxBytes`: said once the rest is read and dropped, or the connection cut off. */
async function readBody (req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = declaredSize(req)
  const tooLarge = (): ApiError => new ApiError(413, declared === undefined
    ? `request body is over the ${maxBytes}-byte limit`
    : `request body of ${declared} bytes is over the ${maxBytes}-byte limit`)
  if (declared !== undefined && declared > MAX_DISCARDED_BODY_BYTES) throw tooLarge() // not read: the connection closes
  const chunks: Buffer[] = []
  let size = 0
  let deadline: NodeJS.Timeout | undefined
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.byteLength
      // leaving the loop destroys the request and its connection: only for a body too big even to drop
      if (size > MAX_DISCARDED_BODY_BYTES) throw tooLarge()
      if (size <= maxBytes) chunks.push(chunk)
      else deadline ??= setTimeout(() => { req.destroy() }, DISCARD_DEADLINE_MS)
    }
  } catch (err) {
    if (deadline !== undefined) throw tooLarge() // cut off while dropped
    throw err
  } finally {
    clearTimeout(deadline)
  }
  if (size > maxBytes) throw tooLarge()
  return Buffer.concat(chunks)
}
