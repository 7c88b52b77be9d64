import { TrustPolicy } from '../../../protocols/cache/trust.js'
import { JobsMesh } from './mesh.js'

/** No stealing, no speculation: who runs what follows from the leader's assignments alone. */
export const quietConfig = { stealing: false, speculation: false }

/** Takes builds from submitter `s` only. */
export const trustsOnlyS = new TrustPolicy({ producers: { mode: 'any-member' }, submitters: { mode: 'peers', peers: ['s'] }, announceOwnPuts: true })

/** s submits; w1 and w2 (2 slots each, trusting s only) bid; w1 leads (equal bids: the smaller peer id). */
export function farm (): JobsMesh {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, quietConfig)
  mesh.add('w1', { slots: 2, msPerCost: 1, trust: trustsOnlyS }, quietConfig)
  mesh.add('w2', { slots: 2, msPerCost: 1, trust: trustsOnlyS }, quietConfig)
  return mesh
}
