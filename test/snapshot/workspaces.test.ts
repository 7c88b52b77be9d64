import test from 'ava'
import { execFile } from 'node:child_process'
import { chmod, mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createSnapshot, materialise, WorkspaceError, Workspaces } from '../../src/snapshot/index.js'
import { describeTree, openStore, tempDir, writeTree } from './helpers.js'
import { leaveReadOnlyWorkspaces } from './readonly-workspace.js'

const exec = promisify(execFile)

const HOUR = 60 * 60 * 1000

async function age (dir: string, ms: number): Promise<void> {
  const at = new Date(Date.now() - ms)
  await utimes(dir, at, at)
}

test('create gives a fresh empty directory per job, materialise fills it, remove deletes it', async t => {
  const root = path.join(await tempDir(t), 'workspaces')
  const workspaces = new Workspaces({ root })
  await workspaces.start()
  const project = await tempDir(t)
  await writeTree(project, { 'a/b.txt': 'b', 'run.sh': { exec: 'echo' }, 'l': { link: 'a/b.txt' } })
  const store = await openStore(t)
  const { manifest } = await createSnapshot(project, store)
  const dir = await workspaces.create('job-1')
  t.is(dir, path.join(root, 'job-1'))
  t.deepEqual(await readdir(dir), [])
  await materialise(manifest, store, dir)
  t.deepEqual(await describeTree(dir), await describeTree(project))
  await t.throwsAsync(workspaces.create('job-1'), { instanceOf: WorkspaceError, message: /exists already/ })
  t.true(await workspaces.remove('job-1'))
  t.deepEqual(await readdir(root), [])
  t.false(await workspaces.remove('job-1'))
})

test('job ids that are not plain names are refused', async t => {
  const workspaces = new Workspaces({ root: await tempDir(t) })
  await workspaces.start()
  for (const bad of ['', '.', '..', '../x', 'a/b', '.hidden', 'x\0y', 'a'.repeat(129)]) {
    await t.throwsAsync(workspaces.create(bad), { instanceOf: WorkspaceError }, JSON.stringify(bad))
    await t.throwsAsync(workspaces.remove(bad), { instanceOf: WorkspaceError }, JSON.stringify(bad))
  }
  t.deepEqual(await readdir(workspaces.root), [])
})

test('cleanupStale removes old workspaces left by another run, keeps fresh and active ones and stray files', async t => {
  const root = await tempDir(t)
  // left behind by a crashed node: old and fresh
  await mkdir(path.join(root, 'crashed-old', 'deep'), { recursive: true })
  await writeFile(path.join(root, 'crashed-old', 'deep', 'f'), 'x')
  await age(path.join(root, 'crashed-old'), 3 * HOUR)
  await mkdir(path.join(root, 'crashed-recent'))
  await age(path.join(root, 'crashed-recent'), HOUR / 2)
  await writeFile(path.join(root, 'not-a-workspace'), 'x')
  await age(path.join(root, 'not-a-workspace'), 3 * HOUR)

  const workspaces = new Workspaces({ root })
  await workspaces.start()
  const running = await workspaces.create('running')
  await age(running, 5 * HOUR)
  t.deepEqual(await workspaces.cleanupStale(HOUR), ['crashed-old'])
  t.deepEqual((await readdir(root)).sort(), ['crashed-recent', 'not-a-workspace', 'running'])

  // a workspace touched later counts as fresh for another process's cleanup
  const other = new Workspaces({ root })
  await age(path.join(root, 'crashed-recent'), 2 * HOUR)
  await workspaces.touch('running')
  t.true((await stat(running)).mtimeMs > Date.now() - HOUR)
  t.deepEqual(await other.cleanupStale(HOUR), ['crashed-recent'])
  t.deepEqual((await readdir(root)).sort(), ['not-a-workspace', 'running'])
  await workspaces.remove('running')
})

test('a workspace a build left read-only directories in is removed, by remove and by the next run\'s cleanupStale', async t => {
  const parent = await tempDir(t)
  let result: Awaited<ReturnType<typeof leaveReadOnlyWorkspaces>>
  if (process.getuid?.() === 0) {
    // as root nothing is read-only: run it as nobody, in a directory nobody may write
    await chmod(parent, 0o777)
    const script = fileURLToPath(new URL('./readonly-workspace.js', import.meta.url))
    const { stdout } = await exec('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script, parent])
    result = JSON.parse(stdout) as typeof result
  } else {
    result = await leaveReadOnlyWorkspaces(parent)
  }
  t.deepEqual(result, { removed: true, stale: ['job-b'], failed: [], left: [] })
})
