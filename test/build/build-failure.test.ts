import test from 'ava'
import { buildFailureJson, describeFailure, forcedExitMessage, JobCancelError, type BuildState } from '../../src/build/build-failure.js'
import type { UnitPlan } from '../../src/plan/units.js'

const plan: UnitPlan = {
  gradleVersion: '8.14.3', requested: ['build'], units: [], shardedTestTasks: [], finalBuildOnly: [], finalBuildExcludes: [], finalBuildKeeps: [], warnings: []
}
const aborted = new Error('interrupted')

test('an interrupt while planning says no job was submitted', t => {
  const failure = describeFailure({ stage: 'probe' }, aborted, true)
  t.deepEqual(failure, { stage: 'probe', interrupted: true, exitCode: 130, message: 'build interrupted while planning; no job was submitted' })
})

test('an interrupt while the node snapshots says no job was started', t => {
  t.is(describeFailure({ stage: 'submit', plan }, aborted, true).message, 'build interrupted while the node took the snapshot; no job was started')
})

test('an interrupt while the job runs says it was cancelled only when the node cancelled it', t => {
  const state: BuildState = { stage: 'job', plan, jobId: 'job-7f3a' }
  t.is(describeFailure(state, aborted, true).message, 'build interrupted; job job-7f3a was cancelled on the mesh')
  const refused = new JobCancelError('job-7f3a', 'the node did not answer within 5 s')
  t.is(describeFailure(state, refused, true).message,
    'build interrupted; could not cancel job job-7f3a: the node did not answer within 5 s: it may still be running on the mesh')
})

test('an interrupt during the final build is no failure of the job', t => {
  t.is(describeFailure({ stage: 'final', plan, jobId: 'j' }, aborted, true).message, 'build interrupted during the final local build (the job was done on the mesh)')
})

test('an error that is no interrupt keeps its message, exit code 1', t => {
  t.deepEqual(describeFailure({ stage: 'probe' }, new Error('Gradle could not plan build'), false),
    { stage: 'probe', interrupted: false, exitCode: 1, message: 'Gradle could not plan build' })
})

test('a second interrupt says what may still run', t => {
  t.is(forcedExitMessage({ stage: 'job', jobId: 'job-7f3a' }), 'interrupted again: exited at once; job job-7f3a may still be running on the mesh')
  t.is(forcedExitMessage({ stage: 'final', jobId: 'job-7f3a' }), 'interrupted again: exited at once')
})

test('the --json document of a failure has the stage, the error and the plan and job id as far as known', t => {
  const state: BuildState = { stage: 'job', plan, jobId: 'job-7f3a' }
  t.deepEqual(buildFailureJson(state, describeFailure(state, aborted, true)), {
    ok: false, exitCode: 130, error: 'build interrupted; job job-7f3a was cancelled on the mesh', stage: 'job', interrupted: true,
    plan: { gradleVersion: '8.14.3', requested: ['build'], units: 0, warnings: [] }, jobId: 'job-7f3a'
  })
  const early: BuildState = { stage: 'connect' }
  t.deepEqual(buildFailureJson(early, describeFailure(early, new Error('no node running at /d'), false)),
    { ok: false, exitCode: 1, error: 'no node running at /d', stage: 'connect', interrupted: false })
})
