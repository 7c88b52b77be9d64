import test from 'ava'
import { FetchCheckError, fetched } from '../../bench/mesh-fetch.js'
import type { TimedGet } from '../../bench/lib/mesh-nodes.js'

const answer = (status: number, bytes: number, ms: number): TimedGet => ({ status, bytes, headersMs: ms, firstByteMs: ms, totalMs: ms })

test('peer-fetch sample: a 404 past the lookup deadline is kept, missed, at its own time', (t) => {
  const slow = answer(404, 0, 2013)
  const sample = fetched('5 KiB peer fetch', slow, 5120)
  t.true(sample.missed)
  t.is(sample.got.firstByteMs, 2013)
  t.is(sample.got.totalMs, 2013)
})

test('peer-fetch sample: a 200 with the whole body is a hit; a short body or another status throws', (t) => {
  const ok = answer(200, 5120, 1.5)
  t.deepEqual(fetched('5 KiB peer fetch', ok, 5120), { got: ok, missed: false })
  t.throws(() => fetched('5 KiB peer fetch', answer(200, 100, 1), 5120), { instanceOf: FetchCheckError })
  t.throws(() => fetched('5 KiB peer fetch', answer(500, 0, 1), 5120), { instanceOf: FetchCheckError })
})
