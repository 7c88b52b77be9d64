export { ContentStore, type ContentStoreOptions, type CasLogger, type GcResult, type VerifyResult } from './store.js'
export type { RecoveryReport } from './recovery.js'
export * from './errors.js'
export * from './types.js'
