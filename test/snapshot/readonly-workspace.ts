// Run by workspaces.test.ts as an unprivileged user (root may delete anything, so it would prove nothing):
// two workspaces a build left with a read-only directory in them; one removed by `remove`, the other by
// `cleanupStale` of the next run. Prints what is left, as JSON.
import { chmod, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Workspaces } from '../../src/snapshot/index.js'

export async function leaveReadOnlyWorkspaces (parent: string): Promise<{ removed: boolean, stale: string[], failed: string[], left: string[] }> {
  const root = await mkdtemp(path.join(parent, 'ws-'))
  const workspaces = new Workspaces({ root })
  await workspaces.start()
  for (const job of ['job-a', 'job-b']) {
    const dir = await workspaces.create(job)
    await mkdir(path.join(dir, 'unpacked'))
    await writeFile(path.join(dir, 'unpacked', 'file'), 'x')
    await chmod(path.join(dir, 'unpacked'), 0o555)
  }
  const removed = await workspaces.remove('job-a')
  const failed: string[] = []
  const stale = await new Workspaces({ root }).cleanupStale(0, jobId => { failed.push(jobId) })
  return { removed, stale, failed, left: await readdir(root) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await leaveReadOnlyWorkspaces(process.argv[2]!)))
