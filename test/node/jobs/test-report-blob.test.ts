import test, { type ExecutionContext } from 'ava'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IntegrityError } from '../../../src/cas/errors.js'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { contentKey } from '../../../src/cas/keys.js'
import { holdsBlob, openBlob, type FetchBlob } from '../../../src/snapshot/index.js'
import { decodeTestReports, encodeTestReports, TestReportBlobs, TestReportsBlobError } from '../../../node/jobs/test-report-blob.js'
import { decodeUnitReport, encodeUnitReport, type UnitReport } from '../../../node/jobs/unit-report.js'

const REPORTS = [
  { name: 'TEST-example.money.MoneyTest.xml', content: '<?xml version="1.0"?>\n<testsuite name="example.money.MoneyTest" tests="4" failures="0" errors="0" skipped="1">\n</testsuite>\n' },
  { name: 'TEST-example.money.RateTest.xml', content: '<testsuite name="example.money.RateTest" tests="2" failures="1" errors="0" skipped="0">"quoted" \u00e9</testsuite>' }
]

async function openStore (t: ExecutionContext): Promise<ContentStore> {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-reports-'))
  const store = await ContentStore.open({ dir, maxBytes: 1024 ** 3, logger: silentLogger() })
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return store
}

/** A FetchBlob over another node's store, as a worker's blob server would answer. */
function sourceOf (store: ContentStore): FetchBlob {
  return async sha256 => {
    const entry = await openBlob(store, sha256)
    if (entry == null) throw new Error(`not found: ${sha256}`)
    return entry.bytes ?? entry.body
  }
}

test('a shard\'s reports encode to one blob named by its SHA-256 and decode back unchanged', t => {
  const { bytes, ref } = encodeTestReports(REPORTS)
  t.is(ref.sha256, createHash('sha256').update(bytes).digest('hex'))
  t.is(ref.size, bytes.length)
  t.deepEqual(decodeTestReports(bytes), REPORTS)
  t.deepEqual(decodeTestReports(encodeTestReports([]).bytes), [], 'a shard without reports is an empty list')
})

test('a blob that is not JSON, or not a list of reports, is refused with the reason', t => {
  t.regex(t.throws(() => decodeTestReports(Buffer.from('<xml/>')), { instanceOf: TestReportsBlobError }).message, /not JSON/)
  t.regex(t.throws(() => decodeTestReports(Buffer.from('[{"name":"a.xml"}]')), { instanceOf: TestReportsBlobError }).message, /not a list of reports/)
  t.throws(() => decodeTestReports(Buffer.from('[{"name":"a","content":"x","extra":1}]')), { instanceOf: TestReportsBlobError })
})

test('a unit report carries the reports blob\'s ref through the summary; a ref that is not a SHA-256 makes it undecodable', t => {
  const { ref } = encodeTestReports(REPORTS)
  const report: UnitReport = {
    worker: '12D3KooWWorkerAlpha', unit: ':money:test [1/2]', outcome: 'success', durationMs: 900, setupMs: 40, fetchedBytes: 0,
    tasks: { executed: 1, fromCache: 0, upToDate: 3 }, testReports: ref
  }
  t.deepEqual(decodeUnitReport(encodeUnitReport(report))?.testReports, ref)
  t.is(decodeUnitReport(JSON.stringify({ ...report, testReports: { sha256: 'nope', size: 1 } })), undefined)
})

test('the worker keeps reports pinned in its store; the submitter fetches them verified, reads them back, and stop releases every pin', async t => {
  const workerStore = await openStore(t)
  const submitterStore = await openStore(t)
  const worker = new TestReportBlobs(workerStore)
  const submitter = new TestReportBlobs(submitterStore)
  const ref = await worker.keep(REPORTS)
  t.is((await workerStore.head(contentKey(ref.sha256)))?.size, ref.size)
  t.is(worker.pinned, 1)

  t.false(await holdsBlob(submitterStore, ref.sha256))
  await submitter.fetch(ref, sourceOf(workerStore))
  t.deepEqual(await submitter.read(ref), REPORTS)
  let asked = 0
  await submitter.fetch(ref, async (sha, options) => { asked++; return await sourceOf(workerStore)(sha, options) })
  t.is(asked, 0, 'a blob already in the store is not fetched again')

  worker.stop()
  submitter.stop()
  t.is(worker.pinned + submitter.pinned, 0)
})

test('a worker answering other bytes than the ref names stores nothing; reading a blob the store lacks says so', async t => {
  const store = await openStore(t)
  const blobs = new TestReportBlobs(store)
  const { ref } = encodeTestReports(REPORTS)
  const forged = encodeTestReports([{ ...REPORTS[0]!, content: REPORTS[0]!.content.replace('failures="0"', 'failures="9"') }]).bytes
  const sameSize = Buffer.concat([forged, Buffer.alloc(Math.max(0, ref.size - forged.length), 0x20)]).subarray(0, ref.size)
  await t.throwsAsync(async () => { await blobs.fetch(ref, async () => sameSize) }, { instanceOf: IntegrityError })
  t.false(await holdsBlob(store, ref.sha256))
  t.regex((await t.throwsAsync(async () => await blobs.read(ref), { instanceOf: TestReportsBlobError })).message, /no longer in this node's store/)
  blobs.stop()
})
