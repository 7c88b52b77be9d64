import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** A cache entry both servers hold: a Gradle-style key and its bytes. */
export interface Entry {
  key: string
  body: Buffer
}

export class FixtureError extends Error {
  override name = 'FixtureError'
}

/** `count` entries of `size` random bytes under random 64-hex keys (SHA-256-sized, like Gradle's). */
export function makeEntries (count: number, size: number): Entry[] {
  return Array.from({ length: count }, () => ({ key: randomBytes(32).toString('hex'), body: randomBytes(size) }))
}

/** Writes entries as files the way nginx serves them: `${root}/cache/<key>`. */
export async function writeEntryFiles (root: string, entries: readonly Entry[]): Promise<void> {
  const dir = join(root, 'cache')
  await mkdir(dir, { recursive: true })
  for (const e of entries) await writeFile(join(dir, e.key), e.body)
}

/** Stores entries through the Gradle HTTP cache protocol, `parallel` PUTs at a time. */
export async function putEntries (cacheUrl: string, entries: readonly Entry[], parallel = 4): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const e = entries[next++]
      const res = await fetch(cacheUrl + e.key, { method: 'PUT', body: e.body, headers: { 'content-type': 'application/octet-stream' }, signal: AbortSignal.timeout(60_000) })
      await res.arrayBuffer()
      if (res.status < 200 || res.status > 299) throw new FixtureError(`PUT ${cacheUrl}${e.key} answered ${res.status}`)
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
}

/** Checks that the server answers the entry's exact bytes and a 404 for an unknown key. */
export async function verifyServes (label: string, cacheUrl: string, entry: Entry): Promise<void> {
  const hit = await fetch(cacheUrl + entry.key, { signal: AbortSignal.timeout(60_000) })
  const body = Buffer.from(await hit.arrayBuffer())
  if (hit.status !== 200 || !body.equals(entry.body)) {
    throw new FixtureError(`${label}: GET of a stored entry answered ${hit.status} with ${body.length} bytes (expected 200, ${entry.body.length} bytes)`)
  }
  const miss = await fetch(cacheUrl + randomBytes(32).toString('hex'), { signal: AbortSignal.timeout(60_000) })
  await miss.arrayBuffer()
  if (miss.status !== 404) throw new FixtureError(`${label}: GET of an unknown key answered ${miss.status}, expected 404`)
}
