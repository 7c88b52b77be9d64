import test from 'ava'
import type { FetchBlob } from '../../../src/snapshot/index.js'
import { SubmitterUnreachableError, UnreachableSubmitters } from '../../../node/jobs/unreachable-submitters.js'
import { DeadlineExceededError } from '../../../node/libp2p/errors.js'

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4001'), { code: 'ECONNREFUSED' })

test('a submitter one fetch of a job could not reach is not asked by that job\'s fetches for a while, then is again', async t => {
  let now = 0
  const verdicts = new UnreachableSubmitters(10_000, () => now)
  let asked = 0
  const gone: FetchBlob = async () => { asked++; throw refused() }
  const fetch = verdicts.guard('job', 'peer', gone)
  await t.throwsAsync(fetch('a'.repeat(64), {}), { message: /ECONNREFUSED/ })
  now = 9_999
  const err = await t.throwsAsync(fetch('b'.repeat(64), {}), { instanceOf: SubmitterUnreachableError })
  t.regex(err?.message ?? '', /the submitter peer could not be reached 9999 ms ago: connect ECONNREFUSED/)
  t.is(asked, 1)
  now = 10_000
  await t.throwsAsync(fetch('b'.repeat(64), {}), { message: /ECONNREFUSED/ })
  t.is(asked, 2, 'asked again once the verdict is old')
})

test('only a fetch that did not reach the submitter counts: an answer, or the unit\'s own cancel, does not', async t => {
  const verdicts = new UnreachableSubmitters(10_000, () => 0)
  let asked = 0
  const missing = verdicts.guard('job', 'peer', async () => { asked++; throw new Error('the submitter answered not-found') })
  await t.throwsAsync(missing('a'.repeat(64), {}), { message: /not-found/ })
  await t.throwsAsync(missing('a'.repeat(64), {}), { message: /not-found/ })
  const cancel = new AbortController()
  const cancelled = verdicts.guard('job', 'peer', async () => { asked++; cancel.abort(); throw Object.assign(new Error('timed out'), { name: 'TimeoutError' }) })
  await t.throwsAsync(cancelled('a'.repeat(64), { signal: cancel.signal }), { name: 'TimeoutError' })
  await t.throwsAsync(missing('a'.repeat(64), {}), { message: /not-found/ })
  t.is(asked, 4, 'each asked')
  t.is(verdicts.size, 0)
})

test('a connection that reached the submitter and then broke, or a slow answer, does not count: the next fetch may well work', async t => {
  const verdicts = new UnreachableSubmitters(10_000, () => 0)
  let asked = 0
  const reset = verdicts.guard('job', 'peer', async () => { asked++; throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) })
  await t.throwsAsync(reset('a'.repeat(64), {}), { message: /ECONNRESET/ })
  const slow = verdicts.guard('job', 'peer', async () => { asked++; throw new DeadlineExceededError('/gmesh/blob/1', 30_000) })
  await t.throwsAsync(slow('a'.repeat(64), {}), { name: 'DeadlineExceededError' })
  await t.throwsAsync(reset('a'.repeat(64), {}), { message: /ECONNRESET/ })
  t.is(asked, 3, 'each asked')
  t.is(verdicts.size, 0)
})

test('an old verdict is dropped when the next is kept', async t => {
  let now = 0
  const verdicts = new UnreachableSubmitters(10_000, () => now)
  await t.throwsAsync(verdicts.guard('a', 'peer', async () => { throw refused() })('a'.repeat(64), {}))
  now = 10_000
  await t.throwsAsync(verdicts.guard('b', 'peer', async () => { throw refused() })('a'.repeat(64), {}))
  t.is(verdicts.size, 1)
})
