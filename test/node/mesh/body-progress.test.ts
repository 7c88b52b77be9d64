import test from 'ava'
import { reportingProgress } from '../../../node/mesh/body-progress.js'

/** A body of `chunks` chunks of `size` bytes; the clock moves `msPerChunk` before each arrives. */
async function * timedBody (clock: { now: number }, chunks: number, size: number, msPerChunk: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < chunks; i++) {
    clock.now += msPerChunk
    yield new Uint8Array(size)
  }
}

async function drain (body: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0
  for await (const chunk of body) bytes += chunk.byteLength
  return bytes
}

test('a fast 10 MiB body is one report, once all of it is in', async t => {
  const clock = { now: 0 }
  const reports: number[] = []
  const body = reportingProgress(timedBody(clock, 160, 64 * 1024, 0.5), 10 * 1024 * 1024, bytes => reports.push(bytes), { now: () => clock.now })
  t.is(await drain(body), 10 * 1024 * 1024, 'every byte passes through')
  t.deepEqual(reports, [10 * 1024 * 1024])
})

test('a slow body is reported at most every 250 ms, and at its end', async t => {
  const clock = { now: 0 }
  const reports: Array<[number, number]> = []
  const body = reportingProgress(timedBody(clock, 10, 1000, 100), 10_000, bytes => reports.push([clock.now, bytes]), { now: () => clock.now })
  await drain(body)
  t.deepEqual(reports, [[300, 3000], [600, 6000], [900, 9000], [1000, 10_000]])
})

test('a dripping body is reported as it drips, so the lookup sees it is not moving', async t => {
  const clock = { now: 0 }
  const reports: number[] = []
  const body = reportingProgress(timedBody(clock, 3, 1, 1000), 2 * 1024 * 1024, bytes => reports.push(bytes), { now: () => clock.now })
  await drain(body)
  t.deepEqual(reports, [1, 2, 3])
})
