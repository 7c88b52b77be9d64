import test from 'ava'
import { open, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import {
  BlobIntegrityError, createSnapshot, DuplicatePathError, encodeManifest, InvalidManifestError, LinkCheckBudgetError, materialise, MissingBlobsError,
  PathThroughLinkError, storeBlob, UnsafeLinkError, UnsafePathError, WorkspaceError, type Manifest, type ManifestEntry, type SnapshotStore
} from '../../src/snapshot/index.js'
import { contentKey } from '../../src/cas/keys.js'
import { describeTree, openStore, sha256, tempDir, treeBytes, writeTree } from './helpers.js'

const TREE = {
  'settings.gradle': 'include "lib"\n',
  'gradlew': { exec: '#!/bin/sh\nexit 0\n' },
  'lib/src/main/java/a/A.java': 'class A {}\n',
  'lib/src/main/java/a/Copy.java': 'class A {}\n',
  'lib/data/big.bin': Buffer.alloc(2 * 1024 * 1024 + 17, 3),
  'lib/data/empty': '',
  'lib/alias.java': { link: 'src/main/java/a/A.java' },
  'srcdir': { link: 'lib/src' }
}

test('a materialised workspace equals the source tree: bytes, exec bits and links', async t => {
  const project = await tempDir(t)
  await writeTree(project, TREE)
  const store = await openStore(t)
  const { manifest } = await createSnapshot(project, store)
  const workspace = path.join(await tempDir(t), 'job-1')
  const result = await materialise(manifest, store, workspace)
  t.deepEqual(await describeTree(workspace), await describeTree(project))
  t.like(result, { files: 6, links: 2, bytes: treeBytes(TREE) })
  t.is(store.stats().entries, 6, 'the blobs (and the manifest) are still in the store, unpinned')
})

const ok = (p: string): ManifestEntry => ({ path: p, type: 'file', size: 5, sha256: sha256('hello'), executable: false })
const link = (p: string, target: string): ManifestEntry => ({ path: p, type: 'link', target })

/**
 * Links in chains of 40, each link's target going 120 directories down and back up through the one before it:
 * resolved anew at every hop, 2,000 of them held a node's event loop for 6 s; each link resolved once, 5,000 take
 * more steps than the budget.
 */
function chainedLinks (count: number): ManifestEntry[] {
  const downAndUp = 'd/'.repeat(120) + '../'.repeat(120) + '.'
  return Array.from({ length: count }, (_, i) => link(`c${Math.floor(i / 40)}_${i % 40}`, i % 40 === 0 ? downAndUp : `c${Math.floor(i / 40)}_${i % 40 - 1}/${downAndUp}`))
}

const TRICKS: Array<{ name: string, entries: ManifestEntry[], error: new (...args: never[]) => Error }> = [
  { name: 'absolute path', entries: [ok('/etc/passwd')], error: UnsafePathError },
  { name: '.. segment', entries: [ok('a/../../escape')], error: UnsafePathError },
  { name: 'leading ..', entries: [ok('../escape')], error: UnsafePathError },
  { name: '. segment', entries: [ok('./a')], error: UnsafePathError },
  { name: 'empty segment', entries: [ok('a//b')], error: UnsafePathError },
  { name: 'trailing slash', entries: [ok('a/')], error: UnsafePathError },
  { name: 'empty path', entries: [ok('')], error: UnsafePathError },
  { name: 'NUL in a name', entries: [ok('a\0b')], error: UnsafePathError },
  { name: 'duplicate path', entries: [ok('a'), ok('a')], error: DuplicatePathError },
  { name: 'file and link on one path', entries: [ok('a'), link('a', 'b')], error: DuplicatePathError },
  { name: 'path below a file', entries: [ok('a'), ok('a/b')], error: DuplicatePathError },
  { name: 'path through a link', entries: [link('d', 'sub'), ok('d/passwd')], error: PathThroughLinkError },
  { name: 'path through a link to outside', entries: [link('d', '../../etc'), ok('d/passwd')], error: PathThroughLinkError },
  { name: 'absolute link target', entries: [link('l', '/etc/passwd')], error: UnsafeLinkError },
  { name: 'link target leaving by ..', entries: [link('a/l', '../../x')], error: UnsafeLinkError },
  { name: 'link leaving through another link', entries: [link('dot', '.'), link('l', 'dot/../x')], error: UnsafeLinkError },
  // on a case- or normalisation-insensitive filesystem (macOS) `A` and `e + combining accent` name the links below
  { name: 'link leaving through a link named in another case', entries: [link('a', '.'), link('x', 'A/../y')], error: UnsafeLinkError },
  { name: 'link leaving through a link named in another Unicode form', entries: [link('\u00e9', '.'), link('x', 'e\u0301/../y')], error: UnsafeLinkError },
  // `D` and `d` are two links on Linux: a check that took one for the other passed `e`, which leaves by `D`
  { name: 'link leaving through one of two links named alike but for case', entries: [link('D', '.'), link('d', 'a/b/c'), link('e', 'D/../../..')], error: DuplicatePathError },
  { name: 'two links named alike but for Unicode form', entries: [link('\u00e9', 'x'), link('e\u0301', 'y')], error: DuplicatePathError },
  { name: 'link through a link with an absolute target', entries: [link('abs', '/tmp'), link('l', 'abs/x')], error: UnsafeLinkError },
  { name: 'link loop', entries: [link('a', 'b/x'), link('b', 'a/y')], error: UnsafeLinkError },
  { name: 'empty link target', entries: [link('l', '')], error: UnsafeLinkError },
  { name: 'NUL in a link target', entries: [link('l', 'a\0b')], error: UnsafeLinkError },
  { name: 'path 300 directories deep', entries: [ok(`${'d/'.repeat(300)}f`)], error: UnsafePathError },
  { name: 'more than 10,000 links', entries: Array.from({ length: 10_001 }, (_, i) => link(`l${i}`, 'fine.txt')), error: InvalidManifestError },
  { name: 'links that take more steps to check than the budget', entries: chainedLinks(5000), error: LinkCheckBudgetError },
  { name: 'link target 300 segments long', entries: [link('l', 'x/'.repeat(300) + 'y')], error: UnsafeLinkError }
]

for (const trick of TRICKS) {
  test(`refused before writing anything: ${trick.name}`, async t => {
    const store = await openStore(t)
    await storeBlob(store, sha256('hello'), Buffer.from('hello'))
    const root = await tempDir(t)
    const workspace = path.join(root, 'ws')
    // the entries are sorted but otherwise as given: the checks must not rely on decodeManifest
    const manifest: Manifest = { ...encodeManifest([]).manifest, entries: [ok('fine.txt'), ...trick.entries] }
    await t.throwsAsync(materialise(manifest, store, workspace), { instanceOf: trick.error })
    t.deepEqual(await readdir(root), [], 'not even the workspace directory was made')
  })
}

test('a manifest of the wrong shape or with two sizes for one blob is refused', async t => {
  const store = await openStore(t)
  const workspace = path.join(await tempDir(t), 'ws')
  const base = encodeManifest([]).manifest
  const badSha = { ...base, entries: [{ ...ok('a'), sha256: 'XYZ' }] } as Manifest
  await t.throwsAsync(materialise(badSha, store, workspace), { instanceOf: InvalidManifestError })
  const twoSizes = { ...base, entries: [ok('a'), { ...ok('b'), size: 6 }] } as Manifest
  await t.throwsAsync(materialise(twoSizes, store, workspace), { instanceOf: InvalidManifestError, message: /two sizes/ })
})

test('missing blobs are named before anything is written', async t => {
  const project = await tempDir(t)
  await writeTree(project, { 'a.txt': 'alpha', 'b.txt': 'beta' })
  const submitter = await openStore(t)
  const { manifest } = await createSnapshot(project, submitter)
  const worker = await openStore(t)
  const workspace = path.join(await tempDir(t), 'ws')
  const err = await t.throwsAsync(materialise(manifest, worker, workspace), { instanceOf: MissingBlobsError })
  t.deepEqual(err?.missing, [sha256('alpha'), sha256('beta')].sort())
  t.deepEqual(await readdir(workspace), [])
})

test('a blob corrupted on disk fails the materialise cleanly: the store quarantines it and the workspace is emptied', async t => {
  const project = await tempDir(t)
  await writeTree(project, { 'a/one.txt': 'one', 'a/two.txt': 'two', 'b/three.txt': 'three' })
  const storeDir = await tempDir(t)
  const store = await openStore(t, storeDir)
  const { manifest } = await createSnapshot(project, store)
  const handle = await open(path.join(storeDir, 'blobs', sha256('two').slice(0, 2), sha256('two')), 'r+')
  await handle.write('TWO', 0)
  await handle.close()
  const workspace = path.join(await tempDir(t), 'ws')
  const err = await t.throwsAsync(materialise(manifest, store, workspace), { instanceOf: MissingBlobsError })
  t.deepEqual(err?.missing, [sha256('two')])
  t.deepEqual(await readdir(workspace), [])
  t.is(store.stats().quarantined, 1)
})

test('bytes that do not match the manifest while copying fail with BlobIntegrityError and leave the workspace empty', async t => {
  const project = await tempDir(t)
  await writeTree(project, { 'a.txt': 'alpha', 'big/b.bin': Buffer.alloc(1024 * 1024 + 1, 1), 'c.txt': 'gamma' })
  const real = await openStore(t)
  const { manifest } = await createSnapshot(project, real)
  const bigSha = manifest.entries.find(e => e.path === 'big/b.bin')!
  // a store that hands out one wrong blob without noticing (a bug, or a disk lying below a trusted stamp)
  const lying: SnapshotStore = {
    head: async key => await real.head(key),
    put: async (key, body, options) => await real.put(key, body, options),
    pin: sha => { real.pin(sha) },
    unpin: sha => { real.unpin(sha) },
    get: async (key, options) => {
      const entry = await real.get(key, options)
      if (entry === undefined || bigSha.type !== 'file' || key !== contentKey(bigSha.sha256)) return entry
      return { meta: entry.meta, body: Readable.from([Buffer.alloc(1024 * 1024 + 1, 2)]) }
    }
  }
  const workspace = path.join(await tempDir(t), 'ws')
  const err = await t.throwsAsync(materialise(manifest, lying, workspace), { instanceOf: BlobIntegrityError })
  t.is(err?.path, 'big/b.bin')
  t.deepEqual(await readdir(workspace), [])
})

test('a workspace that is not empty is refused and left as it was', async t => {
  const store = await openStore(t)
  const workspace = await tempDir(t)
  await writeFile(path.join(workspace, 'left-over'), 'x')
  await t.throwsAsync(materialise(encodeManifest([]).manifest, store, workspace), { instanceOf: WorkspaceError })
  t.deepEqual(await readdir(workspace), ['left-over'])
})

test('an aborted materialise rejects with the abort reason and leaves the workspace empty', async t => {
  const project = await tempDir(t)
  await writeTree(project, TREE)
  const store = await openStore(t)
  const { manifest } = await createSnapshot(project, store)
  const workspace = path.join(await tempDir(t), 'ws')
  const controller = new AbortController()
  const reason = new Error('job cancelled')
  // abort once the first file has been opened for writing
  const aborting: SnapshotStore = {
    head: async key => await store.head(key),
    put: async (key, body, options) => await store.put(key, body, options),
    pin: sha => { store.pin(sha) },
    unpin: sha => { store.unpin(sha) },
    get: async (key, options) => {
      const entry = await store.get(key, options)
      controller.abort(reason)
      return entry
    }
  }
  await t.throwsAsync(materialise(manifest, aborting, workspace, { signal: controller.signal, concurrency: 1 }), { is: reason })
  t.deepEqual(await readdir(workspace), [])
})
