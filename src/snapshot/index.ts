/**
 * Project snapshots for distributed builds (design.md, "Distributed builds", step 1).
 *
 *   // submitter
 *   const { id, manifest, stats } = await createSnapshot(projectDir, store, { signal })
 *   const release = pinSnapshot(store, id, manifest)          // while workers may fetch
 *
 *   // worker (units of one snapshot share its manifest: SharedManifests.acquire)
 *   const manifest = await fetchManifest(id, store, fetchBlob, { signal })
 *   const unpin = pinSnapshot(store, id, manifest)
 *   await fetchMissing(manifest, store, fetchBlob, { signal })  // only the blobs this store lacks
 *   const dir = await workspaces.create(jobId)
 *   await materialise(manifest, store, dir, { signal })
 *   ...run the unit in dir...
 *   await workspaces.remove(jobId); unpin()
 */
export { createSnapshot, type CreateSnapshotOptions, type Snapshot, type SnapshotStats } from './create.js'
export { materialise, type MaterialiseOptions, type MaterialiseResult } from './materialise.js'
export { fetchManifest, fetchMissing, loadManifest, missingBlobs, pinSnapshot, type BlobFetches, type FetchBlob, type TransferResult } from './transfer.js'
export { SharedManifests, type SharedManifestsOptions } from './shared-manifests.js'
export { Workspaces, type WorkspacesOptions } from './workspaces.js'
export { checkManifest, decodeManifest, encodeManifest, MANIFEST_FORMAT, MANIFEST_VERSION, MAX_MANIFEST_BYTES, MAX_MANIFEST_ENTRIES, type FileEntry, type LinkEntry, type Manifest, type ManifestEntry } from './manifest.js'
export { checkTree, linksEscaping, unsafePathReason } from './paths.js'
export { holdsBlob, openBlob, pinBlobs, storeBlob, type SnapshotStore } from './store-view.js'
export * from './errors.js'
