import { createHash } from 'node:crypto'
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ExecutionContext } from 'ava'
import { ContentStore } from '../../src/cas/index.js'
import { createSnapshot, openBlob, pinSnapshot, type FetchBlob, type Manifest, type Snapshot, type SnapshotStore } from '../../src/snapshot/index.js'

/** A fresh temp directory, removed when the test ends. */
export async function tempDir (t: ExecutionContext, prefix = 'gmesh-snap-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** A store in a fresh temp directory (no fdatasync: throwaway), with a 1 GiB cache budget unless given, closed when the test ends. */
export async function openStore (t: ExecutionContext, dir?: string, maxBytes = 1 << 30): Promise<ContentStore> {
  const store = await ContentStore.open({ dir: dir ?? await tempDir(t, 'gmesh-snap-cas-'), maxBytes, syncBlobs: false })
  t.teardown(async () => { await store.close() })
  return store
}

/** A small Java project snapshotted into a fresh store and pinned (as a submitter holds it) until the test ends. */
export async function pinnedSnapshot (t: ExecutionContext): Promise<{ store: ContentStore, snapshot: Snapshot }> {
  const project = await tempDir(t)
  await writeTree(project, { 'settings.gradle': 'rootProject.name = "x"\n', 'src/A.java': 'class A {}\n' })
  const store = await openStore(t)
  const snapshot = await createSnapshot(project, store)
  t.teardown(pinSnapshot(store, snapshot.id, snapshot.manifest))
  return { store, snapshot }
}

/** What a tree spec holds at one path: text, bytes, an executable file, or a symbolic link. */
export type TreeNode = string | Buffer | { exec: string } | { link: string }

/** Writes `spec` (relative POSIX path -> node) under `root`, making directories as needed. */
export async function writeTree (root: string, spec: Record<string, TreeNode>): Promise<void> {
  for (const [relative, node] of Object.entries(spec)) {
    const target = path.join(root, relative)
    await mkdir(path.dirname(target), { recursive: true })
    if (typeof node === 'string' || Buffer.isBuffer(node)) {
      await writeFile(target, node)
      await chmod(target, 0o644)
    } else if ('exec' in node) {
      await writeFile(target, node.exec)
      await chmod(target, 0o755)
    } else {
      await symlink(node.link, target)
    }
  }
}

/** Every file and link under `root`: path -> "file <sha256> <exec|plain>" or "link -> <target>". */
export async function describeTree (root: string): Promise<Record<string, string>> {
  const described: Record<string, string> = {}
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const absolute = path.join(entry.parentPath, entry.name)
    const relative = path.relative(root, absolute).split(path.sep).join('/')
    const stats = await lstat(absolute)
    if (stats.isSymbolicLink()) described[relative] = `link -> ${await readlink(absolute)}`
    else if (stats.isFile()) {
      const sha = createHash('sha256').update(await readFile(absolute)).digest('hex')
      described[relative] = `file ${sha} ${(stats.mode & 0o100) !== 0 ? 'exec' : 'plain'}`
    }
  }
  return described
}

/** The paths a manifest lists, in its order. */
export function manifestPaths (manifest: Manifest): string[] {
  return manifest.entries.map(entry => entry.path)
}

export function sha256 (bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Bytes of the regular files of a tree spec. */
export function treeBytes (spec: Record<string, TreeNode>): number {
  let total = 0
  for (const node of Object.values(spec)) {
    if (typeof node === 'string' || Buffer.isBuffer(node)) total += Buffer.byteLength(node)
    else if ('exec' in node) total += Buffer.byteLength(node.exec)
  }
  return total
}

/** A fetcher that reads from `source` (standing in for the submitter across the mesh) and records what it was asked. */
export function fetcherOf (source: ContentStore): { fetchBlob: FetchBlob, asked: string[] } {
  const asked: string[] = []
  const fetchBlob: FetchBlob = async (sha256, options) => {
    asked.push(sha256)
    const entry = await openBlob(source, sha256, options)
    if (entry === undefined) throw new Error(`submitter lacks ${sha256}`)
    return entry.bytes ?? entry.body
  }
  return { fetchBlob, asked }
}

/** `inner` as a worker's store that counts its reads of each blob (a manifest read is a manifest decoded). */
export function countingReads (inner: ContentStore): { store: SnapshotStore, reads: Map<string, number> } {
  const reads = new Map<string, number>()
  const store: SnapshotStore = {
    get: async (key, options) => {
      reads.set(key, (reads.get(key) ?? 0) + 1)
      return await inner.get(key, options)
    },
    head: async (key, options) => await inner.head(key, options),
    put: async (key, body, options) => await inner.put(key, body, options),
    pin: sha256 => { inner.pin(sha256) },
    unpin: sha256 => { inner.unpin(sha256) },
    stats: () => inner.stats()
  }
  return { store, reads }
}
