import { access } from 'node:fs/promises'
import path from 'node:path'
import { ROOT_BUILD_FILES } from '../gradle/build-root.js'
import { NotAGradleBuildError } from './errors.js'
import { projectRelativeLinks } from './link-targets.js'
import { linksEscaping, linksNamedAlike } from './paths.js'
import { encodeManifest, type FileEntry, type LinkEntry, type Manifest } from './manifest.js'
import { forEachLimited } from './pool.js'
import { checkSnapshotSize, sizesOf, snapshotBudget } from './size-budget.js'
import { holdsBlob, storeBlob, type SnapshotStore } from './store-view.js'
import { storeFile } from './store-file.js'
import { walkProject } from './walk.js'

export interface SnapshotStats {
  /** Regular files in the manifest. */
  files: number
  /** Symbolic links in the manifest. */
  links: number
  /** Bytes of the files (each file counted, duplicates too). */
  bytes: number
  /** Distinct file blobs this snapshot added to the store. */
  newBlobs: number
  /** Distinct file blobs the store already had. */
  reusedBlobs: number
  /** Entries left out although not ignored: links leaving the project or named like another but for case, sockets, FIFOs, devices. */
  skipped: number
  /** The entries counted in `skipped`, and why each was left out. */
  skippedEntries: Array<{ path: string, why: string }>
  /** Wall time of the whole snapshot in milliseconds. */
  ms: number
}

export interface Snapshot {
  /** SHA-256 of the manifest's canonical bytes; the manifest is stored under it (its content key). */
  id: string
  manifest: Manifest
  stats: SnapshotStats
}

export interface CreateSnapshotOptions {
  signal?: AbortSignal
  /** Files hashed and stored at once (default 4). */
  concurrency?: number
  /** The git command that says what is tracked and ignored (default `git`; without it only `.gitignore` files count). */
  git?: string
  /** Most bytes of files the snapshot may hold (default: half the store's cache budget); SnapshotTooLargeError past it. */
  maxBytes?: number
  /** Refuse (NotAGradleBuildError) a tree that takes no Gradle settings file or build script at its root, as a build's must (default false). */
  requireGradleRoot?: boolean
  /** Told what the snapshot could not take into account (git missing, an enclosing repository ignoring the project). */
  warn?: (message: string) => void
}

/**
 * Hashes the project tree at `projectDir` into the store and stores its manifest (design.md, "Distributed
 * builds", step 1). Leaves out `.git/`, `.gradle/`, Gradle `build/` directories and what `.gitignore` files
 * say (in a git work tree: all git ignores, also by rules above the project and in `.git/info/exclude`, and what
 * a submodule's own rules ignore in it); keeps symbolic links only when they resolve inside the project (an
 * absolute target inside it is made relative), listing the others in `stats.skippedEntries`. With
 * `requireGradleRoot`, throws NotAGradleBuildError when no Gradle settings file or build script at the root is
 * taken (the directory is no build's root, or its build files are ignored). Blobs are pinned while the snapshot is made and
 * unpinned when it returns: a submitter that serves the snapshot pins it again with `pinSnapshot`.
 */
export async function createSnapshot (projectDir: string, store: SnapshotStore, options: CreateSnapshotOptions = {}): Promise<Snapshot> {
  const started = performance.now()
  const { signal } = options
  const walked = await walkProject(projectDir, { signal, ...(options.git === undefined ? {} : { git: options.git }), ...(options.warn === undefined ? {} : { warn: options.warn }) })
  if (options.requireGradleRoot === true) await checkBuildRoot(projectDir, [...walked.files, ...walked.links])
  // before anything is stored: a huge untracked directory would evict this node's cache, then every worker's
  checkSnapshotSize(await sizesOf(walked.files, signal), options.maxBytes ?? snapshotBudget(store))
  const pinned: string[] = []
  const pin = (sha256: string): void => { store.pin(sha256); pinned.push(sha256) }
  try {
    const files: FileEntry[] = []
    /** sha256 -> whether the store had it before this snapshot */
    const reusedOf = new Map<string, boolean>()
    await forEachLimited(walked.files, options.concurrency ?? 4, async file => {
      const result = await storeFile(file.absolute, file.path, store, { signal, pin })
      // identical files may be stored concurrently: the blob is new if any of them found it missing
      reusedOf.set(result.sha256, (reusedOf.get(result.sha256) ?? true) && result.reused)
      files.push({ path: file.path, type: 'file', size: result.size, sha256: result.sha256, executable: result.executable })
    })
    const { kept: links, skipped: skippedLinks } = linksInside(await projectRelativeLinks(projectDir, walked.links))
    const skippedEntries = [...skippedLinks, ...walked.special.map(path => ({ path, why: 'not a regular file, directory or symbolic link' }))]
    const { id, manifest, bytes } = encodeManifest([...files, ...links])
    signal?.throwIfAborted()
    pin(id)
    if (!await holdsBlob(store, id)) await storeBlob(store, id, bytes, { signal })
    const reusedBlobs = [...reusedOf.values()].filter(Boolean).length
    const stats: SnapshotStats = {
      files: files.length,
      links: links.length,
      bytes: files.reduce((sum, file) => sum + file.size, 0),
      newBlobs: reusedOf.size - reusedBlobs,
      reusedBlobs,
      skipped: skippedEntries.length,
      skippedEntries,
      ms: performance.now() - started
    }
    return { id, manifest, stats }
  } finally {
    for (const sha of pinned) store.unpin(sha)
  }
}

/**
 * The links that resolve inside the tree; dropping one can change how others resolve, so until none changes.
 * Links whose names differ only in case go first: a worker refuses them (checkTree), macOS cannot hold both.
 */
function linksInside (candidates: ReadonlyArray<{ path: string, target: string }>): { kept: LinkEntry[], skipped: Array<{ path: string, why: string }> } {
  const alike = new Set(linksNamedAlike(candidates).flat())
  const skipped = [...alike].map(path => ({ path, why: 'another link\'s name differs from it only in case' }))
  let kept = candidates.filter(link => !alike.has(link.path))
  while (true) {
    const escaping = linksEscaping(kept)
    if (escaping.length === 0) return { kept: kept.map(link => ({ path: link.path, type: 'link', target: link.target })), skipped }
    for (const link of escaping) skipped.push({ path: link.path, why: `-> ${link.target}: ${link.why}` })
    const gone = new Set(escaping.map(link => link.path))
    kept = kept.filter(link => !gone.has(link.path))
  }
}

/** Throws NotAGradleBuildError unless the walk took a settings file or build script (or a link to one) at the root, naming those it left out. */
async function checkBuildRoot (projectDir: string, files: ReadonlyArray<{ path: string }>): Promise<void> {
  if (files.some(file => ROOT_BUILD_FILES.includes(file.path))) return
  const ignored: string[] = []
  for (const name of ROOT_BUILD_FILES) {
    try {
      await access(path.join(projectDir, name))
      ignored.push(name)
    } catch {}
  }
  throw new NotAGradleBuildError(projectDir, ignored)
}
