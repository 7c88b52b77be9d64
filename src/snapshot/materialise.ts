import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, readdir, rm, symlink } from 'node:fs/promises'
import path from 'node:path'
import { BlobIntegrityError, MissingBlobsError, WorkspaceError } from './errors.js'
import { checkManifest, type FileEntry, type Manifest } from './manifest.js'
import { parentsOf } from './paths.js'
import { forEachLimited } from './pool.js'
import { openBlob, pinBlobs, type SnapshotStore } from './store-view.js'
import { missingBlobs } from './transfer.js'

export interface MaterialiseResult {
  files: number
  links: number
  bytes: number
  ms: number
}

export interface MaterialiseOptions {
  signal?: AbortSignal
  /** Files written at once (default 4). */
  concurrency?: number
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

/**
 * Writes the snapshot into `workspaceDir`, which must be empty (or not exist yet). Before writing anything it
 * refuses unsafe manifests (checkManifest: absolute paths, `..`, NUL, duplicates, paths through a link, links
 * leaving the workspace) and missing blobs (MissingBlobsError). Every file is created new (never through a
 * link), with the executable bit from the manifest, and its bytes are hashed while copied (BlobIntegrityError
 * on a mismatch); links are made last. On any failure the workspace is emptied again and the error rethrown.
 */
export async function materialise (manifest: Manifest, store: SnapshotStore, workspaceDir: string, options: MaterialiseOptions = {}): Promise<MaterialiseResult> {
  const started = performance.now()
  const { signal } = options
  const checked = checkManifest(manifest)
  signal?.throwIfAborted()
  await mkdir(workspaceDir, { recursive: true })
  if ((await readdir(workspaceDir)).length > 0) throw new WorkspaceError(`workspace ${workspaceDir} is not empty; materialise into a fresh one`)
  const files = checked.entries.filter((entry): entry is FileEntry => entry.type === 'file')
  const release = pinBlobs(store, files.map(file => file.sha256))
  try {
    const missing = await missingBlobs(checked, store)
    if (missing.length > 0) throw new MissingBlobsError(missing)
    await makeDirectories(workspaceDir, checked.entries.map(entry => entry.path))
    await forEachLimited(files, options.concurrency ?? 4, async file => { await writeFile(workspaceDir, file, store, signal) })
    let links = 0
    for (const entry of checked.entries) {
      if (entry.type !== 'link') continue
      await symlink(entry.target, path.join(workspaceDir, entry.path))
      links++
    }
    const bytes = files.reduce((sum, file) => sum + file.size, 0)
    return { files: files.length, links, bytes, ms: performance.now() - started }
  } catch (err) {
    await emptyDirectory(workspaceDir)
    throw err
  } finally {
    release()
  }
}

async function makeDirectories (root: string, paths: string[]): Promise<void> {
  const directories = new Set<string>()
  for (const entryPath of paths) for (const parent of parentsOf(entryPath)) directories.add(parent)
  // a parent sorts before its children, so each mkdir finds its parent made (and never made through a link)
  for (const directory of [...directories].sort()) await mkdir(path.join(root, directory))
}

async function writeFile (root: string, file: FileEntry, store: SnapshotStore, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted()
  const entry = await openBlob(store, file.sha256, { signal })
  // gone since the check: evicted despite the pin, or quarantined by the store's own verification
  if (entry === undefined) throw new MissingBlobsError([file.sha256])
  const handle = await open(path.join(root, file.path), CREATE_FLAGS, 0o600)
  const hash = createHash('sha256')
  let size = 0
  try {
    if (entry.bytes !== undefined) {
      hash.update(entry.bytes)
      size = entry.bytes.byteLength
      await handle.writeFile(entry.bytes)
    } else {
      for await (const chunk of entry.body) {
        signal?.throwIfAborted()
        const bytes = chunk as Uint8Array
        hash.update(bytes)
        size += bytes.byteLength
        await handle.write(bytes)
      }
    }
    const actual = hash.digest('hex')
    if (actual !== file.sha256 || size !== file.size) throw new BlobIntegrityError(file.path, file.sha256, actual)
    await handle.chmod(file.executable ? 0o755 : 0o644)
  } finally {
    await handle.close()
    if (entry.bytes === undefined) entry.body.destroy()
  }
}

/** Removes everything inside `dir`, keeping `dir`. */
async function emptyDirectory (dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[])
  await Promise.all(names.map(async name => { await rm(path.join(dir, name), { recursive: true, force: true }) }))
}
