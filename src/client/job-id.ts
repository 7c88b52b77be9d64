import { randomBytes } from 'node:crypto'

/**
 * A job's id: base-36 milliseconds, a dash, 8 random bytes in hex. The client picks it before it submits, so that a
 * Ctrl-C at any point of the submission can still name, and cancel, the job the node may have started.
 */
export function newJobId (now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(8).toString('hex')}`
}

/** What the control API accepts as a client-chosen job id: the shape `newJobId` makes. */
export const JOB_ID_PATTERN = /^[0-9a-z]{1,12}-[0-9a-f]{8,32}$/
