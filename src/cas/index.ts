/**
 * The node's content-addressed blob store.
 *
 *   const store = await ContentStore.open({ dir: join(dataDir, 'cas'), maxBytes: 5 * 2 ** 30, logger })
 *   await store.put(key, request, { maxSize, expectedSize })   // stream in; nothing stored on any failure
 *   const entry = await store.get(key)                         // verified bytes or undefined (miss)
 *   if (entry?.bytes !== undefined) res.end(entry.bytes)        // small entries: already in memory
 *   else if (entry !== undefined) await pipeline(entry.body, res)
 *   await store.close()
 */
export { ContentStore } from './store.js'
export type { ContentStoreOptions, GcResult, VerifyResult } from './store-options.js'
export type { CasLogger } from './logger.js'
export type { RecoveryReport } from './recovery.js'
export * from './errors.js'
export * from './types.js'
export { contentKey, namedSha256, CONTENT_KEY_PREFIX } from './keys.js'
