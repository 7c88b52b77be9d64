import test from 'ava'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MAX_SUMMARY_BYTES, type ResultClaim } from '../../../protocols/jobs/index.js'
import { ed25519Signer, ed25519Verifier } from '../../../node/mesh/signing.js'
import { signUnitResult, unitResultAuthor } from '../../../node/jobs/signed-unit-result.js'
import { decodeUnitReport, encodeUnitReport, type UnitReport } from '../../../node/jobs/unit-report.js'

async function worker (): Promise<{ id: string, sign: ReturnType<typeof ed25519Signer> }> {
  const key = await generateKeyPair('Ed25519')
  return { id: peerIdFromPrivateKey(key).toString(), sign: ed25519Signer(key) }
}

function reportOf (workerId: string, outcome: UnitReport['outcome'] = 'success'): UnitReport {
  return { worker: workerId, unit: ':money', outcome, durationMs: 4210, setupMs: 312, fetchedBytes: 48_213, tasks: { executed: 3, fromCache: 2, upToDate: 1 } }
}

const verify = ed25519Verifier()

test('a worker vouches for its result: for that job, unit and outcome, and nothing else', async t => {
  const alpha = await worker()
  const summary = signUnitResult(reportOf(alpha.id), 'job-1', 'u1', alpha.sign)
  t.is(unitResultAuthor({ jobId: 'job-1', unitId: 'u1', outcome: 'ok', summary }, verify), alpha.id)
  t.is(unitResultAuthor({ jobId: 'job-2', unitId: 'u1', outcome: 'ok', summary }, verify), undefined, 'another job')
  t.is(unitResultAuthor({ jobId: 'job-1', unitId: 'u2', outcome: 'ok', summary }, verify), undefined, 'another unit (a leader replaying it)')
  t.is(unitResultAuthor({ jobId: 'job-1', unitId: 'u1', outcome: 'failed', summary }, verify), undefined, 'a success passed off as a failure')
  t.is(unitResultAuthor({ jobId: 'job-1', unitId: 'u1', outcome: 'not-run', summary }, verify), undefined, 'a success passed off as a unit not run')
  t.deepEqual(decodeUnitReport(summary), reportOf(alpha.id), 'the report reads back')
})

test('failed runs are vouched for as failed, and units a worker could not run as not run: neither passes for the other', async t => {
  const alpha = await worker()
  const protocolOutcomes = { failed: 'failed', timeout: 'failed', error: 'not-run', cancelled: 'not-run' } as const
  for (const [outcome, claimed] of Object.entries(protocolOutcomes)) {
    const summary = signUnitResult(reportOf(alpha.id, outcome as UnitReport['outcome']), 'job-1', 'u1', alpha.sign)
    const other = claimed === 'failed' ? 'not-run' : 'failed'
    t.is(unitResultAuthor({ jobId: 'job-1', unitId: 'u1', outcome: claimed, summary }, verify), alpha.id, outcome)
    t.is(unitResultAuthor({ jobId: 'job-1', unitId: 'u1', outcome: other, summary }, verify), undefined, `${outcome} passed off as ${other}`)
    t.is(unitResultAuthor({ jobId: 'job-1', unitId: 'u1', outcome: 'ok', summary }, verify), undefined, `${outcome} passed off as a success`)
  }
})

test('a leader cannot make a result up, change one, or put a worker\'s name on its own', async t => {
  const alpha = await worker()
  const leader = await worker()
  const claim = (summary: string): ResultClaim => ({ jobId: 'job-1', unitId: 'u1', outcome: 'ok', summary })
  const real = signUnitResult(reportOf(alpha.id), 'job-1', 'u1', alpha.sign)
  const signature = real.slice(0, real.indexOf(' '))
  t.is(unitResultAuthor(claim(encodeUnitReport(reportOf(alpha.id))), verify), undefined, 'unsigned')
  t.is(unitResultAuthor(claim(`${signature} ${encodeUnitReport({ ...reportOf(alpha.id), fetchedBytes: 1 })}`), verify), undefined, 'changed after signing')
  t.is(unitResultAuthor(claim(signUnitResult(reportOf(alpha.id), 'job-1', 'u1', leader.sign)), verify), undefined, 'in alpha\'s name, signed by the leader')
  t.is(unitResultAuthor(claim(`${signature.slice(4)} ${encodeUnitReport(reportOf(alpha.id))}`), verify), undefined, 'a cut signature')
  const flipped = Buffer.from(signature, 'base64url')
  flipped[10] = (flipped[10] as number) ^ 1
  t.is(unitResultAuthor(claim(`${flipped.toString('base64url')} ${encodeUnitReport(reportOf(alpha.id))}`), verify), undefined, 'one bit of the signature changed')
  t.is(unitResultAuthor(claim('not a result'), verify), undefined)
  // in its own name (or a fresh key's) it signs fine: the submitter takes it only from a peer that bid on the job (protocols/jobs)
  t.is(unitResultAuthor(claim(signUnitResult(reportOf(leader.id), 'job-1', 'u1', leader.sign)), verify), leader.id, 'its own run, in its own name')
})

test('a signed result with a long log still fits the protocol\'s summary limit, the log cut from its start', async t => {
  const alpha = await worker()
  const logTail = Array.from({ length: 2000 }, (_, i) => `line ${i} of a long compiler error`)
  const report: UnitReport = { ...reportOf(alpha.id, 'failed'), failure: { task: ':money:compileJava', message: 'Compilation failed', logTail } }
  const summary = signUnitResult(report, 'job-1', 'u1', alpha.sign)
  t.true(Buffer.byteLength(summary) <= MAX_SUMMARY_BYTES, `${Buffer.byteLength(summary)} bytes`)
  t.true(Buffer.byteLength(summary) > MAX_SUMMARY_BYTES - 200, 'nearly all of the room is used')
  t.is(decodeUnitReport(summary)?.failure?.logTail.at(-1), 'line 1999 of a long compiler error')
  t.is(unitResultAuthor({ jobId: 'job-1', unitId: 'u1', outcome: 'failed', summary }, verify), alpha.id)
})
