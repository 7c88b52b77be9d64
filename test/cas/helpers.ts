import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, open, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { ExecutionContext } from 'ava'
import { ContentStore, type ContentStoreOptions } from '../../src/cas/index.js'
import type { IndexOp } from '../../src/cas/index-db.js'

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

/** The blob of `bytes` as a path relative to the store's dir (as `listFiles` names it). */
export function blobFile (bytes: Uint8Array): string {
  const sha = sha256(bytes)
  return join('blobs', sha.slice(0, 2), sha)
}

/** Where the store in `dir` keeps the blob of `bytes`. */
export function blobPath (dir: string, bytes: Uint8Array): string {
  return join(dir, blobFile(bytes))
}

/** The blob files in the store's `dir`, sorted, relative to it. */
export async function blobFiles (dir: string): Promise<string[]> {
  return (await listFiles(dir)).filter(f => f.startsWith('blobs/'))
}

/** Flips one byte in place: same size, different content. */
export async function flipByte (path: string, position: number): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    const byte = Buffer.alloc(1)
    await handle.read(byte, 0, 1, position)
    byte[0] = byte[0]! ^ 0xff
    await handle.write(byte, 0, 1, position)
  } finally {
    await handle.close()
  }
}

/** An async body that yields the given chunks, then throws `error` if given. */
export async function * chunks (parts: Uint8Array[], error?: Error): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part
  if (error !== undefined) throw error
}

/**
 * Fault injection at the one place the index writes: LevelDB's batch. `decide` is asked about every batch in turn
 * (0, 1, ...) and may hold it, or fail it with an error as a full disk does (nothing of the batch is applied).
 */
export function interceptIndexBatches (store: ContentStore, decide: (n: number) => Promise<Error | undefined>): void {
  const db = Reflect.get(Reflect.get(store, 'index') as object, 'db') as { batch: (ops: unknown[]) => Promise<void> }
  const batch = db.batch.bind(db)
  let n = 0
  db.batch = async ops => {
    const error = await decide(n++)
    if (error !== undefined) throw error
    await batch(ops)
  }
}

/** Resolves once the store has queued the index write that records a blob of `sha256` under some key. */
export async function indexWriteOf (store: ContentStore, sha256: string): Promise<void> {
  const index = Reflect.get(store, 'index') as { write: (ops: IndexOp[]) => Promise<void> }
  const write = index.write.bind(index)
  await new Promise<void>(resolve => {
    index.write = async ops => {
      const done = write(ops)
      if (ops.some(op => op.type === 'put' && op.meta.sha256 === sha256)) {
        index.write = write
        resolve()
      }
      await done
    }
  })
}

/** A promise and the function that settles it. */
export function latch (): { done: Promise<void>, open: () => void } {
  let open = (): void => {}
  const done = new Promise<void>(resolve => { open = resolve })
  return { done, open }
}
