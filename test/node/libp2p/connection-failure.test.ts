import test from 'ava'
import { isConnectionFailure } from '../../../node/libp2p/connection-failure.js'
import { DeadlineExceededError } from '../../../node/libp2p/errors.js'
import { SnapshotUnavailableError } from '../../../node/jobs/snapshot-source.js'

const named = (name: string, message = name): Error => Object.assign(new Error(message), { name })
const socket = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:4001`), { code })

test('a dial that reached no node, a connection gone or no reply by the deadline is a connection failure', t => {
  t.true(isConnectionFailure(new AggregateError([socket('ECONNREFUSED'), named('TimeoutError', 'Connection timeout')])))
  t.true(isConnectionFailure(named('NoValidAddressesError')))
  t.true(isConnectionFailure(named('ConnectionClosedError')))
  t.true(isConnectionFailure(new DeadlineExceededError('/gmesh/cas/1.0.0', 120_000)))
})

test('an answer of the peer, a bad body or an abort is not', t => {
  t.false(isConnectionFailure(new SnapshotUnavailableError('the worker answered busy for test reports blob ab 3 times in 119000 ms')))
  t.false(isConnectionFailure(new Error('the body does not hash to its sha256')))
  t.false(isConnectionFailure(named('AbortError')))
  t.false(isConnectionFailure(new AggregateError([socket('ECONNREFUSED'), new Error('something else')])))
  t.false(isConnectionFailure(new AggregateError([])))
  t.false(isConnectionFailure(undefined))
})
