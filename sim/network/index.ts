export { Links, LAN_PROFILE } from './links.js'
export type { LinkProfile } from './links.js'
export { FaultState } from './faults.js'
