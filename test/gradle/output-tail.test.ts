import test from 'ava'
import { Writable } from 'node:stream'
import { LOG_LINE_CHARS, LOG_TAIL_LINES, OutputTail, WENT_WRONG_LINES } from '../../src/gradle/output-tail.js'

/** Gradle 4.4.1's failure summary for a task that failed, as it ends a build's output. */
const SUMMARY = [
  '', 'FAILURE: Build failed with an exception.', '', '* What went wrong:', 'Execution failed for task \':app:compileJava\'.',
  '> Compilation failed; see the compiler error output for details.', '', '* Try:', 'Run with --stacktrace option to get the stack trace.', '',
  '* Get more help at https://help.gradle.org', '', 'BUILD FAILED in 1s', '1 actionable task: 1 executed', ''
].join('\n')

test('a failed build\'s "What went wrong" text, its task and the output before the summary, from both streams in arrival order', t => {
  const tail = new OutputTail()
  tail.push('stdout', '> Task :app:compileJava\n')
  tail.push('stderr', '/p/app/src/main/java/A.java:1: error: incompatible types\nclass A { int x = "') // a line in two chunks
  tail.push('stderr', 'no"; }\n1 error\n')
  tail.push('stdout', '> Task :app:compileJava FAILED\n')
  tail.push('stderr', SUMMARY)
  t.deepEqual(tail.failure({ tasks: [] }), {
    task: ':app:compileJava',
    message: 'Execution failed for task \':app:compileJava\'.\n> Compilation failed; see the compiler error output for details.',
    logTail: ['> Task :app:compileJava', '/p/app/src/main/java/A.java:1: error: incompatible types', 'class A { int x = "no"; }', '1 error', '> Task :app:compileJava FAILED']
  })
  t.true(tail.wentWrongWith('Execution failed'))
})

test('the task Gradle printed as FAILED wins; a build that says nothing of its failure says so', t => {
  const tail = new OutputTail()
  tail.push('stdout', 'exit 1 with no summary')
  t.deepEqual(tail.failure({ tasks: [{ path: ':b:test', outcome: 'FAILED' }] }), { task: ':b:test', message: 'Gradle failed without saying why', logTail: ['exit 1 with no summary'] })
})

test('what is kept stays bounded: the last LOG_TAIL_LINES lines, each cut at LOG_LINE_CHARS, and at most WENT_WRONG_LINES of "What went wrong"', t => {
  const tail = new OutputTail()
  for (let i = 0; i < LOG_TAIL_LINES + 10; i++) tail.push('stdout', `line ${i}\n`)
  tail.push('stdout', `${'x'.repeat(LOG_LINE_CHARS + 5)}\n`)
  // output that only looks like the heading: nothing after it ends the section
  tail.push('stdout', '* What went wrong:\n')
  for (let i = 0; i < WENT_WRONG_LINES + 7; i++) tail.push('stdout', `${i === 0 ? 'y'.repeat(LOG_LINE_CHARS + 5) : `more ${i}`}\n`)
  const failure = tail.failure({ tasks: [] })
  t.is(failure.logTail.length, LOG_TAIL_LINES)
  t.is(failure.logTail[0], 'line 11')
  t.is(failure.logTail.at(-1), `${'x'.repeat(LOG_LINE_CHARS)}…`)
  const wentWrong = failure.message.split('\n')
  t.is(wentWrong.length, WENT_WRONG_LINES + 1)
  t.is(wentWrong[0], `${'y'.repeat(LOG_LINE_CHARS)}…`)
  t.is(wentWrong.at(-1), '… 7 more lines left out …')
})

test('a unit\'s log still gets every chunk through its streams', t => {
  const chunks: string[] = []
  const log = new Writable({ write: (chunk, _encoding, done) => { chunks.push(String(chunk)); done() } })
  const tail = new OutputTail(log)
  tail.stream('stdout').write('a\n')
  tail.stream('stderr').write('b\n')
  t.deepEqual(chunks, ['a\n', 'b\n'])
  t.deepEqual(tail.failure({ tasks: [] }).logTail, ['a', 'b'])
})
