import test from 'ava'
import type { ExecutionContext } from 'ava'
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { ReplicaBacklogFile, MAX_BACKLOG_FILE_BYTES } from '../../../node/mesh/replica-backlog-file.js'
import type { SavedReplication } from '../../../protocols/cache/index.js'

const KEY = 'ab'.repeat(20)
const SHA = 'cd'.repeat(32)

/** A backlog file in a temp dir (removed after the test) over `backlog`, logging warnings into `warnings`. */
async function backlogFile (t: ExecutionContext, backlog: { entries: SavedReplication[], changes: number }): Promise<{ file: ReplicaBacklogFile, path: string, warnings: string[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-backlog-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const warnings: string[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => { warnings.push((JSON.parse(line) as { msg: string }).msg) } })
  const file = path.join(dir, 'replica-backlog.json')
  const view = { savedReplications: () => backlog.entries, get savedReplicationsChanges () { return backlog.changes } }
  return { file: new ReplicaBacklogFile({ path: file, logger, backlog: view, writeDelayMs: 60_000 }), path: file, warnings }
}

test('the backlog written when the node stops is what the next run loads; none written is an empty backlog, no warning', async t => {
  const backlog = { entries: [] as SavedReplication[], changes: 0 }
  const { file, path: at, warnings } = await backlogFile(t, backlog)
  t.deepEqual(await file.load(), [])
  backlog.entries = [{ key: KEY, sha256: SHA, offers: 3 }]
  backlog.changes = 1
  file.noticeChanges()
  await file.flush()
  t.deepEqual(await file.load(), [{ key: KEY, sha256: SHA, offers: 3 }])
  t.deepEqual(warnings, [])
  t.deepEqual(await readdir(path.dirname(at)), ['replica-backlog.json'], 'no temp file left')
})

test('an unchanged backlog is not written', async t => {
  const { file, path: at } = await backlogFile(t, { entries: [{ key: KEY, sha256: SHA, offers: 1 }], changes: 0 })
  file.noticeChanges()
  await file.flush()
  await t.throwsAsync(readFile(at), { code: 'ENOENT' })
})

test('a corrupt or truncated backlog file is ignored with a warning, never fatal', async t => {
  const backlog = { entries: [{ key: KEY, sha256: SHA, offers: 1 }, { key: 'ef'.repeat(20), sha256: SHA, offers: 2 }], changes: 1 }
  const { file, path: at, warnings } = await backlogFile(t, backlog)
  file.noticeChanges()
  await file.flush()
  const whole = await readFile(at, 'utf8')
  await truncate(at, whole.length - 20) // a crash in the middle of a write that was not atomic (another tool, a copy)
  t.deepEqual(await file.load(), [])
  await writeFile(at, Buffer.from([0xff, 0x00, 0x13]))
  t.deepEqual(await file.load(), [])
  t.deepEqual(warnings, ['the saved replica backlog cannot be read: ignored (its entries are not offered again)', 'the saved replica backlog cannot be read: ignored (its entries are not offered again)'])
})

test('a backlog file past its size bound is not read', async t => {
  const { file, path: at, warnings } = await backlogFile(t, { entries: [], changes: 0 })
  await writeFile(at, '')
  await truncate(at, MAX_BACKLOG_FILE_BYTES + 1)
  t.deepEqual(await file.load(), [])
  t.is(warnings.length, 1)
  t.regex(warnings[0] ?? '', /too big/)
})
