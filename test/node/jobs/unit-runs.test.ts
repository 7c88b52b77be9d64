import test from 'ava'
import type { JobsCommand, UnitOutcome } from '../../../protocols/jobs/index.js'
import { silentLogger } from '../../../src/config/logger.js'
import type { UnitReport } from '../../../node/jobs/unit-report.js'
import { UnitRuns } from '../../../node/jobs/unit-runs.js'

type RunUnit = Extract<JobsCommand, { kind: 'runUnit' }>

const command = (unitId: string): RunUnit => ({ kind: 'runUnit', jobId: 'j', unitId, payload: '', submitter: 's', cost: 1, dependsOn: [] })
const report = (outcome: UnitReport['outcome']): UnitReport =>
  ({ worker: 'w', unit: ':a', outcome, durationMs: 1, setupMs: 1, fetchedBytes: 0, tasks: { executed: 1, fromCache: 0, upToDate: 0 } })

/** An executor whose runs end when the test says (`end`), or at once when cancelled (outcome `cancelled`). */
function executor (): { run: (request: RunUnit, signal: AbortSignal) => Promise<UnitReport>, end: (unitId: string) => void } {
  const ends = new Map<string, () => void>()
  return {
    run: async (request, signal) => await new Promise<UnitReport>(resolve => {
      ends.set(request.unitId, () => { resolve(report('success')) })
      signal.addEventListener('abort', () => { resolve(report('cancelled')) })
    }),
    end: unitId => { ends.get(unitId)?.() }
  }
}

test('a run\'s end goes to the protocol signed, and a cancelled run\'s too, once it is over: the protocol keeps its slot until then', async t => {
  const { run, end } = executor()
  const finished: Array<{ unitId: string, outcome: UnitOutcome, summary: string }> = []
  const runs = new UnitRuns({ executor: { run }, sign: () => new Uint8Array(64), logger: silentLogger() }, {
    finished: (_jobId, unitId, outcome, summary) => { finished.push({ unitId, outcome, summary }) }
  })
  runs.start(command('a'))
  runs.start(command('b'))
  end('a')
  runs.cancel('j', 'b', new Error('the job ended'))
  await runs.stop(new Error('the test ends'))
  t.deepEqual(finished.map(f => `${f.unitId}:${f.outcome}`), ['a:ok', 'b:not-run'])
  t.regex(finished[0]?.summary ?? '', /^\S{86} \{/, 'signed')
  t.is(runs.size, 0)
})

test('a run whose report cannot be made (signing throws) is logged and given back unrun, unsigned: nothing rejects unhandled, which would end the node', async t => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => { process.off('unhandledRejection', onUnhandled) })
  const errors: string[] = []
  const logger = silentLogger()
  logger.error = ((_obj: unknown, message: string) => { errors.push(message) }) as typeof logger.error
  const { run, end } = executor()
  const finished: string[] = []
  const runs = new UnitRuns({ executor: { run }, sign: () => { throw new Error('the identity key is unreadable') }, logger }, {
    finished: (_jobId, unitId, outcome, summary) => { finished.push(`${unitId}:${outcome}:${summary}`) }
  })
  runs.start(command('a'))
  end('a')
  await new Promise(resolve => { setImmediate(resolve) }) // an unhandled rejection is reported by now
  t.deepEqual(unhandled, [])
  t.deepEqual(finished, ['a:not-run:the worker could not report its run: the identity key is unreadable'])
  t.is(errors.length, 1)
  await t.notThrowsAsync(runs.stop(new Error('the test ends')))
})
