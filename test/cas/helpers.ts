import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { ExecutionContext } from 'ava'
import { ContentStore, type ContentStoreOptions } from '../../src/cas/index.js'

/** A fresh temp directory, removed when the test ends. */
export async function tempDir (t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-cas-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** Opens a store in a fresh temp directory; closed (if still open) and removed when the test ends. */
export async function openStore (t: ExecutionContext, options: Partial<ContentStoreOptions> = {}): Promise<ContentStore> {
  const dir = options.dir ?? await tempDir(t)
  const store = await ContentStore.open({ maxBytes: 1 << 30, ...options, dir })
  t.teardown(async () => { await store.close() })
  return store
}

/** A random Gradle cache key. */
export function newKey (): string {
  return randomBytes(16).toString('hex')
}

export function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export async function readAll (body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Every file under `dir`, as paths relative to it. */
export async function listFiles (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile()).map(e => join(e.parentPath, e.name).slice(dir.length + 1)).sort()
}

/** An async body that yields the given chunks, then throws `error` if given. */
export async function * chunks (parts: Uint8Array[], error?: Error): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part
  if (error !== undefined) throw error
}
