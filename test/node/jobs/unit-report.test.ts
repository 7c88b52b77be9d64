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

test('a huge failure log loses lines from its middle to fit the summary limit, keeping its first and last lines, with a line saying how many went', t => {
  const logTail = Array.from({ length: 2000 }, (_, i) => `line ${i}: ${'x'.repeat(40)}`)
  const report = failedWith(logTail)
  t.true(Buffer.byteLength(JSON.stringify(report)) > MAX_SUMMARY_BYTES)
  const text = encodeUnitReport(report)
  t.true(Buffer.byteLength(text) <= MAX_SUMMARY_BYTES)
  const decoded = decodeUnitReport(text)
  const kept = decoded?.failure?.logTail ?? []
  const gap = kept.findIndex(line => line.startsWith('…'))
  t.true(gap > 50 && kept.length - gap > 50, `${gap} lines before the gap, ${kept.length - gap - 1} after`)
  t.deepEqual(kept.slice(0, gap), logTail.slice(0, gap))
  t.deepEqual(kept.slice(gap + 1), logTail.slice(-(kept.length - gap - 1)))
  t.is(kept[gap], `… ${2000 - kept.length + 1} lines left out …`)
  t.true(Math.abs(gap - (kept.length - gap - 1)) <= 1, 'from the middle')
  t.is(decoded?.failure?.message, report.failure?.message)
  t.is(decoded?.failure?.task, ':money:test')
  t.deepEqual({ ...decoded, failure: undefined }, { ...report, failure: undefined })
  t.is(report.failure?.logTail.length, 2000, 'the caller\'s report is left as it was')
})

/** javac's output for two errors on 20 KB source lines: each error, the source line, a caret line padded to the column. */
const javacTail = [
  '> Task :m:compileJava',
  '/w/m/src/main/java/m/Gen.java:1: error: incompatible types: int cannot be converted to String',
  `class Gen { String a() { return 1; } ${'x'.repeat(20_000)}`,
  `${' '.repeat(20_030)}^`,
  '/w/m/src/main/java/m/Gen.java:2: error: cannot find symbol',
  `class Gen2 { Missing b; ${'y'.repeat(20_000)}`,
  `${' '.repeat(20_010)}^`,
  '2 errors',
  '> Task :m:compileJava FAILED'
]

test('a log tail with 20 KB lines (javac echoing a source line) keeps every line, the long ones shortened, and the compiler\'s errors whole', t => {
  const text = encodeUnitReport(failedWith(javacTail, 'Compilation failed; see the compiler error output for details.'))
  t.true(Buffer.byteLength(text) <= MAX_SUMMARY_BYTES)
  const kept = decodeUnitReport(text)?.failure?.logTail ?? []
  t.is(kept.length, javacTail.length, kept.join('\n'))
  for (const [i, line] of javacTail.entries()) {
    if (line.length < 1000) t.is(kept[i], line)
    else t.true(kept[i]!.endsWith('…') && line.startsWith(kept[i]!.slice(0, -1)) && kept[i]!.length > 1000, `line ${i} shortened, not dropped`)
  }
})

test('a tail of 40 lines of 1,000 characters (as a worker collects them) fits with every line, each shortened alike', t => {
  const logTail = Array.from({ length: 40 }, (_, i) => i % 10 === 3 ? `A.java:${i}: error: bad` : `${'s'.repeat(1000)}…`)
  const text = encodeUnitReport(failedWith(logTail))
  t.true(Buffer.byteLength(text) <= MAX_SUMMARY_BYTES)
  const kept = decodeUnitReport(text)?.failure?.logTail ?? []
  t.is(kept.length, 40)
  t.deepEqual(kept.filter(line => line.includes('error:')), logTail.filter(line => line.includes('error:')))
  t.is(new Set(kept.filter(line => !line.includes('error:'))).size, 1, 'the long lines are cut to one length')
})

test('lines that must go are those not naming an error: error:, FAILED and Exception lines stay', t => {
  const logTail = Array.from({ length: 600 }, (_, i) => `note ${i}: ${'n'.repeat(60)}`)
  logTail[250] = 'A.java:9: error: cannot find symbol'
  logTail[300] = 'java.lang.IllegalStateException: boom'
  logTail[350] = 'CurrencyTest > converts FAILED'
  const text = encodeUnitReport(failedWith(logTail))
  t.true(Buffer.byteLength(text) <= MAX_SUMMARY_BYTES)
  const kept = decodeUnitReport(text)?.failure?.logTail ?? []
  t.true(kept.length < 300)
  t.true(kept.includes(logTail[250]!) && kept.includes(logTail[300]!) && kept.includes(logTail[350]!))
  t.is(kept[0], logTail[0])
  t.is(kept.at(-1), logTail.at(-1))
  t.deepEqual(kept.filter(line => line.startsWith('…')).length, 4, 'the runs left out around the three kept lines, each said')
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
