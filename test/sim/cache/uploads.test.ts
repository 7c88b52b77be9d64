import test from 'ava'
import { MAX_CONCURRENT_UPLOADS, MAX_STREAMS_PER_PEER, UploadLimits } from '../../../sim/cache/uploads.js'

test('a provider serves 16 uploads at once and answers the next busy, as the blob server does', t => {
  const limits = new UploadLimits()
  for (let i = 0; i < MAX_CONCURRENT_UPLOADS; i++) {
    t.is(limits.admit(0, 1 + i), 'serve')
    limits.uploadStarted(0, 1 + i)
  }
  t.is(limits.admit(0, 99), 'busy')
  limits.uploadEnded(0, 5)
  t.is(limits.admit(0, 99), 'serve')
})

test('streams from one peer past 32 are reset, whatever the uploads', t => {
  const limits = new UploadLimits()
  for (let i = 0; i < MAX_STREAMS_PER_PEER; i++) limits.offerStream(0, 7, 1)
  t.is(limits.admit(0, 7), 'reset')
  t.false(limits.admitsStream(0, 7))
  t.is(limits.admit(0, 8), 'serve')
  limits.offerStream(0, 7, -1)
  t.is(limits.admit(0, 7), 'serve')
})
