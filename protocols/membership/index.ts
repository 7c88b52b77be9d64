export { Membership } from './membership.js'
export { AntiEntropy } from './anti-entropy.js'
export { AnswerLimit } from './table-answers.js'
export type { MembershipOptions } from './config.js'
export type { MembershipView } from './view.js'
export type { MemberInfo } from './table.js'
export { DEFAULT_MAX_MEMBERS, MemberTable } from './table.js'
export {
  DEFAULT_MEMBERSHIP_CONFIG, suspicionTimeoutMs, heartbeatIntervalMs, detectionBoundMs, refutationBoundMs, repairBoundMs
} from './config.js'
export type { MembershipConfig } from './config.js'
export {
  allowedOn, membershipCodec, MEMBERSHIP_TOPIC, MEMBERSHIP_PROTOCOL, MEMBERSHIP_WIRE_VERSION, MEMBERSHIP_MAX_BYTES,
  MAX_RECORDS_PER_MESSAGE, NO_LOAD, DIGEST_BUCKETS
} from './messages.js'
export type { Load, MemberRecord, MemberStatus, MembershipMessage } from './messages.js'
