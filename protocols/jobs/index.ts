export { JobsProtocol } from './jobs-protocol.js'
export type { JobsOptions } from './jobs-protocol.js'
export type { JobsCommand } from './commands.js'
export { DEFAULT_JOBS_CONFIG } from './config.js'
export type { JobsConfig } from './config.js'
export { topologicalOrder, bottomLevels, jobBounds, InvalidJobError } from './dag.js'
export { assertGrantFits, JobTooLargeError, MAX_GRANT_WORKERS } from './job-size.js'
export type { UnitOutcome } from './worker.js'
export { UnitTree, commitTo, sameCommitment, unitLeaf, verifyTicket, verifyUnit } from './commitment.js'
export type { Sha256 } from './commitment.js'
export type { JobSpec } from './dag.js'
export {
  jobsCodec, JOBS_TOPIC, JOBS_PROTOCOL, JOBS_WIRE_VERSION, JOBS_MAX_BYTES, MAX_UNITS, MAX_PAYLOAD_BYTES, MAX_SUMMARY_BYTES,
  HASH_BYTES, MAX_PROOF_HASHES
} from './messages.js'
export { MAX_TICKETS_PER_MESSAGE, TICKET_BATCH_BYTES, ticketBatches, ticketBytes } from './ticket-batches.js'
export type { JobCommitment, JobsMessage, UnitSpec, UnitTicket, WorkerSlots } from './messages.js'
export type { ResultClaim } from './wire.js'
