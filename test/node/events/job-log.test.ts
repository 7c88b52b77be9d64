import test from 'ava'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { EventBus } from '../../../node/events/index.js'
import { logJobEvents } from '../../../node/events/job-log.js'

test('a job\'s life and the units a node ran are logged with the node, job and unit ids', t => {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk, _enc, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done() } })
  const logger = pino({ level: 'info' }, sink).child({ node: '12D3KooWself' })
  const bus = new EventBus()
  const stop = logJobEvents(bus, logger)
  bus.emit({ type: 'job', jobId: 'job-7', state: 'running' })
  bus.emit({ type: 'unit', jobId: 'job-7', unitId: 'u3', name: ':lib:test', outcome: 'failed', ms: 1234.5 })
  bus.emit({ type: 'cache-put', key: 'a'.repeat(64), bytes: 1 })
  bus.emit({ type: 'job', jobId: 'job-7', state: 'failed' })
  stop()
  bus.emit({ type: 'job', jobId: 'job-8', state: 'running' })
  t.like(lines, [
    { node: '12D3KooWself', jobId: 'job-7', state: 'running', msg: 'job running', level: 30 },
    { node: '12D3KooWself', jobId: 'job-7', unitId: 'u3', unit: ':lib:test', outcome: 'failed', ms: 1235, msg: 'unit failed', level: 40 },
    { node: '12D3KooWself', jobId: 'job-7', state: 'failed', msg: 'job failed', level: 40 }
  ])
  t.is(lines.length, 3, 'cache events are not job events, and nothing is logged after unsubscribing')
})
