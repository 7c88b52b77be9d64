/**
 * A test shard's JUnit reports on their way to the submitter. The worker stores them as one blob
 * (a JSON array of `{ name, content }`) under its own SHA-256 and names it in its UnitReport; the
 * blob server serves it to peers like a snapshot blob. The submitter fetches it from that worker
 * when the job completes (the store verifies hash and size) and serves it to `gmesh build`.
 * Both sides pin the blob for a while, so eviction cannot take it before it is used.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { MAX_TEST_REPORTS_BYTES, type TestReportFile } from '../../src/gradle/test-reports.js'
import { holdsBlob, openBlob, storeBlob, type FetchBlob, type SnapshotStore } from '../../src/snapshot/index.js'

/** Largest reports blob of one shard that is stored, fetched or served (and most bytes of report files read). */
export { MAX_TEST_REPORTS_BYTES }

/** How long a reports blob stays pinned after it was stored or fetched. */
export const TEST_REPORTS_PIN_MS = 30 * 60_000

export const testReportsRefSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative().max(MAX_TEST_REPORTS_BYTES)
})

/** Where a shard's reports are: the blob's SHA-256 and size. */
export type TestReportsRef = z.infer<typeof testReportsRefSchema>

const reportsSchema = z.array(z.strictObject({ name: z.string().min(1).max(500), content: z.string() })).max(100_000)

/** Reports that are not what they should be: too big, missing, or not the JSON of reports. */
export class TestReportsBlobError extends Error {
  static readonly code = 'ERR_TEST_REPORTS_BLOB'
  override name = 'TestReportsBlobError'
}

/** The reports as one blob, with its SHA-256. */
export function encodeTestReports (reports: readonly TestReportFile[]): { bytes: Buffer, ref: TestReportsRef } {
  const bytes = Buffer.from(JSON.stringify(reports.map(r => ({ name: r.name, content: r.content }))))
  if (bytes.length > MAX_TEST_REPORTS_BYTES) throw new TestReportsBlobError(`the test reports take ${bytes.length} bytes, over the limit of ${MAX_TEST_REPORTS_BYTES}`)
  return { bytes, ref: { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length } }
}

/** A reports blob back as reports; throws TestReportsBlobError when it is not one. */
export function decodeTestReports (bytes: Uint8Array): TestReportFile[] {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (err) {
    throw new TestReportsBlobError(`the test reports blob is not JSON: ${(err as Error).message}`)
  }
  const checked = reportsSchema.safeParse(value)
  if (!checked.success) throw new TestReportsBlobError(`the test reports blob is not a list of reports: ${checked.error.issues[0]?.message ?? 'invalid'}`)
  return checked.data
}

/**
 * A node's reports blobs: stored (worker) or fetched (submitter), each pinned for `pinMs`; `stop`
 * releases every pin. A timer that runs out does not keep the process alive.
 */
export class TestReportBlobs {
  private readonly pins = new Map<ReturnType<typeof setTimeout>, string>()

  constructor (private readonly store: SnapshotStore, private readonly pinMs = TEST_REPORTS_PIN_MS) {}

  /** Stores a shard's reports under their SHA-256, pinned; resolves to their ref. */
  async keep (reports: readonly TestReportFile[], signal?: AbortSignal): Promise<TestReportsRef> {
    const { bytes, ref } = encodeTestReports(reports)
    this.pin(ref.sha256)
    await storeBlob(this.store, ref.sha256, bytes, { expectedSize: ref.size, ...(signal == null ? {} : { signal }) })
    return ref
  }

  /** Brings the blob of `ref` into the store from `source` unless it is there, verified and pinned. */
  async fetch (ref: TestReportsRef, source: FetchBlob, signal?: AbortSignal): Promise<void> {
    this.pin(ref.sha256)
    if (await holdsBlob(this.store, ref.sha256)) return
    const body = await source(ref.sha256, { size: ref.size, ...(signal == null ? {} : { signal }) })
    await storeBlob(this.store, ref.sha256, body, { expectedSize: ref.size, ...(signal == null ? {} : { signal }) })
  }

  /** The reports of `ref` from the store; throws TestReportsBlobError when the store no longer has them. */
  async read (ref: TestReportsRef, signal?: AbortSignal): Promise<TestReportFile[]> {
    const entry = await openBlob(this.store, ref.sha256, signal == null ? {} : { signal })
    if (entry === undefined) throw new TestReportsBlobError(`the test reports blob ${ref.sha256.slice(0, 12)} is no longer in this node's store`)
    let bytes = entry.bytes
    if (bytes === undefined) {
      const chunks: Uint8Array[] = []
      for await (const chunk of entry.body) chunks.push(chunk as Uint8Array)
      bytes = Buffer.concat(chunks)
    }
    return decodeTestReports(bytes)
  }

  /** Releases every pin now (the node stops). */
  stop (): void {
    for (const [timer, sha256] of this.pins) {
      clearTimeout(timer)
      this.store.unpin(sha256)
    }
    this.pins.clear()
  }

  /** Pins held now. */
  get pinned (): number { return this.pins.size }

  private pin (sha256: string): void {
    this.store.pin(sha256)
    const timer = setTimeout(() => {
      this.pins.delete(timer)
      this.store.unpin(sha256)
    }, this.pinMs)
    timer.unref()
    this.pins.set(timer, sha256)
  }
}
