import { InvalidJobError } from '../../protocols/jobs/index.js'
import { NotAGradleBuildError, UnsupportedFileNameError } from '../../src/snapshot/index.js'
import { InvalidUnitPayloadError } from '../jobs/unit-payload.js'
import { JobIdTakenError } from '../jobs/pending-submissions.js'
import { SubmitterGoneError } from '../jobs/jobs-host.js'
import { TestReportsUnavailableError } from '../jobs/shard-reports.js'

/** Errno codes of a project directory the node cannot walk: missing, not a directory, or not its to read. */
const UNREADABLE_DIR = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM'])

/**
 * The status of a submission that failed: 4xx only for what the submitter can change (the plan, the project
 * directory, one that is no Gradle build's root, a file name the mesh cannot carry, the job id, its own cancel);
 * anything else (a full disk, an I/O error while taking the snapshot, git failing on the project) is the node
 * failing, 500.
 */
export function submitFailureStatus (err: unknown, projectDir: string): number {
  if (err instanceof JobIdTakenError || err instanceof SubmitterGoneError) return 409
  if (err instanceof InvalidJobError || err instanceof InvalidUnitPayloadError || err instanceof UnsupportedFileNameError || err instanceof NotAGradleBuildError) return 400
  if (isUnreadableProjectDir(err, projectDir)) return 400
  return 500
}

/** 409 for reports not to be had (the job is not done, or they are gone or too big); 500 for the node failing. */
export function testReportsFailureStatus (err: unknown): number {
  return err instanceof TestReportsUnavailableError ? 409 : 500
}

function isUnreadableProjectDir (err: unknown, projectDir: string): boolean {
  const { code, path } = err as NodeJS.ErrnoException
  return typeof code === 'string' && UNREADABLE_DIR.has(code) && path === projectDir
}
