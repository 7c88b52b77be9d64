import { hash } from 'node:crypto'

/** SHA-256 as the jobs protocol takes it (`JobsOptions.sha256`): the simulator hashes as a node does. */
export function sha256 (data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer')
}
