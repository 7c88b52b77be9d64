import test from 'ava'
import { Writable } from 'node:stream'
import { abortWhenOutputGone, OutputGoneError } from '../../src/cli/output-gone.js'

const epipe = (): NodeJS.ErrnoException => Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' })

test('an EPIPE on the output aborts the controller with OutputGoneError instead of crashing the process', t => {
  const stream = new Writable({ write: (_chunk, _encoding, done) => { done() } })
  const controller = new AbortController()
  const output = abortWhenOutputGone(stream, controller)
  t.false(output.gone())
  stream.emit('error', epipe())
  t.true(controller.signal.aborted)
  t.true(controller.signal.reason instanceof OutputGoneError)
  t.is(output.error(), controller.signal.reason)
  t.is(output.error()?.message, 'its output was closed (EPIPE)')
  t.true(output.gone())
  stream.emit('error', epipe()) // heard again, not thrown: 'error' without a listener would throw here
  t.is(controller.signal.reason, output.error(), 'the first failure stays the reason')
})

test('an output that fails after a stop signal keeps the signal as the reason', t => {
  const stream = new Writable({ write: (_chunk, _encoding, done) => { done() } })
  const controller = new AbortController()
  const output = abortWhenOutputGone(stream, controller)
  const interrupted = new Error('interrupted')
  controller.abort(interrupted)
  stream.emit('error', epipe())
  t.true(output.gone())
  t.is(controller.signal.reason, interrupted)
})
