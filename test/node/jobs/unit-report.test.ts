import test from 'ava'
import { MAX_SUMMARY_BYTES } from '../../../protocols/jobs/index.js'
import { decodeUnitReport, describeFailure, encodeUnitReport, protocolOutcome, type UnitReport } from '../../../node/jobs/unit-report.js'

const success: UnitReport = {
  worker: '12D3KooWWorkerAlpha',
  unit: ':money',
  outcome: 'success',
  durationMs: 4210.5,
  setupMs: 312,
  fetchedBytes: 48_213,
  tasks: { executed: 3, fromCache: 2, upToDate: 1 }
}

function failedWith (logTail: string[], message = 'Execution failed for task \':money:test\'.'): UnitReport {
  return { ...success, outcome: 'failed', failure: { task: ':money:test', message, logTail } }
}

test('a report survives encode then decode', t => {
  t.deepEqual(decodeUnitReport(encodeUnitReport(success)), success)
  const failed = failedWith(['> Task :money:test FAILED', 'CurrencyTest > converts FAILED'])
  t.deepEqual(decodeUnitReport(encodeUnitReport(failed)), failed)
})

test('a huge failure log is cut from its start to fit the summary limit, keeping the last lines and the message', t => {
  const logTail = Array.from({ length: 2000 }, (_, i) => `line ${i}: ${'x'.repeat(40)}`)
  const report = failedWith(logTail)
  t.true(Buffer.byteLength(JSON.stringify(report)) > MAX_SUMMARY_BYTES)
  const text = encodeUnitReport(report)
  t.true(Buffer.byteLength(text) <= MAX_SUMMARY_BYTES)
  const decoded = decodeUnitReport(text)
  const kept = decoded?.failure?.logTail ?? []
  t.true(kept.length > 100 && kept.length < logTail.length)
  t.deepEqual(kept, logTail.slice(-kept.length))
  t.is(decoded?.failure?.message, report.failure?.message)
  t.is(decoded?.failure?.task, ':money:test')
  t.deepEqual({ ...decoded, failure: undefined }, { ...report, failure: undefined })
  t.is(report.failure?.logTail.length, 2000, 'the caller\'s report is left as it was')
})

test('a huge failure message is cut to its first 4000 characters and the last log line is kept', t => {
  const message = `Compilation failed: ${'e'.repeat(50_000)}`
  const text = encodeUnitReport(failedWith(['> Task :money:compileJava FAILED', 'error: cannot find symbol'], message))
  t.true(Buffer.byteLength(text) <= MAX_SUMMARY_BYTES)
  t.is(decodeUnitReport(text)?.failure?.message, message.slice(0, 4000))
  t.is(decodeUnitReport(text)?.failure?.logTail.at(-1), 'error: cannot find symbol')
})

test('garbage from the wire decodes to undefined', t => {
  for (const text of ['', 'not json', '[]', 'null', '{"worker":"w"}', JSON.stringify({ ...success, outcome: 'exploded' }), JSON.stringify({ ...success, durationMs: -1 })]) {
    t.is(decodeUnitReport(text), undefined, text)
  }
})

test('describeFailure shows the unit, outcome, worker and task, then the log lines, then the message', t => {
  const text = describeFailure(failedWith(['> Task :money:test FAILED', 'CurrencyTest > converts FAILED'], 'There were failing tests.'))
  t.deepEqual(text.split('\n'), [
    'unit :money failed on 12D3KooWWorkerAlpha in :money:test',
    '  | > Task :money:test FAILED',
    '  | CurrencyTest > converts FAILED',
    'There were failing tests.'
  ])
})

test('describeFailure without a task or a failure still says what happened where', t => {
  t.is(describeFailure({ ...success, outcome: 'timeout', failure: { message: 'unit timed out after 60 s', logTail: [] } }),
    'unit :money timeout on 12D3KooWWorkerAlpha\nunit timed out after 60 s')
  t.is(describeFailure({ ...success, outcome: 'cancelled' }), 'unit :money cancelled on 12D3KooWWorkerAlpha')
})

test('a message of control characters, six bytes each in JSON, still fits the summary limit', t => {
  const text = encodeUnitReport(failedWith(['last line'], '\u0001'.repeat(20_000)))
  t.true(Buffer.byteLength(text) <= MAX_SUMMARY_BYTES)
  t.is(decodeUnitReport(text)?.failure?.logTail.at(-1), 'last line')
})

test('a unit that could not be set up (snapshot fetch, workspace, Gradle not starting) is given back to run elsewhere; Gradle failing it fails the job', t => {
  t.is(protocolOutcome('success'), 'ok')
  t.is(protocolOutcome('error'), 'not-run')
  t.is(protocolOutcome('cancelled'), 'not-run', 'a unit this node stopped (it is shutting down) did not fail')
  t.is(protocolOutcome('failed'), 'failed')
  t.is(protocolOutcome('timeout'), 'failed')
})
