export { JobsProtocol } from './jobs-protocol.js'
export type { JobsOptions } from './jobs-protocol.js'
export type { JobsCommand } from './commands.js'
export { DEFAULT_JOBS_CONFIG } from './config.js'
export type { JobsConfig } from './config.js'
export { topologicalOrder, bottomLevels, jobBounds, InvalidJobError } from './dag.js'
export { assertGrantFits, JobTooLargeError, MAX_GRANT_WORKERS } from './job-size.js'
export type { UnitOutcome } from './worker.js'
export type { JobSpec } from './dag.js'
export {
  jobsCodec, JOBS_TOPIC, JOBS_PROTOCOL, JOBS_WIRE_VERSION, JOBS_MAX_BYTES, MAX_UNITS, MAX_PAYLOAD_BYTES, MAX_SUMMARY_BYTES
} from './messages.js'
export type { JobsMessage, UnitSpec, UnitTicket, WorkerSlots } from './messages.js'
