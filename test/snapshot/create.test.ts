import test from 'ava'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { appendFile, cp, realpath, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createSnapshot, FileChangedError, loadManifest, SnapshotTooLargeError, UnsupportedFileNameError, type SnapshotStore } from '../../src/snapshot/index.js'
import { contentKey } from '../../src/cas/keys.js'
import { repoPath } from '../helpers/repo-paths.js'
import { manifestPaths, openStore, sha256, tempDir, writeTree } from './helpers.js'

const exec = promisify(execFile)

/** The store, but the first time the snapshot asks it whether it has a blob, `change` is made to the tree first. */
function changingTheTree (real: SnapshotStore, change: () => Promise<void>): SnapshotStore {
  let changed = false
  return {
    get: async (key, options) => await real.get(key, options),
    put: async (key, body, options) => await real.put(key, body, options),
    pin: sha => { real.pin(sha) },
    unpin: sha => { real.unpin(sha) },
    head: async key => {
      if (!changed) await change()
      changed = true
      return await real.head(key)
    }
  }
}

const SMALL_TREE = {
  'settings.gradle': 'include "lib"\n',
  'build.gradle': 'allprojects { }\n',
  'gradlew': { exec: '#!/bin/sh\necho gradle\n' },
  'lib/src/main/java/a/A.java': 'class A {}\n',
  'lib/src/main/java/a/Same.java': 'class Same {}\n',
  'lib/src/test/java/a/Same.java': 'class Same {}\n',
  'lib/build/classes/A.class': 'compiled',
  'build/tmp/x': 'output',
  '.gradle/8.0/fileHashes.bin': 'state',
  '.git/HEAD': 'ref: refs/heads/main\n',
  '.git/config': '[core]\n'
}

test('a snapshot of a small tree is stable, records paths, sizes, hashes and exec bits, and skips build/ .gradle/ .git/', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, SMALL_TREE)
  const store = await openStore(t)
  const first = await createSnapshot(dir, store)
  const second = await createSnapshot(dir, store)
  t.is(second.id, first.id)
  t.deepEqual(manifestPaths(first.manifest), ['build.gradle', 'gradlew', 'lib/src/main/java/a/A.java', 'lib/src/main/java/a/Same.java', 'lib/src/test/java/a/Same.java', 'settings.gradle'])
  const gradlew = SMALL_TREE.gradlew.exec
  t.deepEqual(first.manifest.entries.find(e => e.path === 'gradlew'), {
    path: 'gradlew', type: 'file', size: Buffer.byteLength(gradlew), sha256: sha256(gradlew), executable: true
  })
  t.like(first.manifest.entries.find(e => e.path === 'build.gradle'), { executable: false })
  t.like(first.stats, { files: 6, links: 0, newBlobs: 5, reusedBlobs: 0, skipped: 0 })
  t.is(first.stats.bytes, Object.entries(SMALL_TREE).filter(([p]) => manifestPaths(first.manifest).includes(p))
    .reduce((sum, [, node]) => sum + Buffer.byteLength(typeof node === 'string' ? node : (node as { exec: string }).exec), 0))
  t.like(second.stats, { files: 6, newBlobs: 0, reusedBlobs: 5 })
  // the manifest is in the store under its content key, and reads back equal
  t.deepEqual(await loadManifest(first.id, store), first.manifest)
  t.is((await store.head(contentKey(first.id)))?.sha256, first.id)
  // every file's blob is in the store under its content key
  for (const entry of first.manifest.entries) if (entry.type === 'file') t.is((await store.head(contentKey(entry.sha256)))?.sha256, entry.sha256)
})

test('an edit gives another id and the next snapshot stores only the new blob', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, SMALL_TREE)
  const store = await openStore(t)
  const before = await createSnapshot(dir, store)
  const entriesBefore = store.stats().entries
  await writeFile(path.join(dir, 'lib/src/main/java/a/A.java'), 'class A { int x; }\n')
  const after = await createSnapshot(dir, store)
  t.not(after.id, before.id)
  t.like(after.stats, { files: 6, newBlobs: 1, reusedBlobs: 4 })
  t.is(store.stats().entries, entriesBefore + 2, 'one new file blob and one new manifest')
  await writeFile(path.join(dir, 'lib/src/main/java/a/A.java'), 'class A {}\n')
  t.is((await createSnapshot(dir, store)).id, before.id, 'undoing the edit gives the first id back')
})

test('links are kept as links when they resolve inside the project, and left out when they escape', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, {
    'lib/A.java': 'class A {}\n',
    'alias.java': { link: 'lib/A.java' },
    'libdir': { link: 'lib' },
    'up/in.java': { link: '../lib/A.java' },
    'dangling': { link: 'nowhere/at/all' },
    'abs': { link: '/etc/passwd' },
    'out': { link: '../outside' },
    'dot': { link: '.' },
    'tricky': { link: 'dot/../escaped' },
    'via-abs': { link: 'abs' }
  })
  const store = await openStore(t)
  const { manifest, stats } = await createSnapshot(dir, store)
  t.deepEqual(manifest.entries.filter(e => e.type === 'link'), [
    { path: 'alias.java', type: 'link', target: 'lib/A.java' },
    { path: 'dangling', type: 'link', target: 'nowhere/at/all' },
    { path: 'dot', type: 'link', target: '.' },
    { path: 'libdir', type: 'link', target: 'lib' },
    { path: 'up/in.java', type: 'link', target: '../lib/A.java' }
  ])
  t.like(stats, { files: 1, links: 5, skipped: 4 })
  t.deepEqual(stats.skippedEntries, [
    { path: 'abs', why: '-> /etc/passwd: the target is absolute' },
    { path: 'out', why: '-> ../outside: the target leaves the tree' },
    { path: 'tricky', why: '-> dot/../escaped: the target leaves the tree' },
    { path: 'via-abs', why: '-> abs: the target goes through the link "abs", which is refused: the target is absolute' }
  ])
})

test('a link with an absolute target inside the project is kept, made relative to where it lies; one leaving the project is named as skipped', async t => {
  const dir = await tempDir(t)
  const real = await realpath(dir)
  await writeTree(dir, {
    'settings.gradle': 'include "app"\n',
    'libs/tool.jar': 'jar',
    'app/libs/tool.jar': { link: path.join(dir, 'libs/tool.jar') },
    'app/shared': { link: `${real}//libs/` },
    'root': { link: dir },
    'app/escape': { link: path.join(dir, 'libs/../..') },
    'home': { link: path.dirname(dir) }
  })
  const store = await openStore(t)
  const { manifest, stats } = await createSnapshot(dir, store)
  t.deepEqual(manifest.entries.filter(e => e.type === 'link'), [
    { path: 'app/libs/tool.jar', type: 'link', target: '../../libs/tool.jar' },
    { path: 'app/shared', type: 'link', target: '../libs/' },
    { path: 'root', type: 'link', target: '.' }
  ])
  t.deepEqual(stats.skippedEntries.map(entry => entry.path).sort(), ['app/escape', 'home'])
  t.like(stats, { links: 3, skipped: 2 })
})

test('links whose names differ only in case are left out, and so is a link that left through one of them', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, {
    'a/b/c/x': 'x',
    'D': { link: '.' },
    'd': { link: 'a/b/c' },
    'e': { link: 'D/../../..' },
    'f': { link: 'a/b' }
  })
  const store = await openStore(t)
  const { manifest, stats } = await createSnapshot(dir, store)
  t.deepEqual(manifestPaths(manifest), ['a/b/c/x', 'f'])
  t.like(stats, { links: 1, skipped: 3 })
})

test('examples/java-multi: same id twice, another after an edit, its own .gitignore honoured', async t => {
  const dir = await tempDir(t)
  await cp(repoPath('examples', 'java-multi'), dir, { recursive: true, filter: source => !/[/\\](build|\.gradle)$/.test(source) })
  await writeTree(dir, { 'app/build/libs/app.jar': 'jar', '.gradle/8.5/checksums/x': 'x' })
  const store = await openStore(t)
  const cold = await createSnapshot(dir, store)
  const warm = await createSnapshot(dir, store)
  t.is(warm.id, cold.id)
  t.true(manifestPaths(cold.manifest).includes('app/src/main/java/example/app/Main.java'))
  t.true(manifestPaths(cold.manifest).includes('settings.gradle'))
  t.false(manifestPaths(cold.manifest).some(p => p.includes('build/') || p.startsWith('.gradle/')))
  t.is(warm.stats.newBlobs, 0)
  t.is(warm.stats.reusedBlobs, cold.stats.newBlobs)
  await writeFile(path.join(dir, 'money/src/main/java/example/money/Money.java'), '// edited\n', { flag: 'a' })
  const edited = await createSnapshot(dir, store)
  t.not(edited.id, cold.id)
  t.like(edited.stats, { newBlobs: 1 })
  t.log(`java-multi: ${cold.stats.files} files, ${cold.stats.bytes} bytes; cold ${cold.stats.ms.toFixed(1)} ms, warm ${warm.stats.ms.toFixed(1)} ms`)
})

test('an aborted snapshot rejects with the abort reason', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, SMALL_TREE)
  const store = await openStore(t)
  const controller = new AbortController()
  controller.abort(new Error('stop'))
  await t.throwsAsync(createSnapshot(dir, store, { signal: controller.signal }), { message: 'stop' })
})

test('a big file that changes while it is snapshotted fails with FileChangedError and stores nothing for it', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { 'big.bin': Buffer.alloc(2 * 1024 * 1024, 1) })
  const real = await openStore(t)
  // the file grows between its hash and its upload, as an editor or a running build might do
  const store: SnapshotStore = {
    get: async (key, options) => await real.get(key, options),
    put: async (key, body, options) => await real.put(key, body, options),
    pin: sha => { real.pin(sha) },
    unpin: sha => { real.unpin(sha) },
    head: async key => {
      await appendFile(path.join(dir, 'big.bin'), 'more')
      return await real.head(key)
    }
  }
  const err = await t.throwsAsync(createSnapshot(dir, store), { instanceOf: FileChangedError })
  t.is(err?.path, 'big.bin')
  t.is(real.stats().entries, 0)
})

test('a file removed between the walk and its hashing fails with FileChangedError', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { 'a.txt': 'a', 'b.txt': 'b' })
  // the first file is read by now; the other one goes before it is opened
  const store = changingTheTree(await openStore(t), async () => { await Promise.all(['a.txt', 'b.txt'].map(async name => { await rm(path.join(dir, name)) })) })
  await t.throwsAsync(createSnapshot(dir, store, { concurrency: 1 }), { instanceOf: FileChangedError })
})

test('a name that is not UTF-8 is refused with an error naming its directory, unless the project ignores it', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { '.gitignore': '*.log\n', 'src/ok.txt': 'fine' })
  const latin1 = (name: string, ext: string): Buffer => Buffer.concat([Buffer.from(path.join(dir, name)), Buffer.from([0xe9]), Buffer.from(ext)])
  await writeFile(latin1('src/caf', '.log'), 'ignored: no matter')
  const store = await openStore(t)
  t.deepEqual(manifestPaths((await createSnapshot(dir, store)).manifest), ['.gitignore', 'src/ok.txt'])
  await writeFile(latin1('src/caf', '.txt'), 'latin-1 name')
  const err = await t.throwsAsync(createSnapshot(dir, store), { instanceOf: UnsupportedFileNameError })
  t.regex(err.message, /"src" holds a name that is not UTF-8/)
})

test('a FIFO put where the walk saw a file fails the snapshot at once instead of blocking it', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, { 'a.txt': 'a', 'b.txt': 'b' })
  // the first file is read by now; the other one becomes a FIFO nobody writes to before it is opened
  const store = changingTheTree(await openStore(t), async () => {
    await rm(path.join(dir, 'b.txt'))
    await exec('mkfifo', [path.join(dir, 'b.txt')])
  })
  await t.throwsAsync(createSnapshot(dir, store, { concurrency: 1 }), { instanceOf: FileChangedError })
})

test('a big file swapped for a FIFO between its hash and its upload is stored from the file it hashed, without blocking', async t => {
  const dir = await tempDir(t)
  const big = Buffer.alloc(2 * 1024 * 1024, 7)
  await writeTree(dir, { 'big.bin': big })
  const store = changingTheTree(await openStore(t), async () => {
    await rm(path.join(dir, 'big.bin'))
    await exec('mkfifo', [path.join(dir, 'big.bin')])
  })
  const snapshot = await createSnapshot(dir, store)
  t.like(snapshot.manifest.entries[0], { path: 'big.bin', sha256: sha256(big), size: big.byteLength })
  t.like(snapshot.stats, { files: 1, newBlobs: 1 })
})

test('a tree bigger than half the store\'s cache budget is refused before anything is stored, naming its biggest directories', async t => {
  const dir = await tempDir(t)
  await writeTree(dir, {
    'settings.gradle': 'rootProject.name = "x"\n',
    'app/src/A.java': 'class A {}\n',
    'app/datasets/raw/a.bin': Buffer.alloc(300 * 1024, 1),
    'app/datasets/raw/b.bin': Buffer.alloc(300 * 1024, 2),
    'docs/manual.pdf': Buffer.alloc(100 * 1024, 3)
  })
  const store = await openStore(t, undefined, 1024 * 1024)
  const err = await t.throwsAsync(createSnapshot(dir, store), { instanceOf: SnapshotTooLargeError })
  t.like(err, { bytes: 700 * 1024 + 34, maxBytes: 512 * 1024 })
  t.regex(err.message, /"app\/datasets\/raw" 0\.6 MiB, "docs" 0\.1 MiB/)
  t.is(store.stats().entries, 0)
  t.like((await createSnapshot(dir, store, { maxBytes: 1024 * 1024 })).stats, { files: 5 })
})
