import test from 'ava'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { tempDir } from './helpers.js'

const exec = promisify(execFile)
const CHILD = fileURLToPath(new URL('./disk-full-child.js', import.meta.url))

/** Why this machine cannot mount a tmpfs in a private mount namespace (needs root and unshare), or undefined. */
async function mountNamespaceUnavailable (): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root'
  try {
    await exec('unshare', ['-m', 'true'])
    return undefined
  } catch (err) {
    return `unshare -m failed: ${(err as Error).message.split('\n')[0]}`
  }
}

interface ChildReport {
  acked: number
  ackedBeforeFree: number
  whileFull: Record<string, number>
  flushError?: string
  servedWhileFull: number
  firstBlobsKept: number
  afterFree: Record<string, number>
  lost: number[]
}

// Decided before the test is declared, so a machine that cannot run it reports it skipped, not passed.
const unavailable = await mountNamespaceUnavailable()
const diskTest = unavailable === undefined ? test : test.skip
const skipped = unavailable === undefined ? '' : ` (skipped: a 4 MiB tmpfs in a private mount namespace is needed; ${unavailable})`

diskTest(`after index writes fail on a full disk, the entries stored before stay, and every put acknowledged once it has room again is still there after a restart${skipped}`, async t => {
  const mount = await tempDir(t)
  // the tmpfs is mounted in the child's own mount namespace only, and goes with it
  const script = 'mount -t tmpfs -o size=4m gmesh-test "$0" && exec "$1" "$2" "$0"'
  const { stdout } = await exec('unshare', ['-m', 'sh', '-c', script, mount, process.execPath, CHILD], { timeout: 30_000 })
  const report = JSON.parse(stdout) as ChildReport
  t.log(report)
  t.true(Object.values(report.whileFull).reduce((a, b) => a + b, 0) > 0, 'the full disk refused index writes')
  t.true(report.ackedBeforeFree >= 20)
  t.is(report.flushError, 'ERR_CAS_INDEX_UNAVAILABLE', 'the lastAccess flush was refused too')
  t.is(report.servedWhileFull, 20, 'entries the index still names stay served while it cannot be reopened')
  t.is(report.firstBlobsKept, 20, 'and their blobs stay')
  t.deepEqual(report.afterFree, {}, 'once the disk has room, the index takes writes again without a restart')
  t.is(report.acked, report.ackedBeforeFree + 100)
  t.deepEqual(report.lost, [], 'indexes (in put order) of acknowledged puts the reopened store does not have')
})
